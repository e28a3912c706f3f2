// SPDX-License-Identifier: GPL-2.0
/*
 * EdgeBERT accelerator: job submission, the device rings, completions,
 * timeouts and reset.
 *
 * One drm_gpu_scheduler feeds the device's single submission ring; every
 * open file has its own entity. run_job() writes a descriptor and rings the
 * doorbell; the completion interrupt walks the completion ring, which the
 * device fills in submission order, and signals the job's hardware fence.
 * A hung job, a corrupt completion record or a fatal device error all end
 * in eb_job_reset(): the device is reset, the culprit fails, and every
 * other job that was on the ring is submitted again.
 */
#include <linux/dma-mapping.h>
#include <linux/dma-resv.h>
#include <linux/interrupt.h>
#include <linux/moduleparam.h>
#include <linux/overflow.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include <drm/drm_drv.h>
#include <drm/drm_file.h>
#include <drm/drm_gem.h>
#include <drm/drm_print.h>
#include <drm/drm_syncobj.h>

#include "edgebert_drv.h"
#include "edgebert_gem.h"
#include "edgebert_job.h"

static unsigned int job_timeout_ms = 5000;
module_param(job_timeout_ms, uint, 0444);
MODULE_PARM_DESC(job_timeout_ms, "Time a job may run before the device is reset (ms, default 5000)");

/* Ring sizes the driver uses (the device allows up to CAP_*_ENTRIES). */
#define EB_SQ_MAX_ENTRIES	256
#define EB_CQ_MAX_ENTRIES	256

static inline struct eb_job *to_eb_job(struct drm_sched_job *sched_job)
{
	return container_of(sched_job, struct eb_job, base);
}

/* Hardware fences: one timeline per device, signalled in ring order. */

static const char *eb_fence_driver_name(struct dma_fence *fence)
{
	return EB_DRIVER_NAME;
}

static const char *eb_fence_timeline_name(struct dma_fence *fence)
{
	return "edgebert-ring";
}

static const struct dma_fence_ops eb_fence_ops = {
	.get_driver_name = eb_fence_driver_name,
	.get_timeline_name = eb_fence_timeline_name,
};

static struct dma_fence *eb_fence_create(struct eb_device *ebdev)
{
	struct dma_fence *fence;

	fence = kzalloc(sizeof(*fence), GFP_KERNEL);
	if (!fence)
		return NULL;
	dma_fence_init(fence, &eb_fence_ops, &ebdev->fence_lock,
		       ebdev->fence_context, ++ebdev->fence_seqno);
	return fence;
}

static int eb_status_to_errno(u32 status)
{
	switch (status) {
	case EDGEBERT_JOB_OK:
	case EDGEBERT_JOB_EXITED:
		return 0;
	case EDGEBERT_JOB_INVALID_CMD:
		return -EINVAL;
	case EDGEBERT_JOB_DMA_FAULT:
		return -EFAULT;
	case EDGEBERT_JOB_TIMEOUT:
		return -ETIMEDOUT;
	case EDGEBERT_JOB_ABORTED:
		return -ECANCELED;
	default:
		return -EIO;
	}
}

/*
 * The job's result is final: account it, send the fd event and the netlink
 * event. Runs exactly once per job that reached the scheduler.
 */
static void eb_job_finish(struct eb_job *job)
{
	struct eb_device *ebdev = job->ebdev;
	struct drm_edgebert_event_job *res = &job->result;
	u64 latency = ktime_to_ns(ktime_sub(ktime_get(), job->submit_time));

	res->job_id = job->job_id;
	res->user_data = job->user_data;

	if (res->status <= EDGEBERT_JOB_EXITED)
		atomic64_inc(&ebdev->stats.jobs_completed);
	else
		atomic64_inc(&ebdev->stats.jobs_failed);
	if (res->status == EDGEBERT_JOB_TIMEOUT)
		atomic64_inc(&ebdev->stats.jobs_timedout);

	if (job->event) {
		struct eb_event *e = job->event;

		e->ev.user_data = res->user_data;
		e->ev.job_id = res->job_id;
		e->ev.status = res->status;
		e->ev.exit_layer = res->exit_layer;
		e->ev.opp = res->opp;
		e->ev.entropy_bits = res->entropy_bits;
		e->ev.cycles = res->cycles;
		e->ev.device_ns = res->device_ns;
		e->ev.energy_pj = res->energy_pj;
		job->event = NULL;
		drm_send_event(&ebdev->drm, &e->base);
	}

	eb_nl_job_done(ebdev, res, latency);
}

/* Zero the rings and hand them to the (idle, just reset) device. */
static void eb_rings_start(struct eb_device *ebdev)
{
	memset(ebdev->sq, 0, ebdev->sq_entries * sizeof(*ebdev->sq));
	memset(ebdev->cq, 0, ebdev->cq_entries * sizeof(*ebdev->cq));
	ebdev->sq_tail = 0;
	ebdev->cq_head = 0;
	ebdev->cq_seq = 0;

	eb_write(ebdev, EB_CONTROL, EB_CONTROL_QUEUE_DISABLE);
	eb_write(ebdev, EB_SQ_BASE_LO, lower_32_bits(ebdev->sq_dma));
	eb_write(ebdev, EB_SQ_BASE_HI, upper_32_bits(ebdev->sq_dma));
	eb_write(ebdev, EB_SQ_ENTRIES, ebdev->sq_entries);
	eb_write(ebdev, EB_CQ_BASE_LO, lower_32_bits(ebdev->cq_dma));
	eb_write(ebdev, EB_CQ_BASE_HI, upper_32_bits(ebdev->cq_dma));
	eb_write(ebdev, EB_CQ_ENTRIES, ebdev->cq_entries);
	/* Enabling zeroes the device's heads and tails. */
	eb_write(ebdev, EB_CONTROL, EB_CONTROL_QUEUE_ENABLE);
}

static struct dma_fence *eb_job_run(struct drm_sched_job *sched_job)
{
	struct eb_job *job = to_eb_job(sched_job);
	struct eb_device *ebdev = job->ebdev;
	struct dma_fence *fence;
	struct eb_job_desc *desc;
	u32 opp;

	/*
	 * Completed while the scheduler was stopped for a reset: nothing to
	 * run again. Failed (guilty of a reset, or cancelled): report it.
	 */
	if (job->completed)
		return NULL;
	if (unlikely(sched_job->s_fence->finished.error)) {
		if (job->result.status <= EDGEBERT_JOB_EXITED)
			job->result.status = EDGEBERT_JOB_ABORTED;
		job->completed = true;
		eb_job_finish(job);
		return NULL;
	}

	fence = eb_fence_create(ebdev);
	if (!fence)
		return ERR_PTR(-ENOMEM);
	opp = eb_dvfs_job_opp(ebdev, job->opp, job->file_opp);

	/* Only the scheduler thread (or a reset, with it parked) gets here. */
	desc = &ebdev->sq[ebdev->sq_tail & (ebdev->sq_entries - 1)];
	desc->job_id = cpu_to_le64(job->job_id);
	desc->bo_table = cpu_to_le64(job->table_dma);
	desc->bo_count = cpu_to_le32(job->bo_count);
	desc->cmd_bo = cpu_to_le32(job->cmd_index);
	desc->cmd_offset = cpu_to_le64(job->cmd_offset);
	desc->cmd_size = cpu_to_le32(job->cmd_size);
	desc->opp = cpu_to_le32(opp);
	desc->flags = 0;
	memset(desc->reserved, 0, sizeof(desc->reserved));

	job->hw_fence = dma_fence_get(fence);
	spin_lock(&ebdev->job_lock);
	list_add_tail(&job->node, &ebdev->inflight);
	spin_unlock(&ebdev->job_lock);

	/* writel() orders the descriptor stores before the doorbell. */
	ebdev->sq_tail++;
	eb_write(ebdev, EB_SQ_TAIL, ebdev->sq_tail & (ebdev->sq_entries - 1));
	return fence;
}

static struct eb_job *eb_inflight_pop(struct eb_device *ebdev, u64 job_id)
{
	struct eb_job *job;

	spin_lock(&ebdev->job_lock);
	job = list_first_entry_or_null(&ebdev->inflight, struct eb_job, node);
	if (job && job->job_id == job_id)
		list_del_init(&job->node);
	else
		job = NULL;
	spin_unlock(&ebdev->job_lock);
	return job;
}

/*
 * Consume every completion record the device has written. Returns false
 * when a record is corrupt (bad magic or sequence number, unknown or
 * out-of-order job id);
 * the record is then left in place for the reset to deal with.
 */
static bool eb_cq_drain_locked(struct eb_device *ebdev)
{
	u32 mask = ebdev->cq_entries - 1;
	u32 tail = eb_read(ebdev, EB_CQ_TAIL);

	lockdep_assert_held(&ebdev->cq_lock);

	if (tail > mask)
		return false;

	while (ebdev->cq_head != tail) {
		struct eb_completion *rec = &ebdev->cq[ebdev->cq_head];
		struct drm_edgebert_event_job *res;
		struct dma_fence *fence;
		struct eb_job *job;
		int err;

		/* Read the record only after the tail that covers it. */
		dma_rmb();
		if (le32_to_cpu(rec->magic) != EB_COMPLETION_MAGIC ||
		    le32_to_cpu(rec->seq) != ebdev->cq_seq)
			return false;
		job = eb_inflight_pop(ebdev, le64_to_cpu(rec->job_id));
		if (!job)
			return false;

		res = &job->result;
		res->status = le32_to_cpu(rec->status);
		res->exit_layer = le32_to_cpu(rec->exit_layer);
		res->entropy_bits = le32_to_cpu(rec->entropy);
		res->opp = le32_to_cpu(rec->opp);
		res->cycles = le64_to_cpu(rec->cycles);
		res->device_ns = le64_to_cpu(rec->device_ns);
		res->energy_pj = le64_to_cpu(rec->energy_pj);
		rec->magic = 0;
		eb_dvfs_job_done(ebdev, res->opp, res->device_ns);

		ebdev->cq_seq++;
		ebdev->cq_head = (ebdev->cq_head + 1) & mask;
		eb_write(ebdev, EB_CQ_HEAD, ebdev->cq_head);

		err = eb_status_to_errno(res->status);
		if (err)
			dma_fence_set_error(&job->base.s_fence->finished, err);
		job->completed = true;
		eb_job_finish(job);

		/*
		 * Signalling lets the scheduler free the job: take the fence
		 * off it first.
		 */
		fence = job->hw_fence;
		job->hw_fence = NULL;
		dma_fence_signal(fence);
		dma_fence_put(fence);
	}
	return true;
}

/* Completion interrupt thread. */
void eb_job_irq(struct eb_device *ebdev)
{
	bool ok;

	mutex_lock(&ebdev->cq_lock);
	ok = eb_cq_drain_locked(ebdev);
	mutex_unlock(&ebdev->cq_lock);

	if (!ok)
		eb_job_request_reset(ebdev, EDGEBERT_RESET_BAD_COMPLETION);
}

/*
 * Reset the device from the reset work. drm_sched_fault() is not enough:
 * the scheduler only calls timedout_job() while a job is pending, and a
 * fatal error (or a stuck eNVM program) with no job on the ring must reset
 * too. The work shares the ordered reset_wq with the scheduler's timeout
 * handler, so the two never run at once; whichever runs first takes the
 * reason.
 */
void eb_job_request_reset(struct eb_device *ebdev, u32 reason)
{
	atomic_cmpxchg(&ebdev->reset_reason, 0, reason);
	queue_work(ebdev->reset_wq, &ebdev->reset_work);
}

void eb_job_device_error(struct eb_device *ebdev)
{
	u32 status = eb_read(ebdev, EB_STATUS);

	drm_err_ratelimited(&ebdev->drm, "device error %u (status 0x%x)\n",
			    eb_read(ebdev, EB_ERROR_CODE), status);
	if (status & EB_STATUS_FATAL)
		eb_job_request_reset(ebdev, EDGEBERT_RESET_DEVICE_ERROR);
}

static void eb_job_reset(struct eb_device *ebdev, struct drm_sched_job *bad,
			 u32 reason)
{
	struct eb_job *job, *tmp, *guilty;

	drm_sched_stop(&ebdev->sched, bad);
	disable_irq(ebdev->irq[EB_VEC_COMPLETION]);
	mutex_lock(&ebdev->cq_lock);

	/* Whatever did complete keeps its result. */
	eb_cq_drain_locked(ebdev);

	/* The device runs jobs in ring order: the oldest one is the culprit. */
	spin_lock(&ebdev->job_lock);
	guilty = list_first_entry_or_null(&ebdev->inflight, struct eb_job,
					  node);
	spin_unlock(&ebdev->job_lock);
	if (guilty) {
		guilty->result.status = reason == EDGEBERT_RESET_TIMEOUT ?
			EDGEBERT_JOB_TIMEOUT : EDGEBERT_JOB_DEVICE_ERROR;
		dma_fence_set_error(&guilty->base.s_fence->finished,
				    eb_status_to_errno(guilty->result.status));
		drm_warn(&ebdev->drm, "job %llu %s, resetting the device\n",
			 guilty->job_id, reason == EDGEBERT_RESET_TIMEOUT ?
			 "timed out" : "failed");
	}

	eb_device_reset(ebdev);
	eb_dvfs_restore(ebdev);
	eb_rings_start(ebdev);

	/*
	 * The old hardware fences have no callbacks any more (the scheduler
	 * is stopped); retire them. Innocent jobs get new ones below.
	 */
	spin_lock(&ebdev->job_lock);
	list_for_each_entry_safe(job, tmp, &ebdev->inflight, node) {
		list_del_init(&job->node);
		dma_fence_set_error(job->hw_fence, -ECANCELED);
		dma_fence_signal(job->hw_fence);
		dma_fence_put(job->hw_fence);
		job->hw_fence = NULL;
	}
	spin_unlock(&ebdev->job_lock);
	mutex_unlock(&ebdev->cq_lock);

	atomic64_inc(&ebdev->stats.resets);
	eb_nl_reset(ebdev, reason);
	/* The reset abandoned any eNVM program: wake its caller. */
	eb_envm_irq(ebdev);

	drm_sched_resubmit_jobs(&ebdev->sched);
	enable_irq(ebdev->irq[EB_VEC_COMPLETION]);
	drm_sched_start(&ebdev->sched, true);
}

static void eb_job_reset_work(struct work_struct *work)
{
	struct eb_device *ebdev = container_of(work, struct eb_device,
					       reset_work);
	u32 reason = atomic_xchg(&ebdev->reset_reason, 0);
	int idx;

	if (!reason || !drm_dev_enter(&ebdev->drm, &idx))
		return;
	eb_job_reset(ebdev, NULL, reason);
	drm_dev_exit(idx);
}

/*
 * The scheduler took the job off its pending list before calling
 * timedout_job() and only drm_sched_stop() puts it back: without a reset,
 * do it here, or the job is never freed.
 */
static void eb_job_reinsert(struct drm_sched_job *sched_job)
{
	struct drm_gpu_scheduler *sched = sched_job->sched;

	spin_lock(&sched->job_list_lock);
	list_add(&sched_job->list, &sched->pending_list);
	spin_unlock(&sched->job_list_lock);
}

static enum drm_gpu_sched_stat eb_job_timedout(struct drm_sched_job *sched_job)
{
	struct eb_job *job = to_eb_job(sched_job);
	struct eb_device *ebdev = job->ebdev;
	u32 reason;
	int idx;

	/* Unplugged: eb_job_fini() fails what is left. */
	if (!drm_dev_enter(&ebdev->drm, &idx)) {
		eb_job_reinsert(sched_job);
		return DRM_GPU_SCHED_STAT_ENODEV;
	}

	reason = atomic_xchg(&ebdev->reset_reason, 0);
	if (!reason) {
		bool ok;

		/* A late interrupt is not a hang: reap and carry on. */
		mutex_lock(&ebdev->cq_lock);
		ok = eb_cq_drain_locked(ebdev);
		mutex_unlock(&ebdev->cq_lock);
		if (ok && job->completed) {
			eb_job_reinsert(sched_job);
			drm_dev_exit(idx);
			return DRM_GPU_SCHED_STAT_NOMINAL;
		}
		reason = ok ? EDGEBERT_RESET_TIMEOUT :
			EDGEBERT_RESET_BAD_COMPLETION;
	}

	eb_job_reset(ebdev, sched_job, reason);
	drm_dev_exit(idx);
	return DRM_GPU_SCHED_STAT_NOMINAL;
}

static void eb_job_free(struct eb_job *job)
{
	struct eb_device *ebdev = job->ebdev;
	u32 i;

	if (job->event)
		drm_event_cancel_free(&ebdev->drm, &job->event->base);
	if (job->table) {
		dma_unmap_single(ebdev->drm.dev, job->table_dma,
				 job->bo_count * sizeof(*job->table),
				 DMA_TO_DEVICE);
		kfree(job->table);
	}
	if (job->bos) {
		for (i = 0; i < job->bo_count; i++)
			drm_gem_object_put(job->bos[i]);
		kvfree(job->bos);
	}
	dma_fence_put(job->hw_fence);
	dma_fence_put(job->done_fence);
	kfree(job);
}

static void eb_job_sched_free(struct drm_sched_job *sched_job)
{
	struct eb_job *job = to_eb_job(sched_job);

	drm_sched_job_cleanup(sched_job);
	eb_job_free(job);
}

static const struct drm_sched_backend_ops eb_sched_ops = {
	.run_job = eb_job_run,
	.timedout_job = eb_job_timedout,
	.free_job = eb_job_sched_free,
};

/* SUBMIT helpers. */

static int eb_job_lookup_bos(struct drm_file *file, struct eb_job *job,
			     u64 handles)
{
	struct eb_device *ebdev = job->ebdev;
	struct eb_bo_entry *entry, *table;
	struct drm_gem_object *cmd;
	u32 end, i, j;
	int ret;

	ret = drm_gem_objects_lookup(file, u64_to_user_ptr(handles),
				     job->bo_count, &job->bos);
	if (ret)
		return ret;

	/* A BO twice in the list would deadlock its reservation lock. */
	for (i = 0; i < job->bo_count; i++)
		for (j = i + 1; j < job->bo_count; j++)
			if (job->bos[i] == job->bos[j])
				return -EINVAL;

	cmd = job->bos[job->cmd_index];
	if (to_eb_bo(cmd)->flags & EDGEBERT_BO_NOEXEC)
		return -EINVAL;
	if (check_add_overflow(job->cmd_offset, job->cmd_size, &end) ||
	    end > cmd->size)
		return -EINVAL;

	/*
	 * Not from a devres-managed pool: a job still queued on its entity
	 * is only freed when its file is closed, which may be after remove.
	 */
	table = kcalloc(job->bo_count, sizeof(*table), GFP_KERNEL);
	if (!table)
		return -ENOMEM;

	for (i = 0; i < job->bo_count; i++) {
		struct eb_bo *bo = to_eb_bo(job->bos[i]);

		ret = eb_bo_get_plist(ebdev, bo);
		if (ret) {
			kfree(table);
			return ret;
		}
		entry = &table[i];
		entry->pages = cpu_to_le64(bo->plist_dma);
		entry->size = cpu_to_le64(bo->base.base.size);
	}

	/* Written once here, only read by the device. */
	job->table_dma = dma_map_single(ebdev->drm.dev, table,
					job->bo_count * sizeof(*table),
					DMA_TO_DEVICE);
	if (dma_mapping_error(ebdev->drm.dev, job->table_dma)) {
		kfree(table);
		return -ENOMEM;
	}
	job->table = table;
	return 0;
}

static int eb_job_add_in_syncs(struct drm_file *file, struct eb_job *job,
			       u64 handles, u32 count)
{
	u32 __user *uhandles = u64_to_user_ptr(handles);
	u32 i;

	for (i = 0; i < count; i++) {
		struct dma_fence *fence;
		u32 handle;
		int ret;

		if (get_user(handle, uhandles + i))
			return -EFAULT;
		ret = drm_syncobj_find_fence(file, handle, 0, 0, &fence);
		if (ret)
			return ret;
		/* Consumes the fence reference, also on error. */
		ret = drm_sched_job_add_dependency(&job->base, fence);
		if (ret)
			return ret;
	}
	return 0;
}

static int eb_check_submit(struct eb_device *ebdev,
			   const struct drm_edgebert_submit *args)
{
	if (args->flags & ~EDGEBERT_SUBMIT_FLAGS)
		return -EINVAL;
	/* No extension is defined yet. */
	if (args->extensions)
		return -EINVAL;
	if (!args->bo_count || args->bo_count > EDGEBERT_MAX_BOS_PER_JOB ||
	    !args->bo_handles)
		return -EINVAL;
	if (args->in_sync_count > EDGEBERT_MAX_SYNCS_PER_JOB)
		return -EINVAL;
	if (args->in_sync_count && !args->in_syncs)
		return -EINVAL;
	if (args->cmdbuf_index >= args->bo_count)
		return -EINVAL;
	if (!args->cmdbuf_size || !IS_ALIGNED(args->cmdbuf_size, 8) ||
	    !IS_ALIGNED(args->cmdbuf_offset, 8))
		return -EINVAL;
	if (args->opp != EDGEBERT_OPP_CURRENT && !eb_dvfs_opp_valid(ebdev, args->opp))
		return -EINVAL;
	return 0;
}

static int eb_submit(struct drm_device *drm, void *data, struct drm_file *file)
{
	struct eb_device *ebdev = to_eb_device(drm);
	struct drm_edgebert_submit *args = data;
	struct eb_file *efile = file->driver_priv;
	struct drm_syncobj *out_sync = NULL;
	struct ww_acquire_ctx acquire_ctx;
	struct eb_job *job;
	bool sched_init = false;
	u32 i;
	int ret;

	ret = eb_check_submit(ebdev, args);
	if (ret)
		return ret;

	job = kzalloc(sizeof(*job), GFP_KERNEL);
	if (!job)
		return -ENOMEM;
	job->ebdev = ebdev;
	job->bo_count = args->bo_count;
	job->cmd_index = args->cmdbuf_index;
	job->cmd_offset = args->cmdbuf_offset;
	job->cmd_size = args->cmdbuf_size;
	job->opp = args->opp;
	job->file_opp = READ_ONCE(efile->dvfs_request);
	job->user_data = args->user_data;
	/* Until the device reports one. */
	job->result.opp = EDGEBERT_OPP_CURRENT;
	INIT_LIST_HEAD(&job->node);

	ret = eb_job_lookup_bos(file, job, args->bo_handles);
	if (ret)
		goto err_free;

	if (args->out_sync) {
		out_sync = drm_syncobj_find(file, args->out_sync);
		if (!out_sync) {
			ret = -ENOENT;
			goto err_free;
		}
	}

	if (args->flags & EDGEBERT_SUBMIT_EVENT) {
		job->event = kzalloc(sizeof(*job->event), GFP_KERNEL);
		if (!job->event) {
			ret = -ENOMEM;
			goto err_free;
		}
		job->event->ev.base.type = DRM_EDGEBERT_EVENT_JOB;
		job->event->ev.base.length = sizeof(job->event->ev);
		ret = drm_event_reserve_init(drm, file, &job->event->base,
					     &job->event->ev.base);
		if (ret) {
			kfree(job->event);
			job->event = NULL;
			goto err_free;
		}
	}

	ret = drm_sched_job_init(&job->base, &efile->entity, efile);
	if (ret)
		goto err_free;
	sched_init = true;

	ret = eb_job_add_in_syncs(file, job, args->in_syncs,
				  args->in_sync_count);
	if (ret)
		goto err_free;

	ret = drm_gem_lock_reservations(job->bos, job->bo_count, &acquire_ctx);
	if (ret)
		goto err_free;
	for (i = 0; i < job->bo_count; i++) {
		/* The device may write any BO of the job: order as a writer. */
		ret = dma_resv_reserve_fences(job->bos[i]->resv, 1);
		if (!ret)
			ret = drm_sched_job_add_implicit_dependencies(&job->base,
								      job->bos[i],
								      true);
		if (ret)
			goto err_unlock;
	}

	mutex_lock(&ebdev->sched_lock);
	drm_sched_job_arm(&job->base);
	job->job_id = ++ebdev->last_job_id;
	job->done_fence = dma_fence_get(&job->base.s_fence->finished);
	job->submit_time = ktime_get();
	args->job_id = job->job_id;
	atomic64_inc(&ebdev->stats.jobs_submitted);

	/*
	 * Publish the armed fence before pushing: once pushed, the job may
	 * run, complete and be freed at any time, so nothing below may touch
	 * it.
	 */
	for (i = 0; i < job->bo_count; i++)
		dma_resv_add_fence(job->bos[i]->resv, job->done_fence,
				   DMA_RESV_USAGE_WRITE);
	drm_gem_unlock_reservations(job->bos, job->bo_count, &acquire_ctx);
	if (out_sync) {
		drm_syncobj_replace_fence(out_sync, job->done_fence);
		drm_syncobj_put(out_sync);
	}

	/* The scheduler owns the job from here on. */
	drm_sched_entity_push_job(&job->base);
	mutex_unlock(&ebdev->sched_lock);
	return 0;

err_unlock:
	drm_gem_unlock_reservations(job->bos, job->bo_count, &acquire_ctx);
err_free:
	if (out_sync)
		drm_syncobj_put(out_sync);
	if (sched_init)
		drm_sched_job_cleanup(&job->base);
	eb_job_free(job);
	return ret;
}

int eb_ioctl_submit(struct drm_device *drm, void *data, struct drm_file *file)
{
	int idx, ret;

	/* Nothing may reach the rings of an unplugged device. */
	if (!drm_dev_enter(drm, &idx))
		return -ENODEV;
	ret = eb_submit(drm, data, file);
	drm_dev_exit(idx);
	return ret;
}

int eb_job_open(struct eb_device *ebdev, struct eb_file *efile)
{
	struct drm_gpu_scheduler *sched = &ebdev->sched;

	return drm_sched_entity_init(&efile->entity, DRM_SCHED_PRIORITY_NORMAL,
				     &sched, 1, NULL);
}

void eb_job_close(struct eb_file *efile)
{
	drm_sched_entity_destroy(&efile->entity);
}

static void eb_job_destroy_wq(void *wq)
{
	destroy_workqueue(wq);
}

int eb_job_init(struct eb_device *ebdev)
{
	struct device *dev = &ebdev->pdev->dev;
	long timeout = job_timeout_ms ? msecs_to_jiffies(job_timeout_ms) :
		       MAX_SCHEDULE_TIMEOUT;
	int ret;
#ifdef EB_SCHED_INIT_ARGS
	struct drm_sched_init_args args = {
		.ops = &eb_sched_ops,
		.name = "edgebert",
		.dev = dev,
	};
#endif

	/* The reset work and the scheduler's timeout handler, one at a time. */
	ebdev->reset_wq = alloc_ordered_workqueue("edgebert-reset", 0);
	if (!ebdev->reset_wq)
		return -ENOMEM;
	ret = devm_add_action_or_reset(dev, eb_job_destroy_wq, ebdev->reset_wq);
	if (ret)
		return ret;
	INIT_WORK(&ebdev->reset_work, eb_job_reset_work);

	spin_lock_init(&ebdev->fence_lock);
	spin_lock_init(&ebdev->job_lock);
	mutex_init(&ebdev->cq_lock);
	mutex_init(&ebdev->sched_lock);
	INIT_LIST_HEAD(&ebdev->inflight);
	ebdev->fence_context = dma_fence_context_alloc(1);

	ebdev->sq_entries = min_t(u32, ebdev->caps.sq_entries, EB_SQ_MAX_ENTRIES);
	ebdev->cq_entries = min_t(u32, ebdev->caps.cq_entries, EB_CQ_MAX_ENTRIES);
	ebdev->sq = dmam_alloc_coherent(dev, ebdev->sq_entries * sizeof(*ebdev->sq),
					&ebdev->sq_dma, GFP_KERNEL);
	ebdev->cq = dmam_alloc_coherent(dev, ebdev->cq_entries * sizeof(*ebdev->cq),
					&ebdev->cq_dma, GFP_KERNEL);
	if (!ebdev->sq || !ebdev->cq)
		return -ENOMEM;

	eb_rings_start(ebdev);

	/* At most entries - 1 descriptors: a full ring has head == tail + 1. */
#ifdef EB_SCHED_INIT_ARGS
	args.credit_limit = ebdev->sq_entries - 1;
	args.timeout_wq = ebdev->reset_wq;
	args.timeout = timeout;
	ret = drm_sched_init(&ebdev->sched, &args);
#else
	ret = drm_sched_init(&ebdev->sched, &eb_sched_ops,
			     ebdev->sq_entries - 1, 0, timeout, ebdev->reset_wq,
			     NULL, "edgebert", dev);
#endif
	if (ret)
		drm_err(&ebdev->drm, "scheduler init failed: %d\n", ret);
	return ret;
}

/*
 * Unplug (or a failed probe): no ioctl reaches the device any more, and the
 * timeout handler and the reset work stop at drm_dev_enter(). Stop them and
 * the device, then fail the jobs the device will never complete, so that
 * their waiters, BOs and the jobs themselves are released: the stopped
 * scheduler does neither (drm_sched_fini() of 6.1 leaves the pending list
 * alone).
 */
void eb_job_fini(struct eb_device *ebdev)
{
	struct drm_sched_job *s_job, *s_tmp;
	struct eb_job *job, *tmp;
	LIST_HEAD(dead);

	drm_sched_fini(&ebdev->sched);
	cancel_work_sync(&ebdev->reset_work);
	/* No interrupt, and no more DMA for what is on the ring. */
	eb_device_fini(ebdev);

	mutex_lock(&ebdev->cq_lock);
	spin_lock(&ebdev->job_lock);
	list_splice_init(&ebdev->inflight, &dead);
	spin_unlock(&ebdev->job_lock);
	list_for_each_entry_safe(job, tmp, &dead, node) {
		struct dma_fence *fence = job->hw_fence;

		list_del_init(&job->node);
		job->result.status = EDGEBERT_JOB_ABORTED;
		dma_fence_set_error(&job->base.s_fence->finished, -ENODEV);
		job->completed = true;
		eb_job_finish(job);
		job->hw_fence = NULL;
		dma_fence_set_error(fence, -ENODEV);
		dma_fence_signal(fence);
		dma_fence_put(fence);
	}
	mutex_unlock(&ebdev->cq_lock);

	/* Every job on the pending list has signalled now. */
	list_for_each_entry_safe(s_job, s_tmp, &ebdev->sched.pending_list,
				 list) {
		list_del_init(&s_job->list);
		eb_job_sched_free(s_job);
	}
}
