/*
 * The libmilter adapter: thin callbacks that translate between the
 * milter protocol and the session core, and the current config shared by
 * reference with every new session.
 */
#ifndef ESMTP_MILTER_H
#define ESMTP_MILTER_H

#include <libmilter/mfapi.h>

#include "config.h"
#include "stats.h"

extern struct smfiDesc milter_desc;

/* The config new sessions start with; the caller owns a reference. */
esmtp_config *milter_config_acquire(void);
/* Make config current for new sessions; takes a reference of its own. */
void milter_config_set(esmtp_config *config);
stats *milter_stats(void);

#endif
