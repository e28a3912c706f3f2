/* SPDX-License-Identifier: MIT */
/*
 * EdgeBERT generic netlink family: device events and stats.
 *
 * Family EDGEBERT_GENL_NAME, multicast group EDGEBERT_GENL_MCGRP_EVENTS.
 * Every message carries EDGEBERT_A_DEVICE (the DRM minor of the render
 * node). See docs/netlink.md.
 */
#ifndef _EDGEBERT_NETLINK_H_
#define _EDGEBERT_NETLINK_H_

#define EDGEBERT_GENL_NAME		"edgebert"
#define EDGEBERT_GENL_VERSION		1
#define EDGEBERT_GENL_MCGRP_EVENTS	"events"

enum edgebert_genl_cmd {
	EDGEBERT_CMD_UNSPEC,
	EDGEBERT_CMD_JOB_DONE,		/* event */
	EDGEBERT_CMD_DVFS_CHANGE,	/* event */
	EDGEBERT_CMD_ENVM_PROGRAMMED,	/* event */
	EDGEBERT_CMD_RESET,		/* event */
	EDGEBERT_CMD_GET_STATS,		/* request, dump: one message per device */

	__EDGEBERT_CMD_MAX,
	EDGEBERT_CMD_MAX = __EDGEBERT_CMD_MAX - 1
};

enum edgebert_genl_attr {
	EDGEBERT_A_UNSPEC,
	EDGEBERT_A_DEVICE,		/* u32: DRM render minor */
	EDGEBERT_A_JOB_ID,		/* u64 */
	EDGEBERT_A_JOB_STATUS,		/* u32: enum drm_edgebert_job_status */
	EDGEBERT_A_EXIT_LAYER,		/* u32 */
	EDGEBERT_A_OPP,			/* u32 */
	EDGEBERT_A_OPP_PREV,		/* u32 */
	EDGEBERT_A_FREQ_KHZ,		/* u32 */
	EDGEBERT_A_VOLT_UV,		/* u32 */
	EDGEBERT_A_CYCLES,		/* u64 */
	EDGEBERT_A_DEVICE_NS,		/* u64: modeled device time */
	EDGEBERT_A_ENERGY_PJ,		/* u64 */
	EDGEBERT_A_LATENCY_NS,		/* u64: submit to completion, host clock */
	EDGEBERT_A_ENVM_GENERATION,	/* u32 */
	EDGEBERT_A_ENVM_SIZE,		/* u64 */
	EDGEBERT_A_RESET_REASON,	/* u32: enum edgebert_reset_reason */
	EDGEBERT_A_STATS_JOBS_SUBMITTED,	/* u64 */
	EDGEBERT_A_STATS_JOBS_COMPLETED,	/* u64 */
	EDGEBERT_A_STATS_JOBS_FAILED,		/* u64 */
	EDGEBERT_A_STATS_RESETS,		/* u64 */
	EDGEBERT_A_STATS_DVFS_TRANSITIONS,	/* u64 */
	EDGEBERT_A_PAD,

	__EDGEBERT_A_MAX,
	EDGEBERT_A_MAX = __EDGEBERT_A_MAX - 1
};

enum edgebert_reset_reason {
	EDGEBERT_RESET_TIMEOUT = 1,	/* a job hung */
	EDGEBERT_RESET_DEVICE_ERROR = 2,	/* device reported a fatal error */
	EDGEBERT_RESET_BAD_COMPLETION = 3,	/* corrupt completion record */
};

#endif /* _EDGEBERT_NETLINK_H_ */
