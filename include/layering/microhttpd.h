/*
 * The session engine (milter/core) is built with GLib and json-glib alone:
 * microhttpd.h belongs to the adapters in milter/daemon or milter/report.
 * This file is first on the core's include path to say so at compile time.
 */
#error "milter/core must not include microhttpd.h: only milter/daemon and milter/report use it"
