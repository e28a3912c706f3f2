// SPDX-License-Identifier: GPL-2.0
/*
 * EdgeBERT accelerator: hardware bring-up, capabilities, interrupts.
 */
#include <linux/bitops.h>
#include <linux/build_bug.h>
#include <linux/interrupt.h>
#include <linux/iopoll.h>
#include <linux/log2.h>
#include <linux/nospec.h>
#include <linux/pci.h>

#include <drm/drm_print.h>

#include "edgebert_drv.h"

#define EB_READY_TIMEOUT_US	100000
#define EB_SCRATCH_PATTERN	0x5a5aa5a5

static u32 eb_param_reg(u32 param)
{
	if (param == EDGEBERT_PARAM_DEVICE_VERSION)
		return EB_VERSION;
	return EB_CAP(param - EDGEBERT_PARAM_FEATURES);
}

static int eb_read_caps(struct eb_device *ebdev)
{
	union eb_caps *caps = &ebdev->caps;
	struct drm_device *drm = &ebdev->drm;
	u32 i;

	BUILD_BUG_ON(sizeof(*caps) != EDGEBERT_PARAM_COUNT * sizeof(u32));
	BUILD_BUG_ON(offsetof(union eb_caps, max_labels) !=
		     EDGEBERT_PARAM_MAX_LABELS * sizeof(u32));

	for (i = 0; i < EDGEBERT_PARAM_COUNT; i++)
		caps->param[i] = eb_read(ebdev, eb_param_reg(i));

	/*
	 * Everything below sizes driver structures or indexes registers:
	 * refuse a device whose capabilities would make that unsafe.
	 */
	if (!caps->opp_count || caps->opp_count > EB_CAP_OPP_MAX) {
		drm_err(drm, "bad OPP count %u\n", caps->opp_count);
		return -ENODEV;
	}
	if (caps->sq_entries < 2 || !is_power_of_2(caps->sq_entries) ||
	    caps->cq_entries < 2 || !is_power_of_2(caps->cq_entries)) {
		drm_err(drm, "bad ring sizes %u/%u\n",
			caps->sq_entries, caps->cq_entries);
		return -ENODEV;
	}
	if (!is_power_of_2(caps->page_size) || caps->page_size > PAGE_SIZE) {
		drm_err(drm, "unsupported device page size %u\n",
			caps->page_size);
		return -ENODEV;
	}
	if (caps->volt_min_uv > caps->volt_max_uv ||
	    caps->freq_min_khz > caps->freq_max_khz) {
		drm_err(drm, "inconsistent DVFS limits\n");
		return -ENODEV;
	}
	if ((caps->features & EDGEBERT_FEATURE_ENVM) &&
	    (!caps->envm_page_size || caps->envm_size % caps->envm_page_size)) {
		drm_err(drm, "bad eNVM geometry %u/%u\n",
			caps->envm_size, caps->envm_page_size);
		return -ENODEV;
	}
	return 0;
}

/* Identify the device and prove that MMIO works before trusting it. */
static int eb_check_identity(struct eb_device *ebdev)
{
	struct drm_device *drm = &ebdev->drm;
	u32 id, version;

	id = eb_read(ebdev, EB_ID);
	if (id != EB_ID_VALUE) {
		drm_err(drm, "unexpected ID 0x%08x\n", id);
		return -ENODEV;
	}
	version = eb_read(ebdev, EB_VERSION);
	if (EB_VERSION_MAJOR(version) != 1) {
		drm_err(drm, "unsupported device version %u.%u\n",
			EB_VERSION_MAJOR(version), EB_VERSION_MINOR(version));
		return -ENODEV;
	}
	eb_write(ebdev, EB_SCRATCH, EB_SCRATCH_PATTERN);
	if (eb_read(ebdev, EB_SCRATCH) != EB_SCRATCH_PATTERN) {
		drm_err(drm, "MMIO scratch test failed\n");
		return -EIO;
	}
	return 0;
}

/* Abort everything on the device and wait until it is ready again. */
int eb_device_reset(struct eb_device *ebdev)
{
	u32 status;
	int ret;

	eb_write(ebdev, EB_CONTROL, EB_CONTROL_RESET);
	ret = readl_poll_timeout(ebdev->regs + EB_STATUS, status,
				 (status & EB_STATUS_READY) &&
				 !(status & EB_STATUS_RESETTING),
				 10, EB_READY_TIMEOUT_US);
	if (ret)
		drm_err(&ebdev->drm, "device not ready after reset (status 0x%x)\n",
			status);
	return ret;
}

static irqreturn_t eb_irq_completion(int irq, void *arg)
{
	struct eb_device *ebdev = arg;
	u32 status = eb_read(ebdev, EB_IRQ_STATUS) & EB_IRQ_COMPLETION;

	if (!status)
		return IRQ_NONE;
	/* Ack first: a record written after the drain raises a new MSI. */
	eb_write(ebdev, EB_IRQ_STATUS, status);
	return IRQ_WAKE_THREAD;
}

static irqreturn_t eb_irq_completion_thread(int irq, void *arg)
{
	struct eb_device *ebdev = arg;

	eb_job_irq(ebdev);
	return IRQ_HANDLED;
}

static irqreturn_t eb_irq_control(int irq, void *arg)
{
	struct eb_device *ebdev = arg;
	u32 status = eb_read(ebdev, EB_IRQ_STATUS) & EB_IRQ_CONTROL_MASK;

	if (!status)
		return IRQ_NONE;
	eb_write(ebdev, EB_IRQ_STATUS, status);
	atomic_or(status, &ebdev->ctrl_pending);
	return IRQ_WAKE_THREAD;
}

static irqreturn_t eb_irq_control_thread(int irq, void *arg)
{
	struct eb_device *ebdev = arg;
	u32 status = atomic_xchg(&ebdev->ctrl_pending, 0);

	if (status & EB_IRQ_ERROR)
		eb_job_device_error(ebdev);
	if (status & EB_IRQ_DVFS_DONE)
		eb_dvfs_irq(ebdev);
	if (status & EB_IRQ_ENVM_DONE)
		eb_envm_irq(ebdev);
	return IRQ_HANDLED;
}

static int eb_setup_irqs(struct eb_device *ebdev)
{
	struct pci_dev *pdev = ebdev->pdev;
	struct device *dev = &pdev->dev;
	int ret;

	/* The device signals only through MSI-X (docs/device.md). */
	ret = pci_alloc_irq_vectors(pdev, EB_NUM_VECTORS, EB_NUM_VECTORS,
				    PCI_IRQ_MSIX);
	if (ret < 0) {
		drm_err(&ebdev->drm, "MSI-X setup failed: %d\n", ret);
		return ret;
	}

	ebdev->irq[EB_VEC_COMPLETION] = pci_irq_vector(pdev, EB_VEC_COMPLETION);
	ebdev->irq[EB_VEC_CONTROL] = pci_irq_vector(pdev, EB_VEC_CONTROL);

	ret = devm_request_threaded_irq(dev, ebdev->irq[EB_VEC_COMPLETION],
					eb_irq_completion,
					eb_irq_completion_thread, 0,
					"edgebert-job", ebdev);
	if (ret)
		return ret;
	return devm_request_threaded_irq(dev, ebdev->irq[EB_VEC_CONTROL],
					 eb_irq_control, eb_irq_control_thread,
					 0, "edgebert-ctrl", ebdev);
}

int eb_device_init(struct eb_device *ebdev)
{
	int ret;

	ret = eb_check_identity(ebdev);
	if (ret)
		return ret;
	ret = eb_read_caps(ebdev);
	if (ret)
		return ret;

	/* Start from a clean device whatever a previous driver left. */
	eb_write(ebdev, EB_IRQ_MASK, 0);
	ret = eb_device_reset(ebdev);
	if (ret)
		return ret;
	eb_write(ebdev, EB_IRQ_STATUS, ~0u);

	return eb_setup_irqs(ebdev);
}

/* Last step of probe: the handlers use everything initialised before. */
void eb_device_enable_irqs(struct eb_device *ebdev)
{
	eb_write(ebdev, EB_IRQ_MASK, EB_IRQ_COMPLETION | EB_IRQ_CONTROL_MASK);
}

/*
 * Silence the device: no interrupt, and no DMA. QUEUE_DISABLE is not
 * enough, the job in flight would still complete (and write its BOs and
 * the completion ring, which devres frees after remove); RESET drops it,
 * and an eNVM program, at once (docs/device.md, Reset).
 */
void eb_device_fini(struct eb_device *ebdev)
{
	eb_write(ebdev, EB_IRQ_MASK, 0);
	eb_write(ebdev, EB_CONTROL, EB_CONTROL_RESET);
	synchronize_irq(ebdev->irq[EB_VEC_COMPLETION]);
	synchronize_irq(ebdev->irq[EB_VEC_CONTROL]);
}

int eb_get_param(struct eb_device *ebdev, u32 param, u64 *value)
{
	if (param >= EDGEBERT_PARAM_COUNT)
		return -EINVAL;
	*value = ebdev->caps.param[array_index_nospec(param,
						      EDGEBERT_PARAM_COUNT)];
	return 0;
}
