// SPDX-License-Identifier: MIT
/*
 * In-guest suite: the DVFS sysfs ABI (docs/sysfs-abi.md) and the
 * "edgebert" generic netlink family (docs/netlink.md) of edgebert.ko.
 */
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <sys/mman.h>

#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <netlink/netlink.h>

#include "check_main.h"
#include "edgebert_netlink.h"
#include "vm_util.h"

#define DVFS "/sys/class/drm/renderD128/device/dvfs/"

static int sysfs_get(const char *name, char *buf, size_t len)
{
	FILE *f = fopen(name, "r");
	size_t n;

	if (!f)
		return -errno;
	n = fread(buf, 1, len - 1, f);
	buf[n] = 0;
	fclose(f);
	return 0;
}

static unsigned int parse_table(const char *buf, unsigned int f[], unsigned int v[])
{
	unsigned int n = 0;
	int used;

	while (n < 32 && sscanf(buf, "%u %u\n%n", &f[n], &v[n], &used) == 2) {
		buf += used;
		n++;
	}
	return n;
}

START_TEST(test_opp_table_read)
{
	unsigned int f[32], v[32], n, i;
	char buf[4096];

	ck_assert_int_eq(sysfs_get(DVFS "opp_table", buf, sizeof(buf)), 0);
	n = parse_table(buf, f, v);
	ck_assert_uint_eq(n, eb_vm_prop("opp-count", 16));
	ck_assert_uint_eq(v[0], eb_vm_prop("volt-min-uv", 500000));
	ck_assert_uint_eq(v[n - 1], eb_vm_prop("volt-max-uv", 800000));
	for (i = 1; i < n; i++)
		ck_assert(f[i] > f[i - 1] && v[i] > v[i - 1]);
	ck_assert_int_eq(sysfs_get(DVFS "time_in_state", buf, sizeof(buf)), 0);
	ck_assert_int_eq(sysfs_get(DVFS "energy_pj", buf, sizeof(buf)), 0);
	ck_assert_int_eq(sysfs_get(DVFS "cur_opp", buf, sizeof(buf)), 0);
	ck_assert_uint_lt(strtoul(buf, NULL, 0), n);
}
END_TEST

START_TEST(test_opp_table_write)
{
	unsigned int f[32], v[32], n, i;
	char orig[4096], buf[4096], *p;

	ck_assert_int_eq(sysfs_get(DVFS "opp_table", orig, sizeof(orig)), 0);
	n = parse_table(orig, f, v);
	ck_assert_uint_ge(n, 3);

	/* A valid shorter, slower table. */
	p = buf;
	for (i = 0; i < n - 1; i++)
		p += sprintf(p, "%u %u\n", f[i] - 1000, v[i]);
	ck_assert_int_eq(eb_vm_sysfs_write(DVFS "opp_table", buf), 0);
	ck_assert_int_eq(sysfs_get(DVFS "max_opp", buf, sizeof(buf)), 0);
	ck_assert_uint_eq(strtoul(buf, NULL, 0), n - 2);

	/* Not monotonic. */
	sprintf(buf, "%u %u\n%u %u\n", f[1], v[1], f[0], v[0]);
	ck_assert_int_eq(eb_vm_sysfs_write(DVFS "opp_table", buf), -EINVAL);
	/* Faster than the law allows at that voltage. */
	sprintf(buf, "%u %u\n", f[1] + 1000, v[0]);
	ck_assert_int_eq(eb_vm_sysfs_write(DVFS "opp_table", buf), -ERANGE);
	/* Voltage outside the device's limits. */
	sprintf(buf, "%u %u\n", f[0], v[n - 1] + 1);
	ck_assert_int_eq(eb_vm_sysfs_write(DVFS "opp_table", buf), -ERANGE);
	sprintf(buf, "%u %u\n", f[0], v[0] - 1);
	ck_assert_int_eq(eb_vm_sysfs_write(DVFS "opp_table", buf), -ERANGE);
	ck_assert_int_eq(eb_vm_sysfs_write(DVFS "opp_table", "garbage"), -EINVAL);

	/* Restore. */
	ck_assert_int_eq(eb_vm_sysfs_write(DVFS "opp_table", orig), 0);
	ck_assert_int_eq(eb_vm_sysfs_write(DVFS "max_opp", "100"), -EINVAL);
	sprintf(buf, "%u", n - 1);
	ck_assert_int_eq(eb_vm_sysfs_write(DVFS "max_opp", buf), 0);
	ck_assert_int_eq(sysfs_get(DVFS "opp_table", buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, orig);
}
END_TEST

START_TEST(test_window_clamps_requests)
{
	struct drm_edgebert_dvfs_request r = { .opp = 0 };
	int fd = eb_vm_open();

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(eb_vm_sysfs_write(DVFS "min_opp", "2"), 0);
	ck_assert_int_eq(eb_vm_sysfs_write(DVFS "max_opp", "1"), -EINVAL);
	ck_assert_int_eq(eb_vm_ioctl(fd, DRM_IOCTL_EDGEBERT_DVFS_REQUEST, &r), 0);
	ck_assert_uint_eq(r.granted_opp, 2);
	ck_assert_int_eq(eb_vm_sysfs_write(DVFS "min_opp", "0"), 0);
	ck_assert_int_eq(eb_vm_ioctl(fd, DRM_IOCTL_EDGEBERT_DVFS_REQUEST, &r), 0);
	ck_assert_uint_eq(r.granted_opp, 0);
	close(fd);
}
END_TEST

/* netlink */

struct nl_seen {
	int stats;
	int job_done;
	uint64_t job_id;
};

static int on_msg(struct nl_msg *msg, void *arg)
{
	struct genlmsghdr *gh = nlmsg_data(nlmsg_hdr(msg));
	struct nlattr *tb[EDGEBERT_A_MAX + 1];
	struct nl_seen *seen = arg;

	if (genlmsg_parse(nlmsg_hdr(msg), 0, tb, EDGEBERT_A_MAX, NULL))
		return NL_SKIP;
	ck_assert_ptr_nonnull(tb[EDGEBERT_A_DEVICE]);
	if (gh->cmd == EDGEBERT_CMD_GET_STATS) {
		ck_assert_ptr_nonnull(tb[EDGEBERT_A_STATS_JOBS_SUBMITTED]);
		seen->stats++;
	} else if (gh->cmd == EDGEBERT_CMD_JOB_DONE && tb[EDGEBERT_A_JOB_ID] &&
		   nla_get_u64(tb[EDGEBERT_A_JOB_ID]) == seen->job_id) {
		ck_assert_uint_eq(nla_get_u32(tb[EDGEBERT_A_JOB_STATUS]), EDGEBERT_JOB_OK);
		ck_assert_ptr_nonnull(tb[EDGEBERT_A_LATENCY_NS]);
		seen->job_done++;
	}
	return NL_OK;
}

START_TEST(test_genl_family_and_stats_dump)
{
	struct nl_sock *sk = nl_socket_alloc();
	struct nl_seen seen = { 0 };
	struct nl_msg *msg;
	int family;

	ck_assert_ptr_nonnull(sk);
	ck_assert_int_eq(genl_connect(sk), 0);
	family = genl_ctrl_resolve(sk, EDGEBERT_GENL_NAME);
	ck_assert_int_gt(family, 0);
	ck_assert_int_gt(genl_ctrl_resolve_grp(sk, EDGEBERT_GENL_NAME,
					       EDGEBERT_GENL_MCGRP_EVENTS), 0);
	msg = nlmsg_alloc();
	genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, family, 0, NLM_F_DUMP,
		    EDGEBERT_CMD_GET_STATS, EDGEBERT_GENL_VERSION);
	nl_socket_modify_cb(sk, NL_CB_VALID, NL_CB_CUSTOM, on_msg, &seen);
	ck_assert_int_ge(nl_send_auto(sk, msg), 0);
	ck_assert_int_ge(nl_recvmsgs_default(sk), 0);
	ck_assert_int_ge(seen.stats, 1);
	nlmsg_free(msg);
	nl_socket_free(sk);
}
END_TEST

/* iproute2 finds the family too (tools/vm/run puts genl in the guest). */
START_TEST(test_genl_ctrl_list_shows_family)
{
	FILE *p = popen("genl ctrl list 2>&1", "r");
	char line[256];
	int found = 0;

	ck_assert_ptr_nonnull(p);
	while (fgets(line, sizeof(line), p))
		found |= strstr(line, "Name: " EDGEBERT_GENL_NAME) != NULL;
	ck_assert_int_eq(pclose(p), 0);
	ck_assert_msg(found, "genl ctrl list does not show the edgebert family");
}
END_TEST

START_TEST(test_genl_job_done_event)
{
	struct nl_sock *sk = nl_socket_alloc();
	struct nl_seen seen = { 0 };
	struct drm_edgebert_bo_create c = { .size = 4096 };
	struct drm_edgebert_bo_mmap_offset m = { 0 };
	struct drm_edgebert_submit s = { 0 };
	int fd = eb_vm_open(), grp, i;
	uint32_t *w;

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(genl_connect(sk), 0);
	grp = genl_ctrl_resolve_grp(sk, EDGEBERT_GENL_NAME, EDGEBERT_GENL_MCGRP_EVENTS);
	ck_assert_int_gt(grp, 0);
	ck_assert_int_eq(nl_socket_add_membership(sk, grp), 0);
	nl_socket_disable_seq_check(sk);
	nl_socket_modify_cb(sk, NL_CB_VALID, NL_CB_CUSTOM, on_msg, &seen);

	ck_assert_int_eq(eb_vm_ioctl(fd, DRM_IOCTL_EDGEBERT_BO_CREATE, &c), 0);
	m.handle = c.handle;
	ck_assert_int_eq(eb_vm_ioctl(fd, DRM_IOCTL_EDGEBERT_BO_MMAP_OFFSET, &m), 0);
	w = mmap(NULL, 4096, PROT_WRITE, MAP_SHARED, fd, m.offset);
	ck_assert_ptr_ne(w, MAP_FAILED);
	for (i = 0; i < 4; i++)
		w[i] = 2u << 16;	/* NOP, 2 words */
	munmap(w, 4096);

	s.bo_handles = (uintptr_t)&c.handle;
	s.bo_count = 1;
	s.cmdbuf_size = 16;
	s.opp = EDGEBERT_OPP_CURRENT;
	ck_assert_int_eq(eb_vm_ioctl(fd, DRM_IOCTL_EDGEBERT_SUBMIT, &s), 0);
	seen.job_id = s.job_id;
	while (!seen.job_done) {
		struct pollfd p = { .fd = nl_socket_get_fd(sk), .events = POLLIN };

		ck_assert_int_eq(poll(&p, 1, 60000), 1);
		ck_assert_int_ge(nl_recvmsgs_default(sk), 0);
	}
	nl_socket_free(sk);
	close(fd);
}
END_TEST

Suite *eb_test_suite(void)
{
	Suite *s = suite_create("drm_sysfs_netlink");
	TCase *tc = tcase_create("sysfs");
	TCase *tn = tcase_create("netlink");

	tcase_add_test(tc, test_opp_table_read);
	tcase_add_test(tc, test_opp_table_write);
	tcase_add_test(tc, test_window_clamps_requests);
	suite_add_tcase(s, tc);
	tcase_set_timeout(tn, 90);
	tcase_add_test(tn, test_genl_family_and_stats_dump);
	tcase_add_test(tn, test_genl_ctrl_list_shows_family);
	tcase_add_test(tn, test_genl_job_done_event);
	suite_add_tcase(s, tn);
	return s;
}
