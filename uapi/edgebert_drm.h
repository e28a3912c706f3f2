/* SPDX-License-Identifier: MIT */
/*
 * EdgeBERT accelerator: kernel <-> userspace ABI of the edgebert DRM driver.
 *
 * Conventions (Documentation/process/botching-up-ioctls.rst):
 *  - every struct is 64-bit aligned and padded explicitly; pads must be 0;
 *  - every flags field rejects unknown bits with -EINVAL;
 *  - pointers to user memory are __u64;
 *  - timeouts are absolute CLOCK_MONOTONIC nanoseconds (restartable);
 *  - structs only grow at the end; the DRM core zero-extends old callers.
 *
 * See docs/uapi.md for the semantics of each ioctl and its errors.
 */
#ifndef _EDGEBERT_DRM_H_
#define _EDGEBERT_DRM_H_

#if defined(__KERNEL__)
#include <drm/drm.h>
#else
#include <drm.h>
#endif

#if defined(__cplusplus)
extern "C" {
#endif

#define DRM_EDGEBERT_GET_PARAM		0x00
#define DRM_EDGEBERT_BO_CREATE		0x01
#define DRM_EDGEBERT_BO_MMAP_OFFSET	0x02
#define DRM_EDGEBERT_BO_WAIT		0x03
#define DRM_EDGEBERT_SUBMIT		0x04
#define DRM_EDGEBERT_ENVM_INFO		0x05
#define DRM_EDGEBERT_ENVM_PROGRAM	0x06
#define DRM_EDGEBERT_DVFS_GET		0x07
#define DRM_EDGEBERT_DVFS_REQUEST	0x08
#define DRM_EDGEBERT_STATS		0x09

#define DRM_IOCTL_EDGEBERT_GET_PARAM \
	DRM_IOWR(DRM_COMMAND_BASE + DRM_EDGEBERT_GET_PARAM, struct drm_edgebert_get_param)
#define DRM_IOCTL_EDGEBERT_BO_CREATE \
	DRM_IOWR(DRM_COMMAND_BASE + DRM_EDGEBERT_BO_CREATE, struct drm_edgebert_bo_create)
#define DRM_IOCTL_EDGEBERT_BO_MMAP_OFFSET \
	DRM_IOWR(DRM_COMMAND_BASE + DRM_EDGEBERT_BO_MMAP_OFFSET, struct drm_edgebert_bo_mmap_offset)
#define DRM_IOCTL_EDGEBERT_BO_WAIT \
	DRM_IOW(DRM_COMMAND_BASE + DRM_EDGEBERT_BO_WAIT, struct drm_edgebert_bo_wait)
#define DRM_IOCTL_EDGEBERT_SUBMIT \
	DRM_IOWR(DRM_COMMAND_BASE + DRM_EDGEBERT_SUBMIT, struct drm_edgebert_submit)
#define DRM_IOCTL_EDGEBERT_ENVM_INFO \
	DRM_IOWR(DRM_COMMAND_BASE + DRM_EDGEBERT_ENVM_INFO, struct drm_edgebert_envm_info)
#define DRM_IOCTL_EDGEBERT_ENVM_PROGRAM \
	DRM_IOW(DRM_COMMAND_BASE + DRM_EDGEBERT_ENVM_PROGRAM, struct drm_edgebert_envm_program)
#define DRM_IOCTL_EDGEBERT_DVFS_GET \
	DRM_IOWR(DRM_COMMAND_BASE + DRM_EDGEBERT_DVFS_GET, struct drm_edgebert_dvfs_get)
#define DRM_IOCTL_EDGEBERT_DVFS_REQUEST \
	DRM_IOWR(DRM_COMMAND_BASE + DRM_EDGEBERT_DVFS_REQUEST, struct drm_edgebert_dvfs_request)
#define DRM_IOCTL_EDGEBERT_STATS \
	DRM_IOWR(DRM_COMMAND_BASE + DRM_EDGEBERT_STATS, struct drm_edgebert_stats)

/*
 * GET_PARAM: read one value the hardware reports (capability registers,
 * docs/device.md) or the driver derives. Unknown param or nonzero pad:
 * -EINVAL.
 */
enum drm_edgebert_param {
	EDGEBERT_PARAM_DEVICE_VERSION = 0,	/* major << 16 | minor */
	EDGEBERT_PARAM_FEATURES,		/* EDGEBERT_FEATURE_* */
	EDGEBERT_PARAM_MAC_LANES,		/* MACs per cycle */
	EDGEBERT_PARAM_VECTOR_LANES,		/* special-function lanes per cycle */
	EDGEBERT_PARAM_FREQ_MIN_KHZ,
	EDGEBERT_PARAM_FREQ_MAX_KHZ,
	EDGEBERT_PARAM_VOLT_MIN_UV,
	EDGEBERT_PARAM_VOLT_MAX_UV,
	EDGEBERT_PARAM_OPP_COUNT,		/* entries in the OPP table */
	EDGEBERT_PARAM_ENVM_SIZE,		/* bytes */
	EDGEBERT_PARAM_ENVM_PAGE_SIZE,		/* bytes */
	EDGEBERT_PARAM_SRAM_WEIGHT_SIZE,	/* bytes */
	EDGEBERT_PARAM_SRAM_ACT_SIZE,		/* bytes */
	EDGEBERT_PARAM_SQ_ENTRIES,		/* submission ring entries max */
	EDGEBERT_PARAM_CQ_ENTRIES,		/* completion ring entries max */
	EDGEBERT_PARAM_MAX_SEQ_LEN,
	EDGEBERT_PARAM_MAX_HIDDEN,
	EDGEBERT_PARAM_MAX_HEADS,
	EDGEBERT_PARAM_MAX_FFN,
	EDGEBERT_PARAM_LDO_STEP_UV,		/* LDO voltage step */
	EDGEBERT_PARAM_LDO_SETTLE_NS,		/* settle time per LDO step */
	EDGEBERT_PARAM_ADPLL_RELOCK_NS,		/* ADPLL relock time */
	EDGEBERT_PARAM_MAC_ENERGY_FJ,		/* dynamic energy per MAC at VOLT_MAX */
	EDGEBERT_PARAM_VECTOR_ENERGY_FJ,	/* per special-function lane op at VOLT_MAX */
	EDGEBERT_PARAM_LEAKAGE_UW,		/* leakage power at VOLT_MAX, busy */
	EDGEBERT_PARAM_ENVM_READ_FJ_PER_BYTE,
	EDGEBERT_PARAM_SRAM_READ_FJ_PER_BYTE,
	EDGEBERT_PARAM_PAGE_SIZE,		/* device DMA page size (page lists) */
	EDGEBERT_PARAM_ENVM_PROGRAM_NS,		/* modeled program time per eNVM page */
	EDGEBERT_PARAM_ENVM_PROGRAM_PJ,		/* program energy per eNVM page */
	EDGEBERT_PARAM_MAX_LAYERS,		/* encoder layers a task may have */
	EDGEBERT_PARAM_MAX_LABELS,		/* off-ramp labels a task may have */
	EDGEBERT_PARAM_COUNT			/* not a param: number of params */
};

#define EDGEBERT_FEATURE_ENVM		(1u << 0)
#define EDGEBERT_FEATURE_DVFS		(1u << 1)
#define EDGEBERT_FEATURE_SPARSE		(1u << 2)
#define EDGEBERT_FEATURE_ADAPTIVFLOAT	(1u << 3)
#define EDGEBERT_FEATURE_FAULT_INJECT	(1u << 31)	/* test device only */

struct drm_edgebert_get_param {
	__u32 param;	/* in: enum drm_edgebert_param */
	__u32 pad;	/* must be 0 */
	__u64 value;	/* out */
};

/* BO_CREATE: a shmem buffer object, zero-filled, page-aligned size. */
#define EDGEBERT_BO_NOEXEC	(1u << 0)	/* never a command buffer */
#define EDGEBERT_BO_FLAGS	(EDGEBERT_BO_NOEXEC)

struct drm_edgebert_bo_create {
	__u64 size;	/* in: bytes, > 0; rounded up to PAGE_SIZE */
	__u32 flags;	/* in: EDGEBERT_BO_* */
	__u32 handle;	/* out */
};

/* BO_MMAP_OFFSET: fake offset to mmap() the BO on the DRM fd. */
struct drm_edgebert_bo_mmap_offset {
	__u32 handle;	/* in */
	__u32 pad;	/* must be 0 */
	__u64 offset;	/* out */
};

/*
 * BO_WAIT: wait until every job using the BO has completed.
 * timeout_ns is an absolute CLOCK_MONOTONIC time; 0 polls.
 * Returns -ETIME when it passes, -ERESTARTSYS/-EINTR on a signal.
 */
struct drm_edgebert_bo_wait {
	__u32 handle;
	__u32 pad;	/* must be 0 */
	__s64 timeout_ns;
};

/*
 * SUBMIT: queue one job (one sentence's command stream, docs/device.md).
 *
 * Commands reference memory as (index into bo_handles, byte offset); the
 * driver gives the device a page list per BO. The command buffer is
 * bo_handles[cmdbuf_index] at [cmdbuf_offset, cmdbuf_offset + cmdbuf_size).
 */
/* EDGEBERT_SUBMIT_EVENT: send a struct drm_edgebert_event_job on the fd. */
#define EDGEBERT_SUBMIT_EVENT		(1u << 0)
#define EDGEBERT_SUBMIT_FLAGS		(EDGEBERT_SUBMIT_EVENT)

#define EDGEBERT_OPP_CURRENT		0xffffffffu	/* keep the device's current point */
#define EDGEBERT_MAX_BOS_PER_JOB	64
#define EDGEBERT_MAX_SYNCS_PER_JOB	64

struct drm_edgebert_submit {
	__u64 extensions;	/* user pointer to a struct drm_edgebert_ext chain, or 0 */
	__u64 bo_handles;	/* user pointer to __u32[bo_count] */
	__u64 in_syncs;		/* user pointer to __u32[in_sync_count] syncobjs to wait on */
	__u64 user_data;	/* echoed in the completion event */
	__u32 bo_count;		/* 1 .. EDGEBERT_MAX_BOS_PER_JOB */
	__u32 in_sync_count;	/* 0 .. EDGEBERT_MAX_SYNCS_PER_JOB */
	__u32 cmdbuf_index;	/* index into bo_handles */
	__u32 cmdbuf_offset;	/* bytes, 8-aligned */
	__u32 cmdbuf_size;	/* bytes, 8-aligned, > 0 */
	__u32 out_sync;		/* syncobj to signal on completion, or 0 */
	__u32 opp;		/* operating point index or EDGEBERT_OPP_CURRENT */
	__u32 flags;		/* EDGEBERT_SUBMIT_* */
	__u64 job_id;		/* out: device job id, also in the event */
};

/* Extension chain header; no extension is defined yet, any is -EINVAL. */
struct drm_edgebert_ext {
	__u64 next;	/* user pointer to the next extension, or 0 */
	__u32 id;
	__u32 pad;
};

/* Job completion status (event and completion ring). */
enum drm_edgebert_job_status {
	EDGEBERT_JOB_OK = 0,
	EDGEBERT_JOB_EXITED = 1,	/* ended early at an off-ramp */
	EDGEBERT_JOB_INVALID_CMD = 2,	/* malformed command stream */
	EDGEBERT_JOB_DMA_FAULT = 3,	/* reference outside a BO */
	EDGEBERT_JOB_DEVICE_ERROR = 4,	/* device reported a failure */
	EDGEBERT_JOB_TIMEOUT = 5,	/* hung: the device was reset */
	EDGEBERT_JOB_ABORTED = 6,	/* lost in a reset caused by another job */
	EDGEBERT_JOB_DVFS_FAULT = 7,	/* operating point could not lock */
};

#define DRM_EDGEBERT_EVENT_JOB	0x80000000

/* Read from the DRM fd after a job submitted with EDGEBERT_SUBMIT_EVENT. */
struct drm_edgebert_event_job {
	struct drm_event base;	/* type DRM_EDGEBERT_EVENT_JOB */
	__u64 user_data;
	__u64 job_id;
	__u32 status;		/* enum drm_edgebert_job_status */
	__u32 exit_layer;	/* 1-based layer the job ended after */
	__u32 opp;		/* operating point at completion */
	__u32 entropy_bits;	/* IEEE-754 float bits of the last entropy */
	__u64 cycles;		/* device cycles for this job */
	__u64 device_ns;	/* modeled device time for this job */
	__u64 energy_pj;	/* modeled energy for this job */
};

/* ENVM_INFO: layout and wear of the embedded non-volatile memory. */
struct drm_edgebert_envm_info {
	__u64 size;		/* out: bytes */
	__u64 image_size;	/* out: bytes of the committed image */
	__u64 wear;		/* in: user pointer to __u32[wear_count], or 0 */
	__u32 wear_count;	/* in: entries in wear (page write counts) */
	__u32 page_size;	/* out */
	__u32 page_count;	/* out */
	__u32 generation;	/* out: increments with every committed image */
	__u32 image_crc32;	/* out: CRC-32 of the committed image */
	__u32 pad;		/* must be 0 */
};

/*
 * ENVM_PROGRAM: replace the eNVM image with bo[bo_offset, bo_offset + size)
 * atomically (CAP_SYS_ADMIN). A power loss mid-way keeps the old image.
 */
struct drm_edgebert_envm_program {
	__u32 handle;
	__u32 flags;		/* must be 0 */
	__u64 bo_offset;
	__u64 size;		/* 1 .. ENVM_SIZE */
};

/* One operating point. */
struct drm_edgebert_opp {
	__u32 freq_khz;
	__u32 volt_uv;
};

/* DVFS_GET: the driver's OPP table, admin window and current point. */
struct drm_edgebert_dvfs_get {
	__u64 table;		/* in: user pointer to drm_edgebert_opp[table_count], or 0 */
	__u32 table_count;	/* in: capacity; out: entries in the table */
	__u32 current_opp;	/* out */
	__u32 min_opp;		/* out: admin window (sysfs) */
	__u32 max_opp;		/* out */
	__u64 transitions;	/* out */
};

/*
 * DVFS_REQUEST: set the point used by jobs that pass EDGEBERT_OPP_CURRENT.
 * The request is clamped to [min_opp, max_opp]; the granted point is
 * returned.
 */
struct drm_edgebert_dvfs_request {
	__u32 opp;		/* in */
	__u32 flags;		/* must be 0 */
	__u32 granted_opp;	/* out */
	__u32 pad;		/* must be 0 */
};

/* STATS: device-wide counters. */
struct drm_edgebert_stats {
	__u64 jobs_submitted;
	__u64 jobs_completed;
	__u64 jobs_failed;
	__u64 jobs_timedout;
	__u64 resets;
	__u64 cycles;
	__u64 busy_ns;
	__u64 energy_pj;
	__u64 dvfs_transitions;
	__u64 envm_programs;
};

#if defined(__cplusplus)
}
#endif

#endif /* _EDGEBERT_DRM_H_ */
