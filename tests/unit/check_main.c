#include <stdlib.h>

#include "unit.h"

int
main(void)
{
	SRunner *sr = srunner_create(param_suite());
	int failed;

	srunner_add_suite(sr, registry_suite());
	srunner_add_suite(sr, size_suite());
	srunner_add_suite(sr, config_suite());
	srunner_add_suite(sr, session_suite());
	srunner_add_suite(sr, stats_suite());
	srunner_add_suite(sr, policy_suite());
	srunner_add_suite(sr, log_suite());
	srunner_add_suite(sr, transport_suite());
	srunner_add_suite(sr, rules_suite());
	srunner_add_suite(sr, utf8_suite());
	srunner_add_suite(sr, history_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
