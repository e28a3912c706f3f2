// SPDX-License-Identifier: MIT
/*
 * The device job layer: BOs, SUBMIT, and completions through io_uring.
 *
 * The driver queues one struct drm_edgebert_event_job per job submitted
 * with EDGEBERT_SUBMIT_EVENT on the submitter's fd. A read(2) of the fd
 * returns as many whole events as fit, so instead of one syscall per job
 * we keep one IORING_OP_READ armed per device: it completes when events
 * are there (io_uring polls the fd), delivers a batch, and is re-armed.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include <liburing.h>
#include <xf86drm.h>

#include "devq.h"

int eb_bo_create(struct eb_device *dev, size_t size, uint32_t flags, struct eb_bo *bo)
{
	struct drm_edgebert_bo_create c = { .size = size, .flags = flags };
	struct drm_edgebert_bo_mmap_offset m = { 0 };
	struct drm_gem_close cl = { 0 };
	int fd = eb_device_fd(dev), ret;
	void *p;

	memset(bo, 0, sizeof(*bo));
	if (drmIoctl(fd, DRM_IOCTL_EDGEBERT_BO_CREATE, &c))
		return -errno;
	m.handle = c.handle;
	if (drmIoctl(fd, DRM_IOCTL_EDGEBERT_BO_MMAP_OFFSET, &m)) {
		ret = -errno;
		goto close;
	}
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, (off_t)m.offset);
	if (p == MAP_FAILED) {
		ret = -errno;
		goto close;
	}
	bo->handle = c.handle;
	bo->size = size;
	bo->map = p;
	return 0;
close:
	cl.handle = c.handle;
	drmIoctl(fd, DRM_IOCTL_GEM_CLOSE, &cl);
	return ret;
}

void eb_bo_destroy(struct eb_device *dev, struct eb_bo *bo)
{
	struct drm_gem_close cl = { .handle = bo->handle };

	if (!bo->handle)
		return;
	if (bo->map)
		munmap(bo->map, bo->size);
	drmIoctl(eb_device_fd(dev), DRM_IOCTL_GEM_CLOSE, &cl);
	memset(bo, 0, sizeof(*bo));
}

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int eb_bo_wait(struct eb_device *dev, const struct eb_bo *bo, int64_t timeout_ns)
{
	struct drm_edgebert_bo_wait w = {
		.handle = bo->handle,
		/* absolute, so a restart after a signal keeps the deadline */
		.timeout_ns = timeout_ns ? now_ns() + timeout_ns : 0,
	};

	return drmIoctl(eb_device_fd(dev), DRM_IOCTL_EDGEBERT_BO_WAIT, &w) ? -errno : 0;
}

int eb_job_submit(struct eb_device *dev, const struct eb_job_desc *job, uint64_t *job_id)
{
	struct drm_edgebert_submit s = {
		.bo_handles = (uintptr_t)job->bos,
		.in_syncs = (uintptr_t)job->in_syncs,
		.user_data = job->user_data,
		.bo_count = job->bo_count,
		.in_sync_count = job->in_sync_count,
		.cmdbuf_index = job->cmd_bo,
		.cmdbuf_offset = job->cmd_offset,
		.cmdbuf_size = job->cmd_size,
		.out_sync = job->out_sync,
		.opp = job->opp,
		.flags = EDGEBERT_SUBMIT_EVENT,
	};

	if (drmIoctl(eb_device_fd(dev), DRM_IOCTL_EDGEBERT_SUBMIT, &s))
		return -errno;
	if (job_id)
		*job_id = s.job_id;
	return 0;
}

int eb_job_status_errno(uint32_t status)
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
	default:	/* DEVICE_ERROR, DVFS_FAULT, anything newer */
		return -EIO;
	}
}

/* Enough for 64 events per read; the fd keeps the rest for the next one. */
#define EVBUF_SIZE	(64 * sizeof(struct drm_edgebert_event_job))

struct devq_slot {
	struct eb_device *dev;
	int armed;
	_Alignas(8) unsigned char buf[EVBUF_SIZE];
};

struct eb_devq {
	struct io_uring ring;
	unsigned int ndev;
	uint64_t syscalls;
	struct devq_slot slot[];
};

static int arm(struct eb_devq *q, unsigned int i)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&q->ring);

	if (!sqe)
		return -EBUSY;	/* cannot happen: one read per device, ring >= ndev */
	io_uring_prep_read(sqe, eb_device_fd(q->slot[i].dev), q->slot[i].buf,
			   EVBUF_SIZE, 0);
	io_uring_sqe_set_data64(sqe, i);
	q->slot[i].armed = 1;
	return 0;
}

int eb_devq_new(struct eb_device *const *devs, unsigned int ndev, struct eb_devq **out)
{
	struct eb_devq *q;
	unsigned int i;
	int ret;

	*out = NULL;
	if (!ndev)
		return -EINVAL;
	q = calloc(1, sizeof(*q) + ndev * sizeof(q->slot[0]));
	if (!q)
		return -ENOMEM;
	ret = io_uring_queue_init(ndev < 4 ? 4 : ndev, &q->ring, 0);
	if (ret) {
		free(q);
		return ret;
	}
	q->ndev = ndev;
	for (i = 0; i < ndev; i++) {
		q->slot[i].dev = devs[i];
		arm(q, i);
	}
	*out = q;
	return 0;
}

void eb_devq_free(struct eb_devq *q)
{
	if (!q)
		return;
	/* cancels the armed reads; the kernel drops their events with the fd */
	io_uring_queue_exit(&q->ring);
	free(q);
}

/* Hand out the events of one completed read. */
static int deliver(struct eb_devq *q, unsigned int i, int len, eb_devq_fn fn, void *arg)
{
	const unsigned char *p = q->slot[i].buf;
	int n = 0, off = 0;

	while (off + (int)sizeof(struct drm_event) <= len) {
		const struct drm_event *e = (const void *)(p + off);

		if (e->length < sizeof(*e) || off + (int)e->length > len)
			return -EPROTO;
		if (e->type == DRM_EDGEBERT_EVENT_JOB &&
		    e->length >= sizeof(struct drm_edgebert_event_job)) {
			struct drm_edgebert_event_job ev;

			memcpy(&ev, e, sizeof(ev));	/* the buffer is reused */
			fn(arg, i, &ev);
			n++;
		}
		off += (int)e->length;
	}
	return n;
}

int eb_devq_reap(struct eb_devq *q, int64_t timeout_ns, eb_devq_fn fn, void *arg)
{
	struct __kernel_timespec ts = {
		.tv_sec = timeout_ns / 1000000000, .tv_nsec = timeout_ns % 1000000000,
	};
	struct io_uring_cqe *cqe;
	unsigned int head, seen = 0, i;
	int ret, handled = 0, err = 0;

	ret = io_uring_submit_and_wait_timeout(&q->ring, &cqe, timeout_ns ? 1 : 0,
					       timeout_ns < 0 ? NULL : &ts, NULL);
	q->syscalls++;
	/* -EAGAIN/-EBUSY: the kernel is short of resources or CQ room; just retry */
	if (ret < 0 && ret != -ETIME && ret != -EINTR && ret != -EAGAIN && ret != -EBUSY)
		return ret;
	io_uring_for_each_cqe(&q->ring, head, cqe) {
		i = (unsigned int)io_uring_cqe_get_data64(cqe);
		seen++;
		if (i >= q->ndev)
			continue;
		q->slot[i].armed = 0;
		if (cqe->res < 0 && cqe->res != -EINTR && cqe->res != -EAGAIN)
			err = cqe->res;
		else if (cqe->res > 0)
			ret = deliver(q, i, cqe->res, fn, arg);
		else
			ret = 0;
		if (ret < 0)
			err = ret;
		else if (cqe->res > 0)
			handled += ret;
	}
	io_uring_cq_advance(&q->ring, seen);
	for (i = 0; i < q->ndev; i++)
		if (!q->slot[i].armed)
			arm(q, i);	/* submitted with the next wait */
	return handled ? handled : err;
}

uint64_t eb_devq_syscalls(const struct eb_devq *q)
{
	return q->syscalls;
}
