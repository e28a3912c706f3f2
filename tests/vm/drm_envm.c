// SPDX-License-Identifier: MIT
/*
 * In-guest suite: eNVM programming through edgebert.ko — the image, its
 * CRC and generation, page wear, and the CAP_SYS_ADMIN requirement.
 * Note: it replaces the (volatile, per boot) eNVM image of the test VM.
 */
#include <errno.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include "check_main.h"
#include "vm_util.h"


/* CRC-32 (IEEE, as zlib). */
static uint32_t crc32_ieee(const uint8_t *p, size_t n)
{
	uint32_t c = 0xffffffffu;
	int k;

	while (n--) {
		c ^= *p++;
		for (k = 0; k < 8; k++)
			c = c & 1 ? (c >> 1) ^ 0xedb88320u : c >> 1;
	}
	return ~c;
}

static uint32_t image_bo(size_t size, uint8_t seed, uint32_t *crc, size_t len)
{
	struct drm_edgebert_bo_create c = { .size = size };
	struct drm_edgebert_bo_mmap_offset m = { 0 };
	uint8_t *p;
	size_t i;

	ck_assert_int_eq(eb_vm_ioctl(eb_vm_fd, DRM_IOCTL_EDGEBERT_BO_CREATE, &c), 0);
	m.handle = c.handle;
	ck_assert_int_eq(eb_vm_ioctl(eb_vm_fd, DRM_IOCTL_EDGEBERT_BO_MMAP_OFFSET, &m), 0);
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, eb_vm_fd, m.offset);
	ck_assert_ptr_ne(p, MAP_FAILED);
	for (i = 0; i < size; i++)
		p[i] = (uint8_t)(i * 7 + seed);
	*crc = crc32_ieee(p + 4096, len);
	munmap(p, size);
	return c.handle;
}

START_TEST(test_program_and_info)
{
	struct drm_edgebert_envm_info a = { 0 }, b = { 0 };
	struct drm_edgebert_envm_program p = { 0 };
	uint32_t crc, *wear_a, *wear_b, i, changed = 0;

	ck_assert_int_eq(eb_vm_ioctl(eb_vm_fd, DRM_IOCTL_EDGEBERT_ENVM_INFO, &a), 0);
	wear_a = calloc(a.page_count, sizeof(*wear_a));
	wear_b = calloc(a.page_count, sizeof(*wear_b));
	a.wear = (uintptr_t)wear_a;
	a.wear_count = a.page_count;
	ck_assert_int_eq(eb_vm_ioctl(eb_vm_fd, DRM_IOCTL_EDGEBERT_ENVM_INFO, &a), 0);

	/* 10000 bytes starting one page into the BO: 3 eNVM pages. */
	p.handle = image_bo(16384, 3, &crc, 10000);
	p.bo_offset = 4096;
	p.size = 10000;
	ck_assert_int_eq(eb_vm_ioctl(eb_vm_fd, DRM_IOCTL_EDGEBERT_ENVM_PROGRAM, &p), 0);

	b.wear = (uintptr_t)wear_b;
	b.wear_count = a.page_count;
	ck_assert_int_eq(eb_vm_ioctl(eb_vm_fd, DRM_IOCTL_EDGEBERT_ENVM_INFO, &b), 0);
	ck_assert_uint_eq(b.image_size, 10000);
	ck_assert_uint_eq(b.generation, a.generation + 1);
	ck_assert_uint_eq(b.image_crc32, crc);
	for (i = 0; i < a.page_count; i++) {
		ck_assert_uint_ge(wear_b[i], wear_a[i]);
		changed += wear_b[i] - wear_a[i];
	}
	ck_assert_uint_eq(changed, 3);
	free(wear_a);
	free(wear_b);
}
END_TEST

START_TEST(test_program_needs_cap_sys_admin)
{
	struct drm_edgebert_envm_program p = { .size = 4096 };
	uint32_t crc;
	pid_t pid;
	int status;

	p.handle = image_bo(8192, 1, &crc, 4096);
	pid = fork();
	if (pid == 0) {
		/* nobody: no capabilities left. */
		if (setgid(65534) || setuid(65534))
			_exit(3);
		_exit(eb_vm_ioctl(eb_vm_fd, DRM_IOCTL_EDGEBERT_ENVM_PROGRAM, &p) == -EPERM ? 0 : 1);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status));
	ck_assert_int_eq(WEXITSTATUS(status), 0);
}
END_TEST

START_TEST(test_program_too_large)
{
	struct drm_edgebert_envm_info info = { 0 };
	struct drm_edgebert_envm_program p = { 0 };
	uint32_t crc;

	ck_assert_int_eq(eb_vm_ioctl(eb_vm_fd, DRM_IOCTL_EDGEBERT_ENVM_INFO, &info), 0);
	p.handle = image_bo(8192, 1, &crc, 4096);
	p.size = info.size + 1;
	ck_assert_int_eq(eb_vm_ioctl(eb_vm_fd, DRM_IOCTL_EDGEBERT_ENVM_PROGRAM, &p), -EINVAL);
}
END_TEST

Suite *eb_test_suite(void)
{
	Suite *s = suite_create("drm_envm");
	TCase *tc = tcase_create("envm");

	tcase_add_checked_fixture(tc, eb_vm_setup, eb_vm_teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_program_and_info);
	tcase_add_test(tc, test_program_needs_cap_sys_admin);
	tcase_add_test(tc, test_program_too_large);
	suite_add_tcase(s, tc);
	return s;
}
