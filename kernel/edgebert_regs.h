/* SPDX-License-Identifier: GPL-2.0 */
/*
 * EdgeBERT accelerator register map (docs/device.md, spec 1.0).
 */
#ifndef __EDGEBERT_REGS_H__
#define __EDGEBERT_REGS_H__

#include <linux/bits.h>
#include <linux/types.h>

#define EB_ID				0x000
#define   EB_ID_VALUE			0x45424552	/* "EBER" */
#define EB_VERSION			0x004
#define   EB_VERSION_MAJOR(v)		((v) >> 16)
#define   EB_VERSION_MINOR(v)		((v) & 0xffff)
#define EB_STATUS			0x008
#define   EB_STATUS_READY		BIT(0)
#define   EB_STATUS_RESETTING		BIT(1)
#define   EB_STATUS_FATAL		BIT(2)
#define   EB_STATUS_DVFS_BUSY		BIT(3)
#define   EB_STATUS_ENVM_BUSY		BIT(4)
#define   EB_STATUS_QUEUE_ENABLED	BIT(5)
#define   EB_STATUS_JOB_ACTIVE		BIT(6)
#define EB_CONTROL			0x00c
#define   EB_CONTROL_RESET		BIT(0)
#define   EB_CONTROL_QUEUE_ENABLE	BIT(1)
#define   EB_CONTROL_QUEUE_DISABLE	BIT(2)
#define EB_IRQ_STATUS			0x010
#define EB_IRQ_MASK			0x014
#define   EB_IRQ_COMPLETION		BIT(0)
#define   EB_IRQ_DVFS_DONE		BIT(1)
#define   EB_IRQ_ENVM_DONE		BIT(2)
#define   EB_IRQ_ERROR			BIT(3)
#define   EB_IRQ_CONTROL_MASK		(EB_IRQ_DVFS_DONE | EB_IRQ_ENVM_DONE | \
					 EB_IRQ_ERROR)
#define EB_ERROR_CODE			0x018
#define EB_SCRATCH			0x01c

/* Capabilities, one 32-bit register each, in GET_PARAM order. */
#define EB_CAP_BASE			0x100
#define EB_CAP(n)			(EB_CAP_BASE + 4 * (n))
#define EB_CAP_FEATURES			0x100
#define EB_CAP_OPP_COUNT		0x11c
#define EB_CAP_PAGE_SIZE		0x168
#define EB_CAP_OPP_MAX			32

#define EB_OPP_FREQ_KHZ(i)		(0x200 + 8 * (i))
#define EB_OPP_VOLT_UV(i)		(0x204 + 8 * (i))

#define EB_DVFS_TARGET			0x300
#define EB_DVFS_CURRENT			0x304
#define EB_DVFS_STATUS			0x308
#define   EB_DVFS_STATUS_BUSY		BIT(0)
#define   EB_DVFS_STATUS_FAULT		BIT(1)
#define EB_DVFS_TRANSITIONS		0x30c

/* 64-bit counters: reading _LO latches _HI. */
#define EB_CYCLES_LO			0x380
#define EB_BUSY_NS_LO			0x388
#define EB_ENERGY_PJ_LO			0x390
#define EB_JOBS_DONE_LO			0x398

#define EB_SQ_BASE_LO			0x400
#define EB_SQ_BASE_HI			0x404
#define EB_SQ_ENTRIES			0x408
#define EB_SQ_TAIL			0x40c
#define EB_SQ_HEAD			0x410
#define EB_CQ_BASE_LO			0x420
#define EB_CQ_BASE_HI			0x424
#define EB_CQ_ENTRIES			0x428
#define EB_CQ_HEAD			0x42c
#define EB_CQ_TAIL			0x430

#define EB_ENVM_CONTROL			0x500
#define   EB_ENVM_CONTROL_PROGRAM	BIT(0)
#define EB_ENVM_STATUS			0x504
#define   EB_ENVM_STATUS_BUSY		BIT(0)
#define   EB_ENVM_STATUS_VALID		BIT(1)
#define   EB_ENVM_STATUS_ERROR		BIT(2)
#define EB_ENVM_SRC_LO			0x508
#define EB_ENVM_SRC_HI			0x50c
#define EB_ENVM_SRC_SIZE		0x510
#define EB_ENVM_IMAGE_SIZE		0x514
#define EB_ENVM_GENERATION		0x518
#define EB_ENVM_IMAGE_CRC		0x51c
#define EB_ENVM_WEAR_INDEX		0x520
#define EB_ENVM_WEAR_COUNT		0x524
#define EB_ENVM_PROGRESS		0x528
#define EB_ENVM_ERROR			0x52c
#define EB_ENVM_PAGES			0x530

#define EB_FAULT_CTRL			0x600

#define EB_RING_ALIGN			64

/* Job descriptor, submission ring entry. */
struct eb_job_desc {
	__le64 job_id;
	__le64 bo_table;
	__le32 bo_count;
	__le32 cmd_bo;
	__le64 cmd_offset;
	__le32 cmd_size;
	__le32 opp;
	__le32 flags;
	__le32 reserved[5];
};

/* BO table entry: page list of one BO. */
struct eb_bo_entry {
	__le64 pages;
	__le64 size;
};

#define EB_COMPLETION_MAGIC		0xebc0ffee

/* Completion record, completion ring entry. */
struct eb_completion {
	__le64 job_id;
	__le32 status;
	__le32 exit_layer;
	__le32 entropy;
	__le32 opp;
	__le64 cycles;
	__le64 device_ns;
	__le64 energy_pj;
	__le32 magic;
	__le32 seq;
	__le32 reserved[2];
};

#endif /* __EDGEBERT_REGS_H__ */
