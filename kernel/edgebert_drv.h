/* SPDX-License-Identifier: GPL-2.0 */
/*
 * EdgeBERT accelerator DRM driver: shared definitions.
 */
#ifndef __EDGEBERT_DRV_H__
#define __EDGEBERT_DRV_H__

#include <linux/atomic.h>
#include <linux/completion.h>
#include <linux/io.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/pci.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/workqueue.h>

#include <drm/drm_device.h>
#include <drm/gpu_scheduler.h>

#include "edgebert_drm.h"
#include "edgebert_netlink.h"
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
		u32 envm_program_ns;
		u32 envm_program_pj;
		u32 max_layers;
		u32 max_labels;
	};
	u32 param[EDGEBERT_PARAM_COUNT];
};

/* The driver's DVFS state (edgebert_dvfs.c). */
struct eb_dvfs {
	struct mutex lock;		/* all but time_in_state_ns */
	struct drm_edgebert_opp table[EB_CAP_OPP_MAX];
	u32 count;
	u32 min, max;			/* admin window, sysfs */
	u32 last;			/* point after the last queued job */
	u32 cur;			/* last point the device reported */
	spinlock_t stat_lock;
	u64 time_in_state_ns[EB_CAP_OPP_MAX];
};

struct eb_stats {
	atomic64_t jobs_submitted;
	atomic64_t jobs_completed;
	atomic64_t jobs_failed;
	atomic64_t jobs_timedout;
	atomic64_t resets;
	atomic64_t envm_programs;
};

struct eb_device {
	struct drm_device drm;
	struct pci_dev *pdev;
	void __iomem *regs;
	union eb_caps caps;
	int irq[EB_NUM_VECTORS];
	/* EB_IRQ_* control bits the hard handler saw, for the thread */
	atomic_t ctrl_pending;
	/* _LO/_HI latch of the 64-bit counters */
	spinlock_t counter_lock;

	/* Jobs (edgebert_job.c) */
	struct drm_gpu_scheduler sched;
	struct mutex sched_lock;	/* job ids in push order */
	u64 last_job_id;
	spinlock_t fence_lock;		/* hardware fences */
	u64 fence_context;
	u64 fence_seqno;
	spinlock_t job_lock;		/* inflight */
	struct list_head inflight;	/* on the ring, oldest first */
	struct mutex cq_lock;		/* completion ring consumer */
	atomic_t reset_reason;		/* enum edgebert_reset_reason, 0 */
	/* Ordered: reset_work and the scheduler's timeout handler. */
	struct workqueue_struct *reset_wq;
	struct work_struct reset_work;	/* eb_job_request_reset() */
	struct eb_job_desc *sq;
	dma_addr_t sq_dma;
	u32 sq_entries;
	u32 sq_tail;			/* free running */
	struct eb_completion *cq;
	dma_addr_t cq_dma;
	u32 cq_entries;
	u32 cq_head;			/* index */
	u32 cq_seq;			/* seq of the record at cq_head */

	struct eb_dvfs dvfs;

	/* eNVM (edgebert_envm.c) */
	struct mutex envm_lock;
	struct completion envm_done;

	struct eb_stats stats;
	struct list_head nl_node;	/* edgebert_netlink.c device list */
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

static inline u64 eb_read_counter(struct eb_device *ebdev, u32 reg_lo)
{
	unsigned long flags;
	u64 val;

	spin_lock_irqsave(&ebdev->counter_lock, flags);
	val = eb_read64(ebdev, reg_lo);
	spin_unlock_irqrestore(&ebdev->counter_lock, flags);
	return val;
}

/* edgebert_drv.c */
void eb_get_stats(struct eb_device *ebdev, struct drm_edgebert_stats *st);
extern const struct attribute_group *eb_sysfs_groups[];

/* edgebert_device.c */
int eb_device_init(struct eb_device *ebdev);
void eb_device_enable_irqs(struct eb_device *ebdev);
void eb_device_fini(struct eb_device *ebdev);
int eb_device_reset(struct eb_device *ebdev);
int eb_get_param(struct eb_device *ebdev, u32 param, u64 *value);

/* edgebert_job.c */
void eb_job_irq(struct eb_device *ebdev);
void eb_job_device_error(struct eb_device *ebdev);
void eb_job_request_reset(struct eb_device *ebdev, u32 reason);

/* edgebert_dvfs.c */
int eb_dvfs_init(struct eb_device *ebdev);
void eb_dvfs_irq(struct eb_device *ebdev);
void eb_dvfs_restore(struct eb_device *ebdev);
int eb_dvfs_validate(struct eb_device *ebdev,
		     const struct drm_edgebert_opp *table, u32 count);
int eb_dvfs_set_table(struct eb_device *ebdev,
		      const struct drm_edgebert_opp *table, u32 count);
void eb_dvfs_get_table(struct eb_device *ebdev, struct drm_edgebert_opp *table,
		       u32 *count);
int eb_dvfs_set_window(struct eb_device *ebdev, u32 min, u32 max);
void eb_dvfs_get_window(struct eb_device *ebdev, u32 *min, u32 *max);
bool eb_dvfs_opp_valid(struct eb_device *ebdev, u32 opp);
u32 eb_dvfs_job_opp(struct eb_device *ebdev, u32 job_opp, u32 file_opp);
void eb_dvfs_job_done(struct eb_device *ebdev, u32 opp, u64 device_ns);
u64 eb_dvfs_time_in_state(struct eb_device *ebdev, u32 opp);
int eb_ioctl_dvfs_get(struct drm_device *drm, void *data,
		      struct drm_file *file);
int eb_ioctl_dvfs_request(struct drm_device *drm, void *data,
			  struct drm_file *file);

/* edgebert_envm.c */
void eb_envm_init(struct eb_device *ebdev);
void eb_envm_irq(struct eb_device *ebdev);
int eb_ioctl_envm_program(struct drm_device *drm, void *data,
			  struct drm_file *file);
int eb_ioctl_envm_info(struct drm_device *drm, void *data,
		       struct drm_file *file);

/* edgebert_netlink.c */
int eb_nl_init(void);
void eb_nl_exit(void);
void eb_nl_add_device(struct eb_device *ebdev);
void eb_nl_remove_device(struct eb_device *ebdev);
void eb_nl_job_done(struct eb_device *ebdev,
		    const struct drm_edgebert_event_job *res, u64 latency_ns);
void eb_nl_dvfs_change(struct eb_device *ebdev, u32 prev, u32 cur,
		       const struct drm_edgebert_opp *point);
void eb_nl_envm_programmed(struct eb_device *ebdev, u32 generation, u64 size);
void eb_nl_reset(struct eb_device *ebdev, u32 reason);

#endif /* __EDGEBERT_DRV_H__ */
