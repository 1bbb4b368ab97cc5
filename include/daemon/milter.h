/*
 * The libmilter adapter: thin callbacks that translate between the
 * milter protocol and the session core. milter_desc is what main()
 * registers with smfi_register(); each session takes the current config
 * from process.h at connect and counts into process_stats().
 */
#ifndef ESMTP_MILTER_H
#define ESMTP_MILTER_H

#include <libmilter/mfapi.h>

extern struct smfiDesc milter_desc;

#endif
