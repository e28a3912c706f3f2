// SPDX-License-Identifier: MIT
/*
 * Shared main() of every Check suite: each tests/{host,vm}/NAME.c defines
 * eb_test_suite() and is linked with this file into one test binary.
 */
#include <check.h>
#include <stdlib.h>

#include "check_main.h"

int main(void)
{
	SRunner *runner = srunner_create(eb_test_suite());
	int failed;

	srunner_run_all(runner, CK_NORMAL);
	failed = srunner_ntests_failed(runner);
	srunner_free(runner);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
