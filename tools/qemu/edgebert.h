/*
 * EdgeBERT accelerator: device state shared by the device model's files.
 *
 * The register interface is specified in docs/device.md; this header only
 * names it for the model.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef HW_MISC_EDGEBERT_H
#define HW_MISC_EDGEBERT_H

#include "hw/pci/pci.h"
#include "qemu/thread.h"
#include "qemu/timer.h"
#include "qom/object.h"

#include "runtime/core/cost.h"
#include "runtime/core/ebm.h"

#define TYPE_EDGEBERT "edgebert"
OBJECT_DECLARE_SIMPLE_TYPE(EdgebertState, EDGEBERT)

#define EB_PCI_VENDOR_ID        0x1af4
#define EB_PCI_DEVICE_ID        0x10f0
#define EB_PCI_REVISION         0x01
#define EB_PCI_CLASS            0x1200  /* processing accelerator */

#define EB_ID_VALUE             0x45424552      /* "EBER" */
#define EB_VERSION_VALUE        ((1 << 16) | 0) /* spec 1.0 */

#define EB_MMIO_SIZE            0x1000
#define EB_MSIX_BAR             1
#define EB_MSIX_VECTORS         2
#define EB_VEC_COMPLETION       0
#define EB_VEC_CONTROL          1

/* Control block */
#define EB_REG_ID               0x000
#define EB_REG_VERSION          0x004
#define EB_REG_STATUS           0x008
#define EB_REG_CONTROL          0x00c
#define EB_REG_IRQ_STATUS       0x010
#define EB_REG_IRQ_MASK         0x014
#define EB_REG_ERROR_CODE       0x018
#define EB_REG_SCRATCH          0x01c

#define EB_STATUS_READY         (1u << 0)
#define EB_STATUS_RESETTING     (1u << 1)
#define EB_STATUS_FATAL         (1u << 2)
#define EB_STATUS_DVFS_BUSY     (1u << 3)
#define EB_STATUS_ENVM_BUSY     (1u << 4)
#define EB_STATUS_QUEUE_ENABLED (1u << 5)
#define EB_STATUS_JOB_ACTIVE    (1u << 6)

#define EB_CONTROL_RESET        (1u << 0)
#define EB_CONTROL_QUEUE_ENABLE (1u << 1)
#define EB_CONTROL_QUEUE_DISABLE (1u << 2)

#define EB_IRQ_COMPLETION       (1u << 0)
#define EB_IRQ_DVFS_DONE        (1u << 1)
#define EB_IRQ_ENVM_DONE        (1u << 2)
#define EB_IRQ_ERROR            (1u << 3)
#define EB_IRQ_ALL              0xfu

#define EB_ERR_NONE             0
#define EB_ERR_QUEUE_CONFIG     1
#define EB_ERR_SQ_DMA           2
#define EB_ERR_CQ_DMA           3

/* Capabilities: 0x100 + 4 * index, in this order (docs/device.md). */
#define EB_REG_CAP_BASE         0x100
enum {
    EB_CAP_FEATURES,
    EB_CAP_MAC_LANES,
    EB_CAP_VECTOR_LANES,
    EB_CAP_FREQ_MIN_KHZ,
    EB_CAP_FREQ_MAX_KHZ,
    EB_CAP_VOLT_MIN_UV,
    EB_CAP_VOLT_MAX_UV,
    EB_CAP_OPP_COUNT,
    EB_CAP_ENVM_SIZE,
    EB_CAP_ENVM_PAGE_SIZE,
    EB_CAP_SRAM_WEIGHT_SIZE,
    EB_CAP_SRAM_ACT_SIZE,
    EB_CAP_SQ_ENTRIES,
    EB_CAP_CQ_ENTRIES,
    EB_CAP_MAX_SEQ_LEN,
    EB_CAP_MAX_HIDDEN,
    EB_CAP_MAX_HEADS,
    EB_CAP_MAX_FFN,
    EB_CAP_LDO_STEP_UV,
    EB_CAP_LDO_SETTLE_NS,
    EB_CAP_ADPLL_RELOCK_NS,
    EB_CAP_MAC_ENERGY_FJ,
    EB_CAP_VECTOR_ENERGY_FJ,
    EB_CAP_LEAKAGE_UW,
    EB_CAP_ENVM_READ_FJ_PER_BYTE,
    EB_CAP_SRAM_READ_FJ_PER_BYTE,
    EB_CAP_PAGE_SIZE,
    EB_CAP_ENVM_PROGRAM_NS,
    EB_CAP_ENVM_PROGRAM_PJ,
    EB_CAP_MAX_LAYERS,
    EB_CAP_MAX_LABELS,
    EB_CAP_COUNT
};

#define EB_FEATURE_ENVM         (1u << 0)
#define EB_FEATURE_DVFS         (1u << 1)
#define EB_FEATURE_SPARSE       (1u << 2)
#define EB_FEATURE_ADAPTIVFLOAT (1u << 3)
#define EB_FEATURE_FAULTS       (1u << 31)

/* Operating points */
#define EB_REG_OPP_BASE         0x200
#define EB_REG_OPP_END          0x300
#define EB_REG_DVFS_TARGET      0x300
#define EB_REG_DVFS_CURRENT     0x304
#define EB_REG_DVFS_STATUS      0x308
#define EB_REG_DVFS_TRANSITIONS 0x30c

#define EB_DVFS_BUSY            (1u << 0)
#define EB_DVFS_FAULT           (1u << 1)

/* Counters, 64-bit LO/HI pairs */
#define EB_REG_CNT_BASE         0x380
enum {
    EB_CNT_CYCLES,
    EB_CNT_BUSY_NS,
    EB_CNT_ENERGY_PJ,
    EB_CNT_JOBS_DONE,
    EB_CNT_COUNT
};

/* Queues */
#define EB_REG_SQ_BASE_LO       0x400
#define EB_REG_SQ_BASE_HI       0x404
#define EB_REG_SQ_ENTRIES       0x408
#define EB_REG_SQ_TAIL          0x40c
#define EB_REG_SQ_HEAD          0x410
#define EB_REG_CQ_BASE_LO       0x420
#define EB_REG_CQ_BASE_HI       0x424
#define EB_REG_CQ_ENTRIES       0x428
#define EB_REG_CQ_HEAD          0x42c
#define EB_REG_CQ_TAIL          0x430

/* eNVM */
#define EB_REG_ENVM_CONTROL     0x500
#define EB_REG_ENVM_STATUS      0x504
#define EB_REG_ENVM_SRC_LO      0x508
#define EB_REG_ENVM_SRC_HI      0x50c
#define EB_REG_ENVM_SRC_SIZE    0x510
#define EB_REG_ENVM_IMAGE_SIZE  0x514
#define EB_REG_ENVM_GENERATION  0x518
#define EB_REG_ENVM_IMAGE_CRC   0x51c
#define EB_REG_ENVM_WEAR_INDEX  0x520
#define EB_REG_ENVM_WEAR_COUNT  0x524
#define EB_REG_ENVM_PROGRESS    0x528
#define EB_REG_ENVM_ERROR       0x52c
#define EB_REG_ENVM_PAGES       0x530

#define EB_ENVM_CTRL_PROGRAM    (1u << 0)
#define EB_ENVM_CTRL_CUT_POWER  (1u << 31)      /* test only (faults=on) */

#define EB_ENVM_ST_BUSY         (1u << 0)
#define EB_ENVM_ST_VALID        (1u << 1)
#define EB_ENVM_ST_ERROR        (1u << 2)

#define EB_ENVM_ERR_NONE        0
#define EB_ENVM_ERR_SIZE        1
#define EB_ENVM_ERR_DMA         2
#define EB_ENVM_ERR_IO          3
#define EB_ENVM_ERR_POWER       4

/* Fault injection */
#define EB_REG_FAULT_CTRL       0x600
#define EB_FAULT_HANG           (1u << 0)
#define EB_FAULT_FAIL           (1u << 1)
#define EB_FAULT_CORRUPT        (1u << 2)
#define EB_FAULT_DVFS           (1u << 3)
#define EB_FAULT_ALL            0xfu

/* Rings */
#define EB_DESC_SIZE            64
#define EB_CQE_SIZE             64
#define EB_RING_ALIGN           64
#define EB_CQE_MAGIC            0xebc0ffeeu
#define EB_OPP_KEEP             0xffffffffu
#define EB_MAX_BOS              256
#define EB_BO_ENTRY_SIZE        16
#define EB_MAX_CMD_SIZE         (64 * 1024)
#define EB_PAGE_SIZE            4096    /* BO page lists */
#define EB_DMA_CHUNK            (256 * 1024)    /* per BQL hold */

/* Job status (uapi enum drm_edgebert_job_status) */
enum {
    EB_JOB_OK = 0,
    EB_JOB_EXITED = 1,
    EB_JOB_INVALID_CMD = 2,
    EB_JOB_DMA_FAULT = 3,
    EB_JOB_DEVICE_ERROR = 4,
    EB_JOB_TIMEOUT = 5,
    EB_JOB_ABORTED = 6,
    EB_JOB_DVFS_FAULT = 7,
};

typedef struct EdgebertBo {
    uint64_t pages;     /* DMA address of the page address array */
    uint64_t size;
} EdgebertBo;

/* One job, owned by the worker thread between hand-off and completion. */
typedef struct EdgebertJob {
    uint64_t epoch;         /* device epoch at fetch; stale after a reset */
    uint64_t job_id;
    uint32_t bo_count;
    EdgebertBo bo[EB_MAX_BOS];
    uint32_t cmd_bo;
    uint64_t cmd_offset;
    uint32_t cmd_size;
    uint32_t opp_request;
    bool fail;              /* injected: complete with DEVICE_ERROR */
    bool hang;              /* injected: never complete */
    bool corrupt;           /* injected: bad completion magic */
    int64_t start_ns;       /* QEMU_CLOCK_VIRTUAL at hand-off */
    struct eb_hw hw;        /* OPP table and cost model, as of the fetch */

    /* Results */
    uint32_t status;
    uint32_t exit_layer;
    uint32_t entropy_bits;
    uint32_t opp;           /* operating point when the job ended */
    uint32_t transitions;
    struct eb_cost cost;
} EdgebertJob;

/* A BO access the worker asks the main loop to perform (see edgebert.c). */
typedef struct EdgebertDmaReq {
    uint32_t bo;
    uint64_t offset;
    void *buf;
    uint64_t len;
    bool write;
    bool done;
    uint32_t status;        /* EB_JOB_OK or EB_JOB_DMA_FAULT / _ABORTED */
} EdgebertDmaReq;

typedef struct EdgebertEnvm EdgebertEnvm;

struct EdgebertState {
    PCIDevice parent_obj;

    MemoryRegion mmio;

    /* Properties */
    struct eb_hw hw;            /* cost model parameters + OPP table */
    uint32_t freq_min_khz;
    uint32_t envm_size;
    uint32_t envm_page_size;
    uint32_t envm_program_ns;
    uint32_t envm_program_pj;
    char *envm_path;
    uint32_t sram_weight_size;
    uint32_t sram_act_size;
    uint32_t sq_max;
    uint32_t cq_max;
    uint32_t max_seq_len;
    uint32_t max_hidden;
    uint32_t max_heads;
    uint32_t max_ffn;
    uint32_t max_layers;
    uint32_t max_labels;
    bool faults_enabled;

    /* Control */
    uint32_t irq_status;
    uint32_t irq_mask;
    uint32_t error_code;
    uint32_t scratch;
    bool fatal;
    uint32_t fault_ctrl;

    /* DVFS */
    uint32_t opp_cur;
    uint32_t dvfs_target;
    uint32_t dvfs_status;
    bool dvfs_pending;          /* a target write waits for the job */
    uint32_t dvfs_transitions;
    QEMUTimer dvfs_timer;

    /* Counters */
    uint64_t counter[EB_CNT_COUNT];
    uint32_t counter_latch[EB_CNT_COUNT];

    /* Queues */
    bool queue_enabled;
    uint64_t sq_base, cq_base;
    uint32_t sq_entries, cq_entries;
    uint32_t sq_head, sq_tail;
    uint32_t cq_head, cq_tail;
    uint32_t cq_seq;

    /* Job engine (main loop side, BQL) */
    uint64_t epoch;             /* bumped by every reset */
    bool job_active;            /* a job is fetched and not yet completed */
    EdgebertJob *job;
    QEMUBH *kick_bh;            /* try to start the next job */
    QEMUBH *done_bh;            /* worker finished a job */
    QEMUBH *dma_bh;             /* worker waits for a BO access */
    QEMUTimer job_timer;        /* completion at modeled device time */

    /* Worker thread; the fields below are protected by thr_mutex */
    QemuThread thread;
    QemuMutex thr_mutex;
    QemuCond thr_cond;
    bool stopping;
    bool worker_has_job;
    bool worker_done;
    EdgebertDmaReq *dma_req;

    EdgebertEnvm *envm;
    struct EdgebertExec *exec;  /* worker-owned command state */
};

static inline uint32_t float_as_u32(float f)
{
    uint32_t u;

    memcpy(&u, &f, sizeof(u));
    return u;
}

static inline float u32_as_float(uint32_t u)
{
    float f;

    memcpy(&f, &u, sizeof(f));
    return f;
}

/* edgebert.c */
void edgebert_raise_irq(EdgebertState *s, uint32_t bits);
void edgebert_kick(EdgebertState *s);
bool edgebert_pagelist_rw(EdgebertState *s, uint64_t pages, uint64_t size,
                          uint64_t offset, void *buf, uint64_t len,
                          bool write);
uint32_t edgebert_worker_bo_rw(EdgebertState *s, uint32_t bo, uint64_t offset,
                               void *buf, uint64_t len, bool write);

/* edgebert-cmd.c: run a job's command stream (worker thread). */
void edgebert_run_commands(EdgebertState *s, EdgebertJob *job,
                           const uint32_t *cmd, uint32_t words);
void edgebert_exec_free(EdgebertState *s);

/* edgebert-envm.c */
bool edgebert_envm_init(EdgebertState *s, Error **errp);
void edgebert_envm_fini(EdgebertState *s);
void edgebert_envm_reset(EdgebertState *s);
bool edgebert_envm_busy(EdgebertState *s);
void edgebert_envm_kick(EdgebertState *s);
uint32_t edgebert_envm_read(EdgebertState *s, hwaddr addr);
void edgebert_envm_write(EdgebertState *s, hwaddr addr, uint32_t val);
/* The committed image, for the worker; stable while jobs run. */
const uint8_t *edgebert_envm_image(EdgebertState *s, uint64_t *size);
uint32_t edgebert_envm_generation(EdgebertState *s);

#endif /* HW_MISC_EDGEBERT_H */
