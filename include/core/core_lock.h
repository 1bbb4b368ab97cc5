/*
 * The core's mutexes: GMutex, with what ThreadSanitizer needs to see.
 * GLib implements GMutex with futexes on Linux, which ThreadSanitizer
 * cannot follow, so a build with -fsanitize=thread (the stress test in
 * make check) is told of each acquire and release; any other build gets
 * plain g_mutex_lock() and g_mutex_unlock().
 *
 * Implemented by: nothing: macros and inline functions only.
 */
#ifndef ESMTP_CORE_LOCK_H
#define ESMTP_CORE_LOCK_H

#include <glib.h>

#if defined(__SANITIZE_THREAD__)
void __tsan_acquire(void *addr);
void __tsan_release(void *addr);
#define CORE_TSAN_ACQUIRE(m) __tsan_acquire(m)
#define CORE_TSAN_RELEASE(m) __tsan_release(m)
#else
#define CORE_TSAN_ACQUIRE(m) ((void)(m))
#define CORE_TSAN_RELEASE(m) ((void)(m))
#endif

static inline void
core_lock(GMutex *m)
{
	g_mutex_lock(m);
	CORE_TSAN_ACQUIRE(m);
}

static inline void
core_unlock(GMutex *m)
{
	CORE_TSAN_RELEASE(m);
	g_mutex_unlock(m);
}

#endif
