/* SPDX-License-Identifier: MIT */
/*
 * Helpers shared by the in-guest suites that talk to edgebert.ko directly.
 */
#ifndef EB_TESTS_VM_UTIL_H
#define EB_TESTS_VM_UTIL_H

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>
#include <xf86drm.h>

#include "edgebert_drm.h"

/* The first render node whose driver is edgebert, or -1. */
static inline int eb_vm_open(void)
{
	char path[64];
	int i;

	for (i = 128; i < 192; i++) {
		drmVersionPtr v;
		int f;

		snprintf(path, sizeof(path), "/dev/dri/renderD%d", i);
		f = open(path, O_RDWR | O_CLOEXEC);
		if (f < 0)
			continue;
		v = drmGetVersion(f);
		if (v && strcmp(v->name, "edgebert") == 0) {
			drmFreeVersion(v);
			return f;
		}
		drmFreeVersion(v);
		close(f);
	}
	return -1;
}

/* The render node shared by a suite's tests: its checked fixture. */
static int eb_vm_fd __attribute__((unused)) = -1;

static inline void eb_vm_setup(void)
{
	eb_vm_fd = eb_vm_open();
	ck_assert_msg(eb_vm_fd >= 0, "no edgebert render node");
}

static inline void eb_vm_teardown(void)
{
	if (eb_vm_fd >= 0)
		close(eb_vm_fd);
	eb_vm_fd = -1;
}

/* ioctl returning 0 or -errno. */
static inline int eb_vm_ioctl(int fd, unsigned long req, void *arg)
{
	return drmIoctl(fd, req, arg) ? -errno : 0;
}

/* Write a sysfs file with one write(2), so the driver's errno comes back. */
static inline int eb_vm_sysfs_write(const char *path, const char *val)
{
	int f = open(path, O_WRONLY), ret = 0;

	if (f < 0)
		return -errno;
	if (write(f, val, strlen(val)) < 0)
		ret = -errno;
	close(f);
	return ret;
}

/* Value of property NAME in EB_DEVICE_PROPS (tests/README.md), or DEF. */
static inline unsigned long long eb_vm_prop(const char *name,
					    unsigned long long def)
{
	const char *s = getenv("EB_DEVICE_PROPS");
	size_t n = strlen(name);

	while (s && *s) {
		if (strncmp(s, name, n) == 0 && s[n] == '=')
			return strtoull(s + n + 1, NULL, 0);
		s = strchr(s, ',');
		if (s)
			s++;
	}
	return def;
}

#endif
