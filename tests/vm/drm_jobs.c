// SPDX-License-Identifier: MIT
/*
 * In-guest suite: buffer objects, SUBMIT, completion events, syncobjs,
 * DVFS/eNVM/STATS ioctls of edgebert.ko, the -EINVAL/-ENOENT cases of
 * every ioctl (docs/uapi.md), and recovery from injected device faults
 * (hang, failure, corrupt completion) when the device has faults=on.
 */
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check_main.h"
#include "edgebert_cmd.h"
#include "vm_util.h"



static uint32_t bo_new(int f, uint64_t size, uint32_t flags)
{
	struct drm_edgebert_bo_create c = { .size = size, .flags = flags };

	ck_assert_int_eq(eb_vm_ioctl(f, DRM_IOCTL_EDGEBERT_BO_CREATE, &c), 0);
	ck_assert_uint_ne(c.handle, 0);
	return c.handle;
}

static void *bo_map(int f, uint32_t handle, size_t size)
{
	struct drm_edgebert_bo_mmap_offset m = { .handle = handle };
	void *p;

	ck_assert_int_eq(eb_vm_ioctl(f, DRM_IOCTL_EDGEBERT_BO_MMAP_OFFSET, &m), 0);
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, f, m.offset);
	ck_assert_ptr_ne(p, MAP_FAILED);
	return p;
}

/* A command buffer BO of NOPs (and an optional first command). */
static uint32_t cmdbuf_new(int f, uint32_t first_op, uint32_t first_arg)
{
	uint32_t h = bo_new(f, 4096, 0);
	uint32_t *w = bo_map(f, h, 4096);
	int i;

	for (i = 0; i < 16; i += 2) {
		w[i] = EDGEBERT_CMD(EDGEBERT_CMD_NOP, 2);
		w[i + 1] = 0;
	}
	if (first_op != EDGEBERT_CMD_NOP) {
		w[0] = EDGEBERT_CMD(first_op, 2);
		w[1] = first_arg;
	}
	munmap(w, 4096);
	return h;
}

static void submit_init(struct drm_edgebert_submit *s, uint32_t *handles,
			uint32_t count)
{
	memset(s, 0, sizeof(*s));
	s->bo_handles = (uintptr_t)handles;
	s->bo_count = count;
	s->cmdbuf_size = 64;
	s->opp = EDGEBERT_OPP_CURRENT;
	s->flags = EDGEBERT_SUBMIT_EVENT;
}

/* Read one job event (waiting up to timeout_ms). */
static int read_event(int f, struct drm_edgebert_event_job *ev, int timeout_ms)
{
	struct pollfd p = { .fd = f, .events = POLLIN };
	ssize_t n;

	if (poll(&p, 1, timeout_ms) != 1)
		return -ETIME;
	n = read(f, ev, sizeof(*ev));
	if (n != (ssize_t)sizeof(*ev))
		return -EIO;
	ck_assert_uint_eq(ev->base.type, DRM_EDGEBERT_EVENT_JOB);
	ck_assert_uint_eq(ev->base.length, sizeof(*ev));
	return 0;
}

static uint32_t run_job(int f, uint32_t cmd, uint64_t user_data)
{
	struct drm_edgebert_event_job ev;
	struct drm_edgebert_submit s;
	uint32_t h[1] = { cmd };

	submit_init(&s, h, 1);
	s.user_data = user_data;
	ck_assert_int_eq(eb_vm_ioctl(f, DRM_IOCTL_EDGEBERT_SUBMIT, &s), 0);
	ck_assert_uint_ne(s.job_id, 0);
	ck_assert_int_eq(read_event(f, &ev, 60000), 0);
	ck_assert_uint_eq(ev.job_id, s.job_id);
	ck_assert_uint_eq(ev.user_data, user_data);
	return ev.status;
}

/* BO ioctls */

START_TEST(test_bo_create_invalid)
{
	struct drm_edgebert_bo_create c = { .size = 0 };

	ck_assert_int_eq(eb_vm_ioctl(eb_vm_fd, DRM_IOCTL_EDGEBERT_BO_CREATE, &c), -EINVAL);
	c.size = 4096;
	c.flags = 0x2;
	ck_assert_int_eq(eb_vm_ioctl(eb_vm_fd, DRM_IOCTL_EDGEBERT_BO_CREATE, &c), -EINVAL);
	c.flags = 0x80000000u;
	ck_assert_int_eq(eb_vm_ioctl(eb_vm_fd, DRM_IOCTL_EDGEBERT_BO_CREATE, &c), -EINVAL);
	c.flags = 0;
	c.size = UINT64_MAX;	/* would overflow when page-aligned */
	ck_assert_int_eq(eb_vm_ioctl(eb_vm_fd, DRM_IOCTL_EDGEBERT_BO_CREATE, &c), -EINVAL);
	c.size = UINT64_MAX - 4095;
	ck_assert_int_eq(eb_vm_ioctl(eb_vm_fd, DRM_IOCTL_EDGEBERT_BO_CREATE, &c), -EINVAL);
}
END_TEST

START_TEST(test_bo_map_roundtrip)
{
	uint32_t h = bo_new(eb_vm_fd, 5000, 0);	/* rounded up to 2 pages */
	uint8_t *p = bo_map(eb_vm_fd, h, 8192);
	int i;

	for (i = 0; i < 8192; i++)
		ck_assert_uint_eq(p[i], 0);
	memset(p, 0xa5, 8192);
	munmap(p, 8192);
	p = bo_map(eb_vm_fd, h, 8192);
	ck_assert_uint_eq(p[8191], 0xa5);
	munmap(p, 8192);
}
END_TEST

START_TEST(test_bo_mmap_offset_invalid)
{
	struct drm_edgebert_bo_mmap_offset m = { .handle = 0xdead };

	ck_assert_int_eq(eb_vm_ioctl(eb_vm_fd, DRM_IOCTL_EDGEBERT_BO_MMAP_OFFSET, &m), -ENOENT);
	m.handle = bo_new(eb_vm_fd, 4096, 0);
	m.pad = 1;
	ck_assert_int_eq(eb_vm_ioctl(eb_vm_fd, DRM_IOCTL_EDGEBERT_BO_MMAP_OFFSET, &m), -EINVAL);
}
END_TEST

START_TEST(test_bo_wait)
{
	struct drm_edgebert_bo_wait w = { .handle = 0xdead };
	struct timespec ts;

	ck_assert_int_eq(eb_vm_ioctl(eb_vm_fd, DRM_IOCTL_EDGEBERT_BO_WAIT, &w), -ENOENT);
	w.handle = bo_new(eb_vm_fd, 4096, 0);
	w.pad = 1;
	ck_assert_int_eq(eb_vm_ioctl(eb_vm_fd, DRM_IOCTL_EDGEBERT_BO_WAIT, &w), -EINVAL);
	w.pad = 0;
	w.timeout_ns = 0;	/* idle BO: polling succeeds */
	ck_assert_int_eq(eb_vm_ioctl(eb_vm_fd, DRM_IOCTL_EDGEBERT_BO_WAIT, &w), 0);
	clock_gettime(CLOCK_MONOTONIC, &ts);
	w.timeout_ns = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec + 1000000;
	ck_assert_int_eq(eb_vm_ioctl(eb_vm_fd, DRM_IOCTL_EDGEBERT_BO_WAIT, &w), 0);
}
END_TEST

/* SUBMIT */

START_TEST(test_submit_nop_event)
{
	uint32_t cmd = cmdbuf_new(eb_vm_fd, EDGEBERT_CMD_NOP, 0);

	ck_assert_uint_eq(run_job(eb_vm_fd, cmd, 0x1234567890abcdefull), EDGEBERT_JOB_OK);
	ck_assert_uint_eq(run_job(eb_vm_fd, cmd, 7), EDGEBERT_JOB_OK);
}
END_TEST

START_TEST(test_submit_out_syncobj_and_wait)
{
	uint32_t cmd = cmdbuf_new(eb_vm_fd, EDGEBERT_CMD_NOP, 0), h[1] = { cmd }, sync, sync2;
	struct drm_edgebert_bo_wait w = { .handle = cmd };
	struct drm_edgebert_submit s;
	struct timespec ts;

	ck_assert_int_eq(drmSyncobjCreate(eb_vm_fd, 0, &sync), 0);
	ck_assert_int_eq(drmSyncobjCreate(eb_vm_fd, 0, &sync2), 0);
	submit_init(&s, h, 1);
	s.flags = 0;
	s.out_sync = sync;
	ck_assert_int_eq(eb_vm_ioctl(eb_vm_fd, DRM_IOCTL_EDGEBERT_SUBMIT, &s), 0);
	ck_assert_int_eq(drmSyncobjWait(eb_vm_fd, &sync, 1, INT64_MAX, 0, NULL), 0);

	/* A second job waits on the first one's syncobj. */
	submit_init(&s, h, 1);
	s.flags = 0;
	s.in_syncs = (uintptr_t)&sync;
	s.in_sync_count = 1;
	s.out_sync = sync2;
	ck_assert_int_eq(eb_vm_ioctl(eb_vm_fd, DRM_IOCTL_EDGEBERT_SUBMIT, &s), 0);
	clock_gettime(CLOCK_MONOTONIC, &ts);
	w.timeout_ns = (int64_t)(ts.tv_sec + 60) * 1000000000;
	ck_assert_int_eq(eb_vm_ioctl(eb_vm_fd, DRM_IOCTL_EDGEBERT_BO_WAIT, &w), 0);
	ck_assert_int_eq(drmSyncobjWait(eb_vm_fd, &sync2, 1, INT64_MAX, 0, NULL), 0);
	drmSyncobjDestroy(eb_vm_fd, sync);
	drmSyncobjDestroy(eb_vm_fd, sync2);
}
END_TEST

START_TEST(test_submit_invalid)
{
	uint32_t cmd = cmdbuf_new(eb_vm_fd, EDGEBERT_CMD_NOP, 0);
	uint32_t data = bo_new(eb_vm_fd, 4096, EDGEBERT_BO_NOEXEC);
	uint32_t h[2] = { cmd, data }, dup[2] = { cmd, cmd }, bad[1] = { 0xdead };
	uint32_t many[EDGEBERT_MAX_BOS_PER_JOB + 1], badsync = 0xdead;
	struct drm_edgebert_ext ext = { 0 };
	struct drm_edgebert_submit s;
	unsigned int i;

#define EXPECT(field_setup, err) do {					\
		submit_init(&s, h, 2);					\
		field_setup;						\
		ck_assert_int_eq(eb_vm_ioctl(eb_vm_fd, DRM_IOCTL_EDGEBERT_SUBMIT, &s), err); \
	} while (0)

	EXPECT(s.flags = 0x2, -EINVAL);
	EXPECT(s.flags = 0x80000000u, -EINVAL);
	EXPECT(s.extensions = (uintptr_t)&ext, -EINVAL);
	EXPECT(s.bo_count = 0, -EINVAL);
	for (i = 0; i < EDGEBERT_MAX_BOS_PER_JOB + 1; i++)
		many[i] = cmd;
	EXPECT((s.bo_handles = (uintptr_t)many,
		s.bo_count = EDGEBERT_MAX_BOS_PER_JOB + 1), -EINVAL);
	EXPECT(s.bo_handles = (uintptr_t)bad, -ENOENT);
	EXPECT((s.bo_handles = (uintptr_t)bad, s.bo_count = 1), -ENOENT);
	EXPECT(s.bo_handles = 8, -EFAULT);
	EXPECT(s.bo_handles = 0, -EINVAL);		/* NULL array */
	EXPECT(s.bo_handles = (uintptr_t)dup, -EINVAL);
	EXPECT(s.cmdbuf_index = 2, -EINVAL);
	EXPECT(s.cmdbuf_index = 1, -EINVAL);		/* NOEXEC */
	EXPECT(s.cmdbuf_size = 0, -EINVAL);
	EXPECT(s.cmdbuf_size = 12, -EINVAL);
	EXPECT(s.cmdbuf_offset = 4, -EINVAL);
	EXPECT(s.cmdbuf_offset = 4096, -EINVAL);	/* past the BO */
	EXPECT(s.cmdbuf_size = 4104, -EINVAL);
	EXPECT((s.cmdbuf_offset = 0xfffffff8u, s.cmdbuf_size = 16), -EINVAL);
	EXPECT(s.opp = 32, -EINVAL);
	EXPECT(s.opp = 0x7fffffff, -EINVAL);
	EXPECT(s.in_sync_count = EDGEBERT_MAX_SYNCS_PER_JOB + 1, -EINVAL);
	EXPECT(s.in_sync_count = 1, -EINVAL);		/* NULL array */
	EXPECT((s.in_syncs = (uintptr_t)&badsync, s.in_sync_count = 1), -ENOENT);
	EXPECT(s.out_sync = 0xdead, -ENOENT);
#undef EXPECT

	/* After all that, the fd still works. */
	ck_assert_uint_eq(run_job(eb_vm_fd, cmd, 1), EDGEBERT_JOB_OK);
}
END_TEST

START_TEST(test_bad_command_fails_only_its_job)
{
	uint32_t good = cmdbuf_new(eb_vm_fd, EDGEBERT_CMD_NOP, 0);
	uint32_t bad = cmdbuf_new(eb_vm_fd, 0x7f, 0);
	int other = eb_vm_open();

	ck_assert_int_ge(other, 0);
	ck_assert_uint_eq(run_job(eb_vm_fd, bad, 1), EDGEBERT_JOB_INVALID_CMD);
	ck_assert_uint_eq(run_job(eb_vm_fd, good, 2), EDGEBERT_JOB_OK);
	close(other);
}
END_TEST

/* Several processes, many jobs each: every completion arrives exactly once. */
START_TEST(test_concurrent_clients)
{
	enum { PROCS = 4, JOBS = 100, BATCH = 16 };
	int p, status;

	for (p = 0; p < PROCS; p++) {
		if (fork() == 0) {
			int f = eb_vm_open(), done = 0, sent = 0;
			uint32_t cmd = cmdbuf_new(f, EDGEBERT_CMD_NOP, 0), h[1] = { cmd };
			unsigned char seen[JOBS] = { 0 };

			while (done < JOBS) {
				struct drm_edgebert_event_job ev;
				struct drm_edgebert_submit s;

				while (sent < JOBS && sent - done < BATCH) {
					submit_init(&s, h, 1);
					s.user_data = sent++;
					if (eb_vm_ioctl(f, DRM_IOCTL_EDGEBERT_SUBMIT, &s))
						_exit(10);
				}
				if (read_event(f, &ev, 60000))
					_exit(11);
				if (ev.user_data >= JOBS || seen[ev.user_data]++ ||
				    ev.status != EDGEBERT_JOB_OK)
					_exit(12);
				done++;
			}
			_exit(0);
		}
	}
	for (p = 0; p < PROCS; p++) {
		ck_assert_int_gt(wait(&status), 0);
		ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
			      "client failed with status %d", status);
	}
}
END_TEST

/* DVFS */

START_TEST(test_dvfs)
{
	struct drm_edgebert_opp table[32];
	struct drm_edgebert_dvfs_get g = { .table = (uintptr_t)table, .table_count = 32 };
	struct drm_edgebert_dvfs_request r = { .opp = 0 };
	unsigned int count = eb_vm_prop("opp-count", 16), i;
	uint32_t cmd = cmdbuf_new(eb_vm_fd, EDGEBERT_CMD_NOP, 0);

	ck_assert_int_eq(eb_vm_ioctl(eb_vm_fd, DRM_IOCTL_EDGEBERT_DVFS_GET, &g), 0);
	ck_assert_uint_eq(g.table_count, count);
	ck_assert_uint_eq(g.min_opp, 0);
	ck_assert_uint_eq(g.max_opp, count - 1);
	for (i = 1; i < count; i++) {
		ck_assert_uint_gt(table[i].volt_uv, table[i - 1].volt_uv);
		ck_assert_uint_gt(table[i].freq_khz, table[i - 1].freq_khz);
	}
	ck_assert_uint_eq(table[count - 1].volt_uv, eb_vm_prop("volt-max-uv", 800000));

	r.flags = 1;
	ck_assert_int_eq(eb_vm_ioctl(eb_vm_fd, DRM_IOCTL_EDGEBERT_DVFS_REQUEST, &r), -EINVAL);
	r.flags = 0;
	r.pad = 1;
	ck_assert_int_eq(eb_vm_ioctl(eb_vm_fd, DRM_IOCTL_EDGEBERT_DVFS_REQUEST, &r), -EINVAL);
	r.pad = 0;
	r.opp = count;
	ck_assert_int_eq(eb_vm_ioctl(eb_vm_fd, DRM_IOCTL_EDGEBERT_DVFS_REQUEST, &r), -EINVAL);

	/* Jobs that pass OPP_CURRENT run at the requested point. */
	r.opp = 1;
	ck_assert_int_eq(eb_vm_ioctl(eb_vm_fd, DRM_IOCTL_EDGEBERT_DVFS_REQUEST, &r), 0);
	ck_assert_uint_eq(r.granted_opp, 1);
	ck_assert_uint_eq(run_job(eb_vm_fd, cmd, 0), EDGEBERT_JOB_OK);
	ck_assert_int_eq(eb_vm_ioctl(eb_vm_fd, DRM_IOCTL_EDGEBERT_DVFS_GET, &g), 0);
	ck_assert_uint_eq(g.current_opp, 1);
	r.opp = EDGEBERT_OPP_CURRENT;
	ck_assert_int_eq(eb_vm_ioctl(eb_vm_fd, DRM_IOCTL_EDGEBERT_DVFS_REQUEST, &r), 0);
}
END_TEST

START_TEST(test_stats_and_envm_info)
{
	struct drm_edgebert_stats a, b;
	struct drm_edgebert_envm_info info = { 0 };
	uint32_t cmd = cmdbuf_new(eb_vm_fd, EDGEBERT_CMD_NOP, 0), wear[8];

	ck_assert_int_eq(eb_vm_ioctl(eb_vm_fd, DRM_IOCTL_EDGEBERT_STATS, &a), 0);
	ck_assert_uint_eq(run_job(eb_vm_fd, cmd, 0), EDGEBERT_JOB_OK);
	ck_assert_int_eq(eb_vm_ioctl(eb_vm_fd, DRM_IOCTL_EDGEBERT_STATS, &b), 0);
	ck_assert_uint_ge(b.jobs_submitted, a.jobs_submitted + 1);
	ck_assert_uint_ge(b.jobs_completed, a.jobs_completed + 1);

	info.pad = 1;
	ck_assert_int_eq(eb_vm_ioctl(eb_vm_fd, DRM_IOCTL_EDGEBERT_ENVM_INFO, &info), -EINVAL);
	info.pad = 0;
	info.wear_count = 8;
	ck_assert_int_eq(eb_vm_ioctl(eb_vm_fd, DRM_IOCTL_EDGEBERT_ENVM_INFO, &info), -EINVAL);
	info.wear = (uintptr_t)wear;
	ck_assert_int_eq(eb_vm_ioctl(eb_vm_fd, DRM_IOCTL_EDGEBERT_ENVM_INFO, &info), 0);
	ck_assert_uint_eq(info.size, eb_vm_prop("envm-size", 4194304));
	ck_assert_uint_eq(info.page_size, eb_vm_prop("envm-page-size", 4096));
	ck_assert_uint_eq(info.page_count, 2 * info.size / info.page_size);
}
END_TEST

START_TEST(test_envm_program_invalid)
{
	struct drm_edgebert_envm_program p = { .handle = bo_new(eb_vm_fd, 8192, 0) };

	p.size = 4096;
	p.flags = 1;
	ck_assert_int_eq(eb_vm_ioctl(eb_vm_fd, DRM_IOCTL_EDGEBERT_ENVM_PROGRAM, &p), -EINVAL);
	p.flags = 0;
	p.size = 0;
	ck_assert_int_eq(eb_vm_ioctl(eb_vm_fd, DRM_IOCTL_EDGEBERT_ENVM_PROGRAM, &p), -EINVAL);
	p.size = 4096;
	p.bo_offset = 100;
	ck_assert_int_eq(eb_vm_ioctl(eb_vm_fd, DRM_IOCTL_EDGEBERT_ENVM_PROGRAM, &p), -EINVAL);
	p.bo_offset = 8192;
	ck_assert_int_eq(eb_vm_ioctl(eb_vm_fd, DRM_IOCTL_EDGEBERT_ENVM_PROGRAM, &p), -EINVAL);
	p.bo_offset = UINT64_MAX & ~4095ull;
	ck_assert_int_eq(eb_vm_ioctl(eb_vm_fd, DRM_IOCTL_EDGEBERT_ENVM_PROGRAM, &p), -EINVAL);
	p.bo_offset = 0;
	p.handle = 0xdead;
	ck_assert_int_eq(eb_vm_ioctl(eb_vm_fd, DRM_IOCTL_EDGEBERT_ENVM_PROGRAM, &p), -ENOENT);
}
END_TEST

/* Fault injection: only on a device started with faults=on. */

static volatile uint32_t *fault_regs(void)
{
	char path[128];
	void *p;
	int f;

	snprintf(path, sizeof(path), "/sys/class/drm/renderD128/device/resource0");
	f = open(path, O_RDWR | O_SYNC);
	if (f < 0)
		return NULL;
	p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, f, 0);
	close(f);
	return p == MAP_FAILED ? NULL : p;
}

static int has_faults(void)
{
	struct drm_edgebert_get_param gp = { .param = EDGEBERT_PARAM_FEATURES };

	ck_assert_int_eq(eb_vm_ioctl(eb_vm_fd, DRM_IOCTL_EDGEBERT_GET_PARAM, &gp), 0);
	return !!(gp.value & EDGEBERT_FEATURE_FAULT_INJECT);
}

static void check_fault(uint32_t bit, uint32_t want_status, int want_reset)
{
	uint32_t cmd = cmdbuf_new(eb_vm_fd, EDGEBERT_CMD_NOP, 0);
	struct drm_edgebert_stats a, b;
	volatile uint32_t *regs;
	int other = eb_vm_open();

	if (!has_faults()) {
		fprintf(stderr, "skipped: device without faults=on\n");
		close(other);
		return;
	}
	regs = fault_regs();
	ck_assert_ptr_nonnull((void *)regs);
	ck_assert_int_eq(eb_vm_ioctl(eb_vm_fd, DRM_IOCTL_EDGEBERT_STATS, &a), 0);
	regs[0x600 / 4] = bit;
	ck_assert_uint_eq(run_job(eb_vm_fd, cmd, 1), want_status);
	/* The device works again, for this client and for another. */
	ck_assert_uint_eq(run_job(eb_vm_fd, cmd, 2), EDGEBERT_JOB_OK);
	ck_assert_uint_eq(run_job(other, cmdbuf_new(other, EDGEBERT_CMD_NOP, 0), 3),
			  EDGEBERT_JOB_OK);
	ck_assert_int_eq(eb_vm_ioctl(eb_vm_fd, DRM_IOCTL_EDGEBERT_STATS, &b), 0);
	ck_assert_uint_eq(b.resets, a.resets + (want_reset ? 1 : 0));
	munmap((void *)regs, 4096);
	close(other);
}

START_TEST(test_fault_hang)
{
	check_fault(1u << 0, EDGEBERT_JOB_TIMEOUT, 1);
}
END_TEST

START_TEST(test_fault_fail)
{
	check_fault(1u << 1, EDGEBERT_JOB_DEVICE_ERROR, 0);
}
END_TEST

START_TEST(test_fault_corrupt_completion)
{
	check_fault(1u << 2, EDGEBERT_JOB_DEVICE_ERROR, 1);
}
END_TEST

/* A refused DVFS lock fails that job only; the point stays unchanged. */
START_TEST(test_fault_dvfs_refused)
{
	uint32_t cmd = cmdbuf_new(eb_vm_fd, EDGEBERT_CMD_NOP, 0), h[1] = { cmd };
	struct drm_edgebert_dvfs_get g = { 0 }, g2 = { 0 };
	struct drm_edgebert_event_job ev;
	struct drm_edgebert_submit s;
	volatile uint32_t *regs;

	if (!has_faults())
		return;
	regs = fault_regs();
	ck_assert_ptr_nonnull((void *)regs);
	ck_assert_int_eq(eb_vm_ioctl(eb_vm_fd, DRM_IOCTL_EDGEBERT_DVFS_GET, &g), 0);
	regs[0x600 / 4] = 1u << 3;
	submit_init(&s, h, 1);
	s.opp = g.current_opp ? 0 : 1;
	ck_assert_int_eq(eb_vm_ioctl(eb_vm_fd, DRM_IOCTL_EDGEBERT_SUBMIT, &s), 0);
	ck_assert_int_eq(read_event(eb_vm_fd, &ev, 60000), 0);
	ck_assert_uint_eq(ev.status, EDGEBERT_JOB_DVFS_FAULT);
	ck_assert_int_eq(eb_vm_ioctl(eb_vm_fd, DRM_IOCTL_EDGEBERT_DVFS_GET, &g2), 0);
	ck_assert_uint_eq(g2.current_opp, g.current_opp);
	/* The next switch works. */
	ck_assert_int_eq(eb_vm_ioctl(eb_vm_fd, DRM_IOCTL_EDGEBERT_SUBMIT, &s), 0);
	ck_assert_int_eq(read_event(eb_vm_fd, &ev, 60000), 0);
	ck_assert_uint_eq(ev.status, EDGEBERT_JOB_OK);
	ck_assert_uint_eq(ev.opp, s.opp);
	munmap((void *)regs, 4096);
}
END_TEST

/*
 * A device reset while an eNVM program waits behind a hung job (the device
 * programs only between jobs) abandons the program: the ioctl fails with
 * -EIO as soon as the reset is done, not after its own 30 s timeout, and
 * the committed image is unchanged. The next program works.
 */
START_TEST(test_fault_hang_abandons_envm_program)
{
	uint32_t cmd = cmdbuf_new(eb_vm_fd, EDGEBERT_CMD_NOP, 0), h[1] = { cmd };
	struct drm_edgebert_envm_info a = { 0 }, b = { 0 };
	struct drm_edgebert_envm_program p = { .size = 8192 };
	struct drm_edgebert_event_job ev;
	struct drm_edgebert_submit s;
	struct timespec t0, t1;
	volatile uint32_t *regs;
	uint8_t *img;
	double secs;

	if (!has_faults())
		return;
	regs = fault_regs();
	ck_assert_ptr_nonnull((void *)regs);
	ck_assert_int_eq(eb_vm_ioctl(eb_vm_fd, DRM_IOCTL_EDGEBERT_ENVM_INFO, &a), 0);
	p.handle = bo_new(eb_vm_fd, 8192, 0);
	img = bo_map(eb_vm_fd, p.handle, 8192);
	memset(img, 0x5a, 8192);
	munmap(img, 8192);

	regs[0x600 / 4] = 1u << 0;	/* the next job hangs */
	submit_init(&s, h, 1);
	ck_assert_int_eq(eb_vm_ioctl(eb_vm_fd, DRM_IOCTL_EDGEBERT_SUBMIT, &s), 0);
	usleep(200 * 1000);		/* let the device fetch it */

	clock_gettime(CLOCK_MONOTONIC, &t0);
	ck_assert_int_eq(eb_vm_ioctl(eb_vm_fd, DRM_IOCTL_EDGEBERT_ENVM_PROGRAM, &p), -EIO);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	secs = (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
	ck_assert_msg(secs < 20.0, "ENVM_PROGRAM returned after %.1f s", secs);
	ck_assert_int_eq(read_event(eb_vm_fd, &ev, 60000), 0);
	ck_assert_uint_eq(ev.status, EDGEBERT_JOB_TIMEOUT);

	ck_assert_int_eq(eb_vm_ioctl(eb_vm_fd, DRM_IOCTL_EDGEBERT_ENVM_INFO, &b), 0);
	ck_assert_uint_eq(b.generation, a.generation);
	ck_assert_uint_eq(b.image_crc32, a.image_crc32);
	ck_assert_uint_eq(b.image_size, a.image_size);

	ck_assert_int_eq(eb_vm_ioctl(eb_vm_fd, DRM_IOCTL_EDGEBERT_ENVM_PROGRAM, &p), 0);
	ck_assert_int_eq(eb_vm_ioctl(eb_vm_fd, DRM_IOCTL_EDGEBERT_ENVM_INFO, &b), 0);
	ck_assert_uint_eq(b.generation, a.generation + 1);
	ck_assert_uint_eq(b.image_size, 8192);
	munmap((void *)regs, 4096);
}
END_TEST

/* A hung job of one client; another client's queued job still completes. */
START_TEST(test_fault_hang_innocent_survives)
{
	uint32_t cmd = cmdbuf_new(eb_vm_fd, EDGEBERT_CMD_NOP, 0), h[1] = { cmd };
	struct drm_edgebert_event_job ev;
	struct drm_edgebert_submit s;
	volatile uint32_t *regs;
	int other;
	uint32_t ocmd, oh[1];

	if (!has_faults())
		return;
	other = eb_vm_open();
	ocmd = cmdbuf_new(other, EDGEBERT_CMD_NOP, 0);
	oh[0] = ocmd;
	regs = fault_regs();
	ck_assert_ptr_nonnull((void *)regs);
	regs[0x600 / 4] = 1u << 0;
	submit_init(&s, h, 1);
	ck_assert_int_eq(eb_vm_ioctl(eb_vm_fd, DRM_IOCTL_EDGEBERT_SUBMIT, &s), 0);
	submit_init(&s, oh, 1);
	ck_assert_int_eq(eb_vm_ioctl(other, DRM_IOCTL_EDGEBERT_SUBMIT, &s), 0);
	ck_assert_int_eq(read_event(other, &ev, 60000), 0);
	ck_assert_uint_eq(ev.status, EDGEBERT_JOB_OK);
	ck_assert_int_eq(read_event(eb_vm_fd, &ev, 60000), 0);
	ck_assert_uint_eq(ev.status, EDGEBERT_JOB_TIMEOUT);
	munmap((void *)regs, 4096);
	close(other);
}
END_TEST

/*
 * A fatal device error while no job is pending resets the device at once
 * (not only when the next job times out), and the next job runs normally.
 * The error: the submission ring moved (through BAR0) to an address
 * nothing decodes, then the doorbell: the descriptor fetch fails (fatal).
 */
START_TEST(test_fault_fatal_idle_resets)
{
	uint32_t cmd = cmdbuf_new(eb_vm_fd, EDGEBERT_CMD_NOP, 0);
	struct drm_edgebert_stats a, b;
	volatile uint32_t *regs;
	int i;

	if (!has_faults())
		return;
	regs = fault_regs();
	ck_assert_ptr_nonnull((void *)regs);
	/* Idle: every earlier job has completed. */
	ck_assert_uint_eq(run_job(eb_vm_fd, cmd, 1), EDGEBERT_JOB_OK);
	ck_assert_int_eq(eb_vm_ioctl(eb_vm_fd, DRM_IOCTL_EDGEBERT_STATS, &a), 0);

	regs[0x00c / 4] = 1u << 2;		/* CONTROL: QUEUE_DISABLE */
	regs[0x400 / 4] = 0;			/* SQ_BASE: 1 TiB */
	regs[0x404 / 4] = 0x100;
	regs[0x00c / 4] = 1u << 1;		/* CONTROL: QUEUE_ENABLE */
	regs[0x40c / 4] = 1;			/* SQ_TAIL */

	for (i = 0; i < 100; i++) {
		ck_assert_int_eq(eb_vm_ioctl(eb_vm_fd, DRM_IOCTL_EDGEBERT_STATS, &b), 0);
		if (b.resets != a.resets)
			break;
		usleep(20000);
	}
	ck_assert_uint_eq(b.resets, a.resets + 1);
	ck_assert_uint_eq(regs[0x008 / 4] & (1u << 2), 0);	/* not FATAL */
	ck_assert_uint_eq(run_job(eb_vm_fd, cmd, 2), EDGEBERT_JOB_OK);
	munmap((void *)regs, 4096);
}
END_TEST

/*
 * Unbinding the driver with a job hung on the device, one queued on the
 * ring behind it and one waiting for the first on its entity: the device
 * stops, both ring jobs complete as ABORTED, the fd stays open (ioctls:
 * -ENODEV; events can still be read), closing it frees the waiting job
 * and the rebound device works. No WARN or oops (run-vm-suites).
 */
START_TEST(test_unbind_with_jobs_in_flight)
{
	char link[256], addr[256];
	const char *base;
	uint32_t cmd, h[1], sync;
	struct drm_edgebert_event_job ev[2];
	struct drm_edgebert_submit s;
	volatile uint32_t *regs;
	int f, ret, ev1, ev2;
	ssize_t n;

	if (!has_faults() || geteuid() != 0)
		return;
	n = readlink("/sys/class/drm/renderD128/device", link, sizeof(link) - 1);
	ck_assert_int_gt(n, 0);
	link[n] = 0;
	base = strrchr(link, '/');
	snprintf(addr, sizeof(addr), "%s", base ? base + 1 : link);
	/* Only our fd may hold the device, so that it comes back as renderD128. */
	close(eb_vm_fd);
	eb_vm_fd = -1;
	f = open("/dev/dri/renderD128", O_RDWR | O_CLOEXEC);
	ck_assert_int_ge(f, 0);

	cmd = cmdbuf_new(f, EDGEBERT_CMD_NOP, 0);
	h[0] = cmd;
	ck_assert_int_eq(drmSyncobjCreate(f, 0, &sync), 0);
	regs = fault_regs();
	ck_assert_ptr_nonnull((void *)regs);
	regs[0x600 / 4] = 1u << 0;		/* hang the next job */
	munmap((void *)regs, 4096);

	submit_init(&s, h, 1);
	s.user_data = 1;
	s.out_sync = sync;
	ck_assert_int_eq(eb_vm_ioctl(f, DRM_IOCTL_EDGEBERT_SUBMIT, &s), 0);
	submit_init(&s, h, 1);
	s.user_data = 2;
	ck_assert_int_eq(eb_vm_ioctl(f, DRM_IOCTL_EDGEBERT_SUBMIT, &s), 0);
	/* Waits for the hung job's fence on its entity: never on the ring. */
	submit_init(&s, h, 1);
	s.user_data = 3;
	s.in_syncs = (uintptr_t)&sync;
	s.in_sync_count = 1;
	ck_assert_int_eq(eb_vm_ioctl(f, DRM_IOCTL_EDGEBERT_SUBMIT, &s), 0);
	usleep(200000);

	ck_assert_int_eq(eb_vm_sysfs_write("/sys/bus/pci/drivers/edgebert/unbind", addr), 0);
	/* Checked after the rebind, which the suites after this one need. */
	submit_init(&s, h, 1);
	ret = eb_vm_ioctl(f, DRM_IOCTL_EDGEBERT_SUBMIT, &s);
	ev1 = read_event(f, &ev[0], 10000);
	ev2 = read_event(f, &ev[1], 10000);
	close(f);
	ck_assert_int_eq(eb_vm_sysfs_write("/sys/bus/pci/drivers/edgebert/bind", addr), 0);

	ck_assert_int_eq(ret, -ENODEV);
	ck_assert_int_eq(ev1, 0);
	ck_assert_uint_eq(ev[0].user_data, 1);
	ck_assert_uint_eq(ev[0].status, EDGEBERT_JOB_ABORTED);
	ck_assert_int_eq(ev2, 0);
	ck_assert_uint_eq(ev[1].user_data, 2);
	ck_assert_uint_eq(ev[1].status, EDGEBERT_JOB_ABORTED);

	f = open("/dev/dri/renderD128", O_RDWR | O_CLOEXEC);
	ck_assert_int_ge(f, 0);
	ck_assert_uint_eq(run_job(f, cmdbuf_new(f, EDGEBERT_CMD_NOP, 0), 4), EDGEBERT_JOB_OK);
	close(f);
	eb_vm_fd = eb_vm_open();
}
END_TEST

Suite *eb_test_suite(void)
{
	Suite *s = suite_create("drm_jobs");
	TCase *tc = tcase_create("ioctls");
	TCase *tf = tcase_create("faults");

	tcase_add_checked_fixture(tc, eb_vm_setup, eb_vm_teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_bo_create_invalid);
	tcase_add_test(tc, test_bo_map_roundtrip);
	tcase_add_test(tc, test_bo_mmap_offset_invalid);
	tcase_add_test(tc, test_bo_wait);
	tcase_add_test(tc, test_submit_nop_event);
	tcase_add_test(tc, test_submit_out_syncobj_and_wait);
	tcase_add_test(tc, test_submit_invalid);
	tcase_add_test(tc, test_bad_command_fails_only_its_job);
	tcase_add_test(tc, test_concurrent_clients);
	tcase_add_test(tc, test_dvfs);
	tcase_add_test(tc, test_stats_and_envm_info);
	tcase_add_test(tc, test_envm_program_invalid);
	suite_add_tcase(s, tc);

	tcase_add_checked_fixture(tf, eb_vm_setup, eb_vm_teardown);
	tcase_set_timeout(tf, 120);
	tcase_add_test(tf, test_fault_hang);
	tcase_add_test(tf, test_fault_fail);
	tcase_add_test(tf, test_fault_corrupt_completion);
	tcase_add_test(tf, test_fault_hang_innocent_survives);
	tcase_add_test(tf, test_fault_hang_abandons_envm_program);
	tcase_add_test(tf, test_fault_dvfs_refused);
	tcase_add_test(tf, test_fault_fatal_idle_resets);
	tcase_add_test(tf, test_unbind_with_jobs_in_flight);
	suite_add_tcase(s, tf);
	return s;
}
