/* SPDX-License-Identifier: MIT */
/*
 * libedgebert internals: the device job layer. Buffer objects on an
 * edgebert render node, SUBMIT with a BO list and syncobjs, and one
 * io_uring that awaits the per-job DRM events of any number of devices, so
 * one thread keeps many jobs in flight. Not thread-safe: the engine
 * serialises. Functions return 0 or a negative errno.
 */
#ifndef EB_RUNTIME_DEVQ_H
#define EB_RUNTIME_DEVQ_H

#include <stddef.h>
#include <stdint.h>

#include "edgebert/device.h"
#include "edgebert_drm.h"

/* A BO, mapped into our address space. */
struct eb_bo {
	uint32_t handle;
	size_t size;
	void *map;
};

/* -errno of BO_CREATE / MMAP_OFFSET / mmap(); nothing is left behind. */
int eb_bo_create(struct eb_device *dev, size_t size, uint32_t flags, struct eb_bo *bo);
/* Unmap and close the handle (the kernel keeps it alive for pending jobs). */
void eb_bo_destroy(struct eb_device *dev, struct eb_bo *bo);
/* BO_WAIT with a timeout relative to now (ns, 0 polls): -ETIME on expiry. */
int eb_bo_wait(struct eb_device *dev, const struct eb_bo *bo, int64_t timeout_ns);

/* One job for SUBMIT (struct drm_edgebert_submit without the ABI noise). */
struct eb_job_desc {
	const uint32_t *bos;		/* GEM handles; commands index into this */
	uint32_t bo_count;
	uint32_t cmd_bo;		/* index of the command buffer */
	uint32_t cmd_offset, cmd_size;	/* bytes, 8-aligned */
	uint32_t opp;			/* EDGEBERT_OPP_CURRENT keeps the point */
	const uint32_t *in_syncs;	/* syncobjs to wait on first */
	uint32_t in_sync_count;
	uint32_t out_sync;		/* syncobj signalled on completion, or 0 */
	uint64_t user_data;		/* echoed in the event */
};

/* Submit with EDGEBERT_SUBMIT_EVENT; *job_id (may be NULL) is the device's id. */
int eb_job_submit(struct eb_device *dev, const struct eb_job_desc *job, uint64_t *job_id);

/* Job status (enum drm_edgebert_job_status) as 0 or a negative errno. */
int eb_job_status_errno(uint32_t status);

/*
 * Completion queue over devices: one outstanding io_uring read per device's
 * DRM fd; each completed read yields whole DRM events.
 */
struct eb_devq;

typedef void (*eb_devq_fn)(void *arg, unsigned int dev,
			   const struct drm_edgebert_event_job *ev);

/* The devices must outlive the queue. -ENOMEM, or io_uring's -errno. */
int eb_devq_new(struct eb_device *const *devs, unsigned int ndev, struct eb_devq **out);
void eb_devq_free(struct eb_devq *q);

/*
 * Wait up to timeout_ns (< 0: forever, 0: poll) for job events and call
 * fn for each. Returns the number of events handled (0 on timeout) or a
 * negative errno (a failed read of a device's fd).
 */
int eb_devq_reap(struct eb_devq *q, int64_t timeout_ns, eb_devq_fn fn, void *arg);

/* Syscalls made by the queue so far (reads submitted + waits), for stats. */
uint64_t eb_devq_syscalls(const struct eb_devq *q);

#endif /* EB_RUNTIME_DEVQ_H */
