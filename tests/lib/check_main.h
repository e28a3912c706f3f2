/* SPDX-License-Identifier: MIT */
#ifndef EB_TESTS_CHECK_MAIN_H
#define EB_TESTS_CHECK_MAIN_H

#include <check.h>

/* Defined by each test file: the suite its binary runs. */
Suite *eb_test_suite(void);

/* Directory of the committed test fixtures (tests/fixtures). */
const char *eb_test_fixture_dir(void);

#endif
