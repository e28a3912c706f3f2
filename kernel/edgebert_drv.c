// SPDX-License-Identifier: GPL-2.0
/*
 * EdgeBERT accelerator DRM driver: PCI glue, DRM device, ioctl table.
 */
#include <linux/module.h>
#include <linux/pci.h>

#include <drm/drm_drv.h>
#include <drm/drm_file.h>
#include <drm/drm_gem.h>
#include <drm/drm_ioctl.h>
#include <drm/drm_print.h>

#include "edgebert_drv.h"

static int eb_ioctl_get_param(struct drm_device *drm, void *data,
			      struct drm_file *file)
{
	struct drm_edgebert_get_param *args = data;

	if (args->pad)
		return -EINVAL;
	return eb_get_param(to_eb_device(drm), args->param, &args->value);
}

#define EB_IOCTL(name, func, flags) \
	DRM_IOCTL_DEF_DRV(EDGEBERT_##name, eb_ioctl_##func, flags)

static const struct drm_ioctl_desc eb_ioctls[] = {
	EB_IOCTL(GET_PARAM, get_param, DRM_RENDER_ALLOW),
};

DEFINE_DRM_GEM_FOPS(eb_fops);

static const struct drm_driver eb_drm_driver = {
	.driver_features	= DRIVER_GEM | DRIVER_RENDER | DRIVER_SYNCOBJ,
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

	ret = eb_device_init(ebdev);
	if (ret)
		return ret;

	ret = drm_dev_register(&ebdev->drm, 0);
	if (ret)
		goto err_fini;

	drm_info(&ebdev->drm, "EdgeBERT %u.%u: %u MAC lanes, %u OPPs, %u KiB eNVM\n",
		 EB_VERSION_MAJOR(ebdev->caps.version),
		 EB_VERSION_MINOR(ebdev->caps.version),
		 ebdev->caps.mac_lanes, ebdev->caps.opp_count,
		 ebdev->caps.envm_size / 1024);
	return 0;

err_fini:
	eb_device_fini(ebdev);
	return ret;
}

static void eb_pci_remove(struct pci_dev *pdev)
{
	struct eb_device *ebdev = pci_get_drvdata(pdev);

	drm_dev_unplug(&ebdev->drm);
	eb_device_fini(ebdev);
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
};
module_pci_driver(eb_pci_driver);

MODULE_DESCRIPTION(EB_DRIVER_DESC);
MODULE_LICENSE("GPL");
