/*
 * The session engine (milter/core) is built with GLib and json-glib alone:
 * GnuTLS belongs to the statistics listener in milter/daemon. This file
 * is first on the core's include path to say so at compile time.
 */
#error "milter/core must not include gnutls/gnutls.h: only milter/daemon uses it"
