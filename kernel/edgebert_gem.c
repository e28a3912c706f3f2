// SPDX-License-Identifier: GPL-2.0
/*
 * EdgeBERT accelerator: shmem buffer objects and their device page lists.
 */
#include <linux/dma-mapping.h>
#include <linux/dma-resv.h>
#include <linux/overflow.h>
#include <linux/scatterlist.h>

#include <drm/drm_file.h>
#include <drm/drm_gem_shmem_helper.h>
#include <drm/drm_utils.h>

#include "edgebert_drv.h"
#include "edgebert_gem.h"

static void eb_bo_free(struct drm_gem_object *obj)
{
	struct eb_bo *bo = to_eb_bo(obj);

	if (bo->plist)
		dma_free_coherent(obj->dev->dev, bo->plist_size, bo->plist,
				  bo->plist_dma);
	mutex_destroy(&bo->lock);
	drm_gem_shmem_free(&bo->base);
}

static const struct drm_gem_object_funcs eb_bo_funcs = {
	.free = eb_bo_free,
	.print_info = drm_gem_shmem_object_print_info,
	.pin = drm_gem_shmem_object_pin,
	.unpin = drm_gem_shmem_object_unpin,
	.get_sg_table = drm_gem_shmem_object_get_sg_table,
	.vmap = drm_gem_shmem_object_vmap,
	.vunmap = drm_gem_shmem_object_vunmap,
	.mmap = drm_gem_shmem_object_mmap,
	.vm_ops = &drm_gem_shmem_vm_ops,
};

struct drm_gem_object *eb_gem_create_object(struct drm_device *drm,
					    size_t size)
{
	struct eb_bo *bo;

	bo = kzalloc(sizeof(*bo), GFP_KERNEL);
	if (!bo)
		return ERR_PTR(-ENOMEM);
	mutex_init(&bo->lock);
	bo->base.base.funcs = &eb_bo_funcs;
	return &bo->base.base;
}

/*
 * Build the list of device page addresses the device walks for this BO
 * (docs/device.md, "BO entry"). The pages stay pinned and mapped until the
 * BO is freed; a BO is never purged or moved, so the list stays valid.
 */
int eb_bo_get_plist(struct eb_device *ebdev, struct eb_bo *bo)
{
	struct drm_gem_object *obj = &bo->base.base;
	u32 dev_page = ebdev->caps.page_size;
	struct sg_dma_page_iter iter;
	struct sg_table *sgt;
	size_t n, size, i = 0;
	dma_addr_t plist_dma;
	__le64 *plist;
	int ret = 0;

	mutex_lock(&bo->lock);
	if (bo->plist)
		goto out;

	/*
	 * First the list, one physically contiguous block: above 4 MiB (a BO
	 * over 2 GiB) the page allocator cannot provide it and WARNs unless
	 * told not to; fail before pinning gigabytes of pages for nothing.
	 */
	n = obj->size / dev_page;
	size = array_size(n, sizeof(*plist));
	plist = dma_alloc_coherent(obj->dev->dev, size, &plist_dma,
				   GFP_KERNEL | __GFP_NOWARN);
	if (!plist) {
		ret = -ENOMEM;
		goto out;
	}

	sgt = drm_gem_shmem_get_pages_sgt(&bo->base);
	if (IS_ERR(sgt)) {
		dma_free_coherent(obj->dev->dev, size, plist, plist_dma);
		ret = PTR_ERR(sgt);
		goto out;
	}

	/* The device page size divides PAGE_SIZE (checked at probe). */
	for_each_sgtable_dma_page(sgt, &iter, 0) {
		dma_addr_t addr = sg_page_iter_dma_address(&iter);
		u32 off;

		for (off = 0; off < PAGE_SIZE && i < n; off += dev_page)
			plist[i++] = cpu_to_le64(addr + off);
	}
	bo->plist_size = size;
	bo->plist_dma = plist_dma;
	bo->plist = plist;
out:
	mutex_unlock(&bo->lock);
	return ret;
}

int eb_ioctl_bo_create(struct drm_device *drm, void *data,
		       struct drm_file *file)
{
	struct drm_edgebert_bo_create *args = data;
	struct drm_gem_shmem_object *shmem;
	struct eb_bo *bo;
	int ret;

	if (args->flags & ~EDGEBERT_BO_FLAGS)
		return -EINVAL;
	if (!args->size || args->size > EB_BO_MAX_SIZE)
		return -EINVAL;

	shmem = drm_gem_shmem_create(drm, PAGE_ALIGN(args->size));
	if (IS_ERR(shmem))
		return PTR_ERR(shmem);
	bo = to_eb_bo(&shmem->base);
	bo->flags = args->flags;

	ret = drm_gem_handle_create(file, &shmem->base, &args->handle);
	/* The handle holds the only reference from here on. */
	drm_gem_object_put(&shmem->base);
	return ret;
}

int eb_ioctl_bo_mmap_offset(struct drm_device *drm, void *data,
			    struct drm_file *file)
{
	struct drm_edgebert_bo_mmap_offset *args = data;
	struct drm_gem_object *obj;
	int ret;

	if (args->pad)
		return -EINVAL;

	obj = drm_gem_object_lookup(file, args->handle);
	if (!obj)
		return -ENOENT;

	ret = drm_gem_create_mmap_offset(obj);
	if (!ret)
		args->offset = drm_vma_node_offset_addr(&obj->vma_node);
	drm_gem_object_put(obj);
	return ret;
}

int eb_ioctl_bo_wait(struct drm_device *drm, void *data,
		     struct drm_file *file)
{
	struct drm_edgebert_bo_wait *args = data;
	struct drm_gem_object *obj;
	unsigned long timeout;
	long ret;

	if (args->pad)
		return -EINVAL;

	obj = drm_gem_object_lookup(file, args->handle);
	if (!obj)
		return -ENOENT;

	/* Absolute deadline: a restarted call waits for the remainder only. */
	timeout = drm_timeout_abs_to_jiffies(args->timeout_ns);
	if (!timeout)
		ret = dma_resv_test_signaled(obj->resv, DMA_RESV_USAGE_READ) ?
			1 : 0;
	else
		ret = dma_resv_wait_timeout(obj->resv, DMA_RESV_USAGE_READ,
					    true, timeout);
	drm_gem_object_put(obj);

	if (ret < 0)
		return ret;
	return ret ? 0 : -ETIME;
}
