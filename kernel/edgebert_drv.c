// SPDX-License-Identifier: GPL-2.0
/*
 * EdgeBERT accelerator DRM driver: PCI glue, DRM device, ioctl table.
 */
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/slab.h>

#include <drm/drm_drv.h>
#include <drm/drm_file.h>
#include <drm/drm_gem.h>
#include <drm/drm_gem_shmem_helper.h>
#include <drm/drm_ioctl.h>
#include <drm/drm_print.h>

#include "edgebert_drv.h"
#include "edgebert_gem.h"
#include "edgebert_job.h"

/*
 * Completion events a client may have queued and unread on its fd. The
 * DRM default (4 KiB, 64 of our events) is too small for a runtime that
 * keeps a few hundred sentences in flight.
 */
#define EB_EVENT_SPACE	(1024 * sizeof(struct drm_edgebert_event_job))

static int eb_ioctl_get_param(struct drm_device *drm, void *data,
			      struct drm_file *file)
{
	struct drm_edgebert_get_param *args = data;

	if (args->pad)
		return -EINVAL;
	return eb_get_param(to_eb_device(drm), args->param, &args->value);
}

void eb_get_stats(struct eb_device *ebdev, struct drm_edgebert_stats *st)
{
	struct eb_stats *s = &ebdev->stats;

	st->jobs_submitted = atomic64_read(&s->jobs_submitted);
	st->jobs_completed = atomic64_read(&s->jobs_completed);
	st->jobs_failed = atomic64_read(&s->jobs_failed);
	st->jobs_timedout = atomic64_read(&s->jobs_timedout);
	st->resets = atomic64_read(&s->resets);
	st->envm_programs = atomic64_read(&s->envm_programs);
	st->cycles = eb_read_counter(ebdev, EB_CYCLES_LO);
	st->busy_ns = eb_read_counter(ebdev, EB_BUSY_NS_LO);
	st->energy_pj = eb_read_counter(ebdev, EB_ENERGY_PJ_LO);
	st->dvfs_transitions = eb_read(ebdev, EB_DVFS_TRANSITIONS);
}

static int eb_ioctl_stats(struct drm_device *drm, void *data,
			  struct drm_file *file)
{
	int idx;

	if (!drm_dev_enter(drm, &idx))
		return -ENODEV;
	eb_get_stats(to_eb_device(drm), data);
	drm_dev_exit(idx);
	return 0;
}

#define EB_IOCTL(name, func, flags) \
	DRM_IOCTL_DEF_DRV(EDGEBERT_##name, func, flags)

static const struct drm_ioctl_desc eb_ioctls[] = {
	EB_IOCTL(GET_PARAM, eb_ioctl_get_param, DRM_RENDER_ALLOW),
	EB_IOCTL(BO_CREATE, eb_ioctl_bo_create, DRM_RENDER_ALLOW),
	EB_IOCTL(BO_MMAP_OFFSET, eb_ioctl_bo_mmap_offset, DRM_RENDER_ALLOW),
	EB_IOCTL(BO_WAIT, eb_ioctl_bo_wait, DRM_RENDER_ALLOW),
	EB_IOCTL(SUBMIT, eb_ioctl_submit, DRM_RENDER_ALLOW),
	EB_IOCTL(ENVM_INFO, eb_ioctl_envm_info, DRM_RENDER_ALLOW),
	/* Also needs CAP_SYS_ADMIN, checked by the handler. */
	EB_IOCTL(ENVM_PROGRAM, eb_ioctl_envm_program, DRM_RENDER_ALLOW),
	EB_IOCTL(DVFS_GET, eb_ioctl_dvfs_get, DRM_RENDER_ALLOW),
	EB_IOCTL(DVFS_REQUEST, eb_ioctl_dvfs_request, DRM_RENDER_ALLOW),
	EB_IOCTL(STATS, eb_ioctl_stats, DRM_RENDER_ALLOW),
};

static int eb_open(struct drm_device *drm, struct drm_file *file)
{
	struct eb_device *ebdev = to_eb_device(drm);
	struct eb_file *efile;
	int ret;

	efile = kzalloc(sizeof(*efile), GFP_KERNEL);
	if (!efile)
		return -ENOMEM;
	efile->ebdev = ebdev;
	efile->dvfs_request = EDGEBERT_OPP_CURRENT;

	ret = eb_job_open(ebdev, efile);
	if (ret) {
		kfree(efile);
		return ret;
	}
	file->event_space = EB_EVENT_SPACE;
	file->driver_priv = efile;
	return 0;
}

static void eb_postclose(struct drm_device *drm, struct drm_file *file)
{
	struct eb_file *efile = file->driver_priv;

	eb_job_close(efile);
	kfree(efile);
}

DEFINE_DRM_GEM_FOPS(eb_fops);

static const struct drm_driver eb_drm_driver = {
	.driver_features	= DRIVER_GEM | DRIVER_RENDER | DRIVER_SYNCOBJ,
	.open			= eb_open,
	.postclose		= eb_postclose,
	.gem_create_object	= eb_gem_create_object,
	.gem_prime_import_sg_table = drm_gem_shmem_prime_import_sg_table,
	.ioctls			= eb_ioctls,
	.num_ioctls		= ARRAY_SIZE(eb_ioctls),
	.fops			= &eb_fops,
	.name			= EB_DRIVER_NAME,
	.desc			= EB_DRIVER_DESC,
	.date			= EB_DRIVER_DATE,
	.major			= EB_DRIVER_MAJOR,
	.minor			= EB_DRIVER_MINOR,
};

static int eb_pci_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	struct eb_device *ebdev;
	int ret;

	ebdev = devm_drm_dev_alloc(&pdev->dev, &eb_drm_driver,
				   struct eb_device, drm);
	if (IS_ERR(ebdev))
		return PTR_ERR(ebdev);
	ebdev->pdev = pdev;
	spin_lock_init(&ebdev->counter_lock);
	INIT_LIST_HEAD(&ebdev->nl_node);
	pci_set_drvdata(pdev, ebdev);

	ret = pcim_enable_device(pdev);
	if (ret)
		return ret;

	ret = pcim_iomap_regions(pdev, BIT(0), EB_DRIVER_NAME);
	if (ret)
		return ret;
	ebdev->regs = pcim_iomap_table(pdev)[0];
	if (pci_resource_len(pdev, 0) < EB_MMIO_SIZE)
		return -ENODEV;

	pci_set_master(pdev);
	ret = dma_set_mask_and_coherent(&pdev->dev, DMA_BIT_MASK(64));
	if (ret)
		return ret;

	eb_envm_init(ebdev);
	ret = eb_device_init(ebdev);
	if (ret)
		return ret;
	ret = eb_dvfs_init(ebdev);
	if (ret)
		goto err_fini;
	ret = eb_job_init(ebdev);
	if (ret)
		goto err_fini;
	eb_device_enable_irqs(ebdev);

	ret = drm_dev_register(&ebdev->drm, 0);
	if (ret)
		goto err_job;
	eb_nl_add_device(ebdev);

	drm_info(&ebdev->drm, "EdgeBERT %u.%u: %u MAC lanes, %u OPPs, %u KiB eNVM\n",
		 EB_VERSION_MAJOR(ebdev->caps.version),
		 EB_VERSION_MINOR(ebdev->caps.version),
		 ebdev->caps.mac_lanes, ebdev->caps.opp_count,
		 ebdev->caps.envm_size / 1024);
	return 0;

err_job:
	eb_job_fini(ebdev);
	return ret;
err_fini:
	eb_device_fini(ebdev);
	return ret;
}

static void eb_pci_remove(struct pci_dev *pdev)
{
	struct eb_device *ebdev = pci_get_drvdata(pdev);

	eb_nl_remove_device(ebdev);
	drm_dev_unplug(&ebdev->drm);
	/* Also silences the device (eb_device_fini()). */
	eb_job_fini(ebdev);
}

static void eb_pci_shutdown(struct pci_dev *pdev)
{
	struct eb_device *ebdev = pci_get_drvdata(pdev);

	/* Stop DMA before the machine goes away under the device. */
	eb_device_fini(ebdev);
}

static const struct pci_device_id eb_pci_ids[] = {
	{ PCI_DEVICE(EB_PCI_VENDOR_ID, EB_PCI_DEVICE_ID) },
	{ }
};
MODULE_DEVICE_TABLE(pci, eb_pci_ids);

static struct pci_driver eb_pci_driver = {
	.name		= EB_DRIVER_NAME,
	.id_table	= eb_pci_ids,
	.probe		= eb_pci_probe,
	.remove		= eb_pci_remove,
	.shutdown	= eb_pci_shutdown,
	.dev_groups	= eb_sysfs_groups,
};

static int __init eb_init(void)
{
	int ret;

	ret = eb_nl_init();
	if (ret)
		return ret;
	ret = pci_register_driver(&eb_pci_driver);
	if (ret)
		eb_nl_exit();
	return ret;
}
module_init(eb_init);

static void __exit eb_exit(void)
{
	pci_unregister_driver(&eb_pci_driver);
	eb_nl_exit();
}
module_exit(eb_exit);

MODULE_DESCRIPTION(EB_DRIVER_DESC);
MODULE_LICENSE("GPL");
