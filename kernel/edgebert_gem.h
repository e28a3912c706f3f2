/* SPDX-License-Identifier: GPL-2.0 */
#ifndef __EDGEBERT_GEM_H__
#define __EDGEBERT_GEM_H__

#include <linux/bits.h>

#include <drm/drm_gem_shmem_helper.h>

struct eb_device;

/* Largest BO: the device's page list entry count stays within u32. */
#define EB_BO_MAX_SIZE		BIT_ULL(32)

struct eb_bo {
	struct drm_gem_shmem_object base;
	u32 flags;		/* EDGEBERT_BO_* */

	/* Device page list, built on first use by a job. */
	struct mutex lock;
	__le64 *plist;
	dma_addr_t plist_dma;
	size_t plist_size;
};

static inline struct eb_bo *to_eb_bo(struct drm_gem_object *obj)
{
	return container_of(to_drm_gem_shmem_obj(obj), struct eb_bo, base);
}

struct drm_gem_object *eb_gem_create_object(struct drm_device *drm,
					    size_t size);
int eb_bo_get_plist(struct eb_device *ebdev, struct eb_bo *bo);

int eb_ioctl_bo_create(struct drm_device *drm, void *data,
		       struct drm_file *file);
int eb_ioctl_bo_mmap_offset(struct drm_device *drm, void *data,
			    struct drm_file *file);
int eb_ioctl_bo_wait(struct drm_device *drm, void *data,
		     struct drm_file *file);

#endif /* __EDGEBERT_GEM_H__ */
