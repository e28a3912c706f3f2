// SPDX-License-Identifier: MIT
/* Device telemetry: the edgebert genetlink events group through libnl-genl. */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>

#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <netlink/netlink.h>

#include "edgebert/telemetry.h"
#include "edgebert_netlink.h"

struct eb_telemetry {
	struct nl_sock *sk;
	/* the read in progress: where the callback stores events */
	struct eb_telemetry_event *out;
	unsigned int n, max;
};

static const enum eb_telemetry_kind kinds[] = {
	[EDGEBERT_CMD_JOB_DONE] = EB_TELEMETRY_JOB_DONE,
	[EDGEBERT_CMD_DVFS_CHANGE] = EB_TELEMETRY_DVFS_CHANGE,
	[EDGEBERT_CMD_ENVM_PROGRAMMED] = EB_TELEMETRY_ENVM_PROGRAMMED,
	[EDGEBERT_CMD_RESET] = EB_TELEMETRY_RESET,
};

static uint32_t u32_of(struct nlattr **a, int i)
{
	return a[i] ? nla_get_u32(a[i]) : 0;
}

static uint64_t u64_of(struct nlattr **a, int i)
{
	return a[i] ? nla_get_u64(a[i]) : 0;
}

static int on_msg(struct nl_msg *msg, void *arg)
{
	struct eb_telemetry *t = arg;
	struct genlmsghdr *gh = nlmsg_data(nlmsg_hdr(msg));
	struct nlattr *a[EDGEBERT_A_MAX + 1];
	struct eb_telemetry_event *ev;

	if (gh->cmd >= sizeof(kinds) / sizeof(kinds[0]) || !kinds[gh->cmd] || t->n >= t->max)
		return NL_SKIP;
	if (genlmsg_parse(nlmsg_hdr(msg), 0, a, EDGEBERT_A_MAX, NULL))
		return NL_SKIP;
	ev = &t->out[t->n++];
	*ev = (struct eb_telemetry_event){
		.kind = kinds[gh->cmd],
		.device = u32_of(a, EDGEBERT_A_DEVICE),
		.job_id = u64_of(a, EDGEBERT_A_JOB_ID),
		.status = u32_of(a, EDGEBERT_A_JOB_STATUS),
		.exit_layer = u32_of(a, EDGEBERT_A_EXIT_LAYER),
		.opp = u32_of(a, EDGEBERT_A_OPP),
		.opp_prev = u32_of(a, EDGEBERT_A_OPP_PREV),
		.freq_khz = u32_of(a, EDGEBERT_A_FREQ_KHZ),
		.volt_uv = u32_of(a, EDGEBERT_A_VOLT_UV),
		.cycles = u64_of(a, EDGEBERT_A_CYCLES),
		.device_ns = u64_of(a, EDGEBERT_A_DEVICE_NS),
		.energy_pj = u64_of(a, EDGEBERT_A_ENERGY_PJ),
		.latency_ns = u64_of(a, EDGEBERT_A_LATENCY_NS),
		.envm_generation = u32_of(a, EDGEBERT_A_ENVM_GENERATION),
		.envm_size = u64_of(a, EDGEBERT_A_ENVM_SIZE),
		.reset_reason = u32_of(a, EDGEBERT_A_RESET_REASON),
	};
	return NL_OK;
}

int eb_telemetry_open(struct eb_telemetry **out)
{
	struct eb_telemetry *t;
	int grp, ret;

	*out = NULL;
	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	t->sk = nl_socket_alloc();
	if (!t->sk) {
		free(t);
		return -ENOMEM;
	}
	/* events are not replies to anything */
	nl_socket_disable_seq_check(t->sk);
	nl_socket_modify_cb(t->sk, NL_CB_VALID, NL_CB_CUSTOM, on_msg, t);
	ret = genl_connect(t->sk);
	if (!ret) {
		grp = genl_ctrl_resolve_grp(t->sk, EDGEBERT_GENL_NAME, EDGEBERT_GENL_MCGRP_EVENTS);
		ret = grp < 0 ? -ENOENT : nl_socket_add_membership(t->sk, grp);
	}
	if (!ret)
		ret = nl_socket_set_nonblocking(t->sk);
	/* bursts of job events: a larger buffer loses fewer of them */
	if (!ret)
		nl_socket_set_buffer_size(t->sk, 1 << 20, 0);
	if (ret) {
		eb_telemetry_close(t);
		return ret == -ENOENT ? ret : -EIO;
	}
	*out = t;
	return 0;
}

void eb_telemetry_close(struct eb_telemetry *t)
{
	if (!t)
		return;
	nl_socket_free(t->sk);
	free(t);
}

int eb_telemetry_fd(const struct eb_telemetry *t)
{
	return nl_socket_get_fd(t->sk);
}

int eb_telemetry_read(struct eb_telemetry *t, struct eb_telemetry_event *ev,
		      unsigned int max, int timeout_ms)
{
	struct pollfd p = { .fd = nl_socket_get_fd(t->sk), .events = POLLIN };
	int ret;

	t->out = ev;
	t->n = 0;
	t->max = max;
	while (!t->n && max) {
		ret = poll(&p, 1, timeout_ms);
		if (ret < 0)
			return errno == EINTR ? 0 : -errno;
		if (!ret)
			break;
		/* nonblocking: drains what is queued, then -NLE_AGAIN */
		while (t->n < max && (ret = nl_recvmsgs_default(t->sk)) >= 0)
			;
		/* -NLE_NOMEM: the socket overran (ENOBUFS), events were lost; go on */
		if (ret < 0 && ret != -NLE_AGAIN && ret != -NLE_NOMEM && !t->n)
			return -EIO;
	}
	return (int)t->n;
}
