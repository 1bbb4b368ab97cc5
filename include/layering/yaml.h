/*
 * The session engine (milter/core) is built with GLib and json-glib alone:
 * yaml.h belongs to the statistics listener's web configuration in
 * milter/daemon. This file is first on the core's include path to say so
 * at compile time.
 */
#error "milter/core must not include yaml.h: only milter/daemon uses it"
