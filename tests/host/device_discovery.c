// SPDX-License-Identifier: MIT
/*
 * Device discovery on the host, where no edgebert render node exists:
 * the API reports that cleanly instead of failing in odd ways.
 */
#include <errno.h>

#include "check_main.h"
#include "edgebert/device.h"

START_TEST(count_is_zero_without_device)
{
	ck_assert_int_eq(eb_device_count(), 0);
}
END_TEST

START_TEST(open_without_device_is_enodev)
{
	struct eb_device *dev = (struct eb_device *)1;

	ck_assert_int_eq(eb_device_open(0, &dev), -ENODEV);
	ck_assert_ptr_null(dev);
}
END_TEST

START_TEST(open_path_of_other_file_is_enodev)
{
	struct eb_device *dev = NULL;

	ck_assert_int_eq(eb_device_open_path("/dev/null", &dev), -ENODEV);
	ck_assert_int_eq(eb_device_open_path("/nonexistent/renderD128", &dev), -ENOENT);
	ck_assert_int_eq(eb_device_open_path(NULL, &dev), -EINVAL);
}
END_TEST

Suite *eb_test_suite(void)
{
	Suite *s = suite_create("device_discovery");
	TCase *tc = tcase_create("host");

	tcase_add_test(tc, count_is_zero_without_device);
	tcase_add_test(tc, open_without_device_is_enodev);
	tcase_add_test(tc, open_path_of_other_file_is_enodev);
	suite_add_tcase(s, tc);
	return s;
}
