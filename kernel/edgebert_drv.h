/* SPDX-License-Identifier: GPL-2.0 */
/*
 * EdgeBERT accelerator DRM driver: shared definitions.
 */
#ifndef __EDGEBERT_DRV_H__
#define __EDGEBERT_DRV_H__

#include <linux/atomic.h>
#include <linux/io.h>
#include <linux/mutex.h>
#include <linux/pci.h>
#include <linux/types.h>

#include <drm/drm_device.h>

#include "edgebert_drm.h"
#include "edgebert_regs.h"

#define EB_DRIVER_NAME		"edgebert"
#define EB_DRIVER_DESC		"EdgeBERT NLP inference accelerator"
#define EB_DRIVER_DATE		"20241128"
#define EB_DRIVER_MAJOR		1
#define EB_DRIVER_MINOR		0

#define EB_PCI_VENDOR_ID	0x1af4
#define EB_PCI_DEVICE_ID	0x10f0
#define EB_MMIO_SIZE		0x1000

/* MSI-X vectors (docs/device.md). */
enum eb_vector {
	EB_VEC_COMPLETION,
	EB_VEC_CONTROL,
	EB_NUM_VECTORS
};

/*
 * Capability registers, read once at probe. The fields follow enum
 * drm_edgebert_param, so GET_PARAM indexes param[]: VERSION, then the
 * CAP_* block in register order.
 */
union eb_caps {
	struct {
		u32 version;
		u32 features;
		u32 mac_lanes;
		u32 vector_lanes;
		u32 freq_min_khz;
		u32 freq_max_khz;
		u32 volt_min_uv;
		u32 volt_max_uv;
		u32 opp_count;
		u32 envm_size;
		u32 envm_page_size;
		u32 sram_weight_size;
		u32 sram_act_size;
		u32 sq_entries;
		u32 cq_entries;
		u32 max_seq_len;
		u32 max_hidden;
		u32 max_heads;
		u32 max_ffn;
		u32 ldo_step_uv;
		u32 ldo_settle_ns;
		u32 adpll_relock_ns;
		u32 mac_energy_fj;
		u32 vector_energy_fj;
		u32 leakage_uw;
		u32 envm_read_fj_per_byte;
		u32 sram_read_fj_per_byte;
		u32 page_size;
	};
	u32 param[EDGEBERT_PARAM_COUNT];
};

struct eb_device {
	struct drm_device drm;
	struct pci_dev *pdev;
	void __iomem *regs;
	union eb_caps caps;
	int irq[EB_NUM_VECTORS];
	/* EB_IRQ_* control bits the hard handler saw, for the thread */
	atomic_t ctrl_pending;
};

static inline struct eb_device *to_eb_device(struct drm_device *drm)
{
	return container_of(drm, struct eb_device, drm);
}

static inline u32 eb_read(struct eb_device *ebdev, u32 reg)
{
	return readl(ebdev->regs + reg);
}

static inline void eb_write(struct eb_device *ebdev, u32 reg, u32 val)
{
	writel(val, ebdev->regs + reg);
}

/* 64-bit counter pair: reading _LO latches _HI, so the pair is coherent. */
static inline u64 eb_read64(struct eb_device *ebdev, u32 reg_lo)
{
	u32 lo = eb_read(ebdev, reg_lo);

	return (u64)eb_read(ebdev, reg_lo + 4) << 32 | lo;
}

/* edgebert_device.c */
int eb_device_init(struct eb_device *ebdev);
void eb_device_fini(struct eb_device *ebdev);
int eb_device_reset(struct eb_device *ebdev);
int eb_get_param(struct eb_device *ebdev, u32 param, u64 *value);

/* edgebert_job.c */
void eb_job_irq(struct eb_device *ebdev);
void eb_job_device_error(struct eb_device *ebdev);

/* edgebert_dvfs.c */
void eb_dvfs_irq(struct eb_device *ebdev);

/* edgebert_envm.c */
void eb_envm_irq(struct eb_device *ebdev);

#endif /* __EDGEBERT_DRV_H__ */
