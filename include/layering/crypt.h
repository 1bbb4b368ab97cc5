/*
 * The session engine (milter/core) is built with GLib and json-glib alone:
 * crypt(3) belongs to the statistics listener's basic authentication in
 * milter/daemon. This file is first on the core's include path to say so
 * at compile time.
 */
#error "milter/core must not include crypt.h: only milter/daemon uses it"
