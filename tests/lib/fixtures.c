// SPDX-License-Identifier: MIT
#include <stdlib.h>

#include "check_main.h"

/* EB_FIXTURES overrides the default so the suites also run in the VM. */
const char *eb_test_fixture_dir(void)
{
	const char *dir = getenv("EB_FIXTURES");

	return dir && *dir ? dir : "tests/fixtures";
}
