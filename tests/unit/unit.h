/* One Suite per module; check_main.c runs them all. */
#ifndef ESMTP_UNIT_H
#define ESMTP_UNIT_H

#include <check.h>

Suite *param_suite(void);
Suite *registry_suite(void);
Suite *size_suite(void);
Suite *config_suite(void);
Suite *session_suite(void);
Suite *stats_suite(void);
Suite *policy_suite(void);
Suite *log_suite(void);
Suite *transport_suite(void);
Suite *rules_suite(void);
Suite *utf8_suite(void);
Suite *history_suite(void);

#endif
