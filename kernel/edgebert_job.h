/* SPDX-License-Identifier: GPL-2.0 */
#ifndef __EDGEBERT_JOB_H__
#define __EDGEBERT_JOB_H__

#include <linux/dma-fence.h>
#include <linux/ktime.h>
#include <linux/list.h>

#include <drm/drm_file.h>
#include <drm/gpu_scheduler.h>

struct eb_device;

/* Completion event, queued on the submitter's fd. */
struct eb_event {
	struct drm_pending_event base;
	struct drm_edgebert_event_job ev;
};

struct eb_job {
	struct drm_sched_job base;
	struct eb_device *ebdev;

	struct drm_gem_object **bos;
	u32 bo_count;
	u32 cmd_index;
	u32 cmd_offset;
	u32 cmd_size;
	u32 opp;		/* requested point or EDGEBERT_OPP_CURRENT */
	u32 file_opp;		/* submitter's DVFS_REQUEST at submit time */

	/* Device BO table (struct eb_bo_entry[bo_count]), mapped to the device. */
	struct eb_bo_entry *table;
	dma_addr_t table_dma;

	u64 job_id;
	u64 user_data;
	ktime_t submit_time;

	struct dma_fence *done_fence;	/* scheduler's finished fence */
	struct dma_fence *hw_fence;	/* signalled by the completion ring */
	struct list_head node;		/* ebdev->inflight, under job_lock */
	bool completed;

	struct eb_event *event;		/* NULL once sent or not requested */
	struct drm_edgebert_event_job result;
};

struct eb_file {
	struct eb_device *ebdev;
	struct drm_sched_entity entity;
	u32 dvfs_request;		/* EDGEBERT_OPP_CURRENT: none */
};

int eb_job_init(struct eb_device *ebdev);
void eb_job_fini(struct eb_device *ebdev);
int eb_job_open(struct eb_device *ebdev, struct eb_file *efile);
void eb_job_close(struct eb_file *efile);

int eb_ioctl_submit(struct drm_device *drm, void *data, struct drm_file *file);

#endif /* __EDGEBERT_JOB_H__ */
