// SPDX-License-Identifier: GPL-2.0
/*
 * EdgeBERT accelerator: embedded non-volatile memory (eNVM).
 *
 * Programming is privileged (the array is persistent and wears out) and
 * serialised; the device makes the update atomic. Reading the layout and
 * the per-page wear is open to every client.
 */
#include <linux/capability.h>
#include <linux/completion.h>
#include <linux/dma-resv.h>
#include <linux/iopoll.h>
#include <linux/overflow.h>
#include <linux/uaccess.h>

#include <drm/drm_drv.h>
#include <drm/drm_file.h>
#include <drm/drm_gem.h>
#include <drm/drm_print.h>

#include "edgebert_drv.h"
#include "edgebert_gem.h"

/* Generous: 2 x 1024 pages at 100 us of modeled time each, under TCG. */
#define EB_ENVM_TIMEOUT		(30 * HZ)

static bool eb_has_envm(struct eb_device *ebdev)
{
	return ebdev->caps.features & EDGEBERT_FEATURE_ENVM;
}

void eb_envm_irq(struct eb_device *ebdev)
{
	complete(&ebdev->envm_done);
}

static int eb_envm_error(u32 code)
{
	switch (code) {
	case 0:
		return 0;
	case 1:
		return -EINVAL;
	default:
		return -EIO;
	}
}

static int eb_envm_program(struct eb_device *ebdev, struct eb_bo *bo,
			   u64 offset, u64 size)
{
	dma_addr_t src = bo->plist_dma + offset / ebdev->caps.page_size *
			 sizeof(*bo->plist);
	unsigned long left = EB_ENVM_TIMEOUT;
	u32 status, generation;
	int ret;

	generation = eb_read(ebdev, EB_ENVM_GENERATION);
	reinit_completion(&ebdev->envm_done);
	eb_write(ebdev, EB_ENVM_SRC_LO, lower_32_bits(src));
	eb_write(ebdev, EB_ENVM_SRC_HI, upper_32_bits(src));
	eb_write(ebdev, EB_ENVM_SRC_SIZE, size);
	eb_write(ebdev, EB_ENVM_CONTROL, EB_ENVM_CONTROL_PROGRAM);

	/*
	 * Not interruptible: the device reads the BO's pages until it is
	 * done, so the BO must outlive the operation. A device reset also
	 * wakes us (it abandons the operation); one that came before the
	 * command leaves the device busy, and we wait on.
	 */
	do {
		left = wait_for_completion_timeout(&ebdev->envm_done, left);
		status = eb_read(ebdev, EB_ENVM_STATUS);
	} while (left && (status & EB_ENVM_STATUS_BUSY));

	if (status & EB_ENVM_STATUS_BUSY) {
		drm_err(&ebdev->drm, "eNVM programming timed out\n");
		/* A reset abandons the operation and its DMA. */
		eb_job_request_reset(ebdev, EDGEBERT_RESET_DEVICE_ERROR);
		ret = readl_poll_timeout(ebdev->regs + EB_ENVM_STATUS, status,
					 !(status & EB_ENVM_STATUS_BUSY),
					 1000, 1000000);
		return ret ? ret : -ETIMEDOUT;
	}
	if (status & EB_ENVM_STATUS_ERROR)
		return eb_envm_error(eb_read(ebdev, EB_ENVM_ERROR));
	/* Not committed: a device reset abandoned it (the old image stays). */
	if (eb_read(ebdev, EB_ENVM_GENERATION) == generation)
		return -EIO;
	return 0;
}

static int eb_envm_program_ioctl(struct drm_device *drm, void *data,
				 struct drm_file *file)
{
	struct eb_device *ebdev = to_eb_device(drm);
	struct drm_edgebert_envm_program *args = data;
	struct drm_gem_object *obj;
	u64 end;
	long lret;
	int ret;

	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	if (!eb_has_envm(ebdev))
		return -EOPNOTSUPP;
	if (args->flags)
		return -EINVAL;
	if (!args->size || args->size > ebdev->caps.envm_size)
		return -EINVAL;
	/* The device reads whole pages from a page list. */
	if (!IS_ALIGNED(args->bo_offset, ebdev->caps.page_size))
		return -EINVAL;

	obj = drm_gem_object_lookup(file, args->handle);
	if (!obj)
		return -ENOENT;
	if (check_add_overflow(args->bo_offset, args->size, &end) ||
	    end > obj->size) {
		ret = -EINVAL;
		goto out_put;
	}

	ret = eb_bo_get_plist(ebdev, to_eb_bo(obj));
	if (ret)
		goto out_put;

	/* The image may still be being written by a job. */
	lret = dma_resv_wait_timeout(obj->resv, DMA_RESV_USAGE_WRITE, true,
				     MAX_SCHEDULE_TIMEOUT);
	if (lret < 0) {
		ret = lret;
		goto out_put;
	}

	ret = mutex_lock_interruptible(&ebdev->envm_lock);
	if (ret)
		goto out_put;
	ret = eb_envm_program(ebdev, to_eb_bo(obj), args->bo_offset,
			      args->size);
	mutex_unlock(&ebdev->envm_lock);

	if (!ret) {
		atomic64_inc(&ebdev->stats.envm_programs);
		eb_nl_envm_programmed(ebdev,
				      eb_read(ebdev, EB_ENVM_GENERATION),
				      eb_read(ebdev, EB_ENVM_IMAGE_SIZE));
	}
out_put:
	drm_gem_object_put(obj);
	return ret;
}

static int eb_envm_info_ioctl(struct drm_device *drm, void *data,
			      struct drm_file *file)
{
	struct eb_device *ebdev = to_eb_device(drm);
	struct drm_edgebert_envm_info *args = data;
	u32 __user *wear = u64_to_user_ptr(args->wear);
	u32 i, n, pages;
	int ret = 0;

	if (args->pad)
		return -EINVAL;
	if (!eb_has_envm(ebdev))
		return -EOPNOTSUPP;
	if (args->wear_count && !args->wear)
		return -EINVAL;

	if (mutex_lock_interruptible(&ebdev->envm_lock))
		return -ERESTARTSYS;
	pages = eb_read(ebdev, EB_ENVM_PAGES);
	args->size = ebdev->caps.envm_size;
	args->page_size = ebdev->caps.envm_page_size;
	args->page_count = pages;
	args->image_size = eb_read(ebdev, EB_ENVM_IMAGE_SIZE);
	args->generation = eb_read(ebdev, EB_ENVM_GENERATION);
	args->image_crc32 = eb_read(ebdev, EB_ENVM_IMAGE_CRC);

	n = min(args->wear_count, pages);
	for (i = 0; i < n; i++) {
		u32 count;

		eb_write(ebdev, EB_ENVM_WEAR_INDEX, i);
		count = eb_read(ebdev, EB_ENVM_WEAR_COUNT);
		if (put_user(count, wear + i)) {
			ret = -EFAULT;
			break;
		}
	}
	mutex_unlock(&ebdev->envm_lock);
	return ret;
}

/* Both touch the hardware: not once the device is unplugged. */
int eb_ioctl_envm_program(struct drm_device *drm, void *data,
			  struct drm_file *file)
{
	int idx, ret;

	if (!drm_dev_enter(drm, &idx))
		return -ENODEV;
	ret = eb_envm_program_ioctl(drm, data, file);
	drm_dev_exit(idx);
	return ret;
}

int eb_ioctl_envm_info(struct drm_device *drm, void *data,
		       struct drm_file *file)
{
	int idx, ret;

	if (!drm_dev_enter(drm, &idx))
		return -ENODEV;
	ret = eb_envm_info_ioctl(drm, data, file);
	drm_dev_exit(idx);
	return ret;
}

void eb_envm_init(struct eb_device *ebdev)
{
	mutex_init(&ebdev->envm_lock);
	init_completion(&ebdev->envm_done);
}
