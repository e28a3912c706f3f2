/*
 * EdgeBERT accelerator (PCI device "edgebert")
 *
 * An emulated latency-aware, energy-minimal NLP inference accelerator after
 * Tambe et al., "EdgeBERT" (MICRO 2021): submission/completion rings in
 * guest memory, a command stream per sentence computed with the EdgeBERT
 * runtime's OS-free compute core, per-job DVFS with modeled LDO/ADPLL
 * transition time, a time/energy cost model, and a persistent eNVM.
 *
 * The programming model is docs/device.md of the EdgeBERT project; this
 * file implements it and the driver is written against the document.
 *
 * Threading: MMIO, timers and bottom halves run in the main loop under the
 * BQL. A job's command stream runs on a worker thread that never touches
 * guest memory itself: every BO access is handed to the main loop
 * (dma_bh), performed there with pci_dma_*() under the BQL and the device's
 * current epoch, and the worker sleeps until it is done. A reset bumps the
 * epoch, so a stale job can no longer read or write guest memory; its
 * result is dropped when the worker finishes.
 *
 * Copyright (c) 2025 The EdgeBERT project authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/log.h"
#include "qemu/main-loop.h"
#include "qemu/module.h"
#include "qemu/cutils.h"
#include "qemu/units.h"
#include "qapi/error.h"
#include "hw/pci/msix.h"
#include "hw/pci/pci.h"
#include "hw/qdev-properties.h"
#include "migration/vmstate.h"

#include "edgebert.h"

/* ---------------------------------------------------------------- IRQs */

static void edgebert_update_irq(EdgebertState *s, uint32_t newly)
{
    PCIDevice *pdev = PCI_DEVICE(s);
    uint32_t pending = newly & s->irq_mask;

    if (!msix_enabled(pdev)) {
        return;
    }
    if (pending & EB_IRQ_COMPLETION) {
        msix_notify(pdev, EB_VEC_COMPLETION);
    }
    if (pending & ~EB_IRQ_COMPLETION) {
        msix_notify(pdev, EB_VEC_CONTROL);
    }
}

void edgebert_raise_irq(EdgebertState *s, uint32_t bits)
{
    s->irq_status |= bits;
    edgebert_update_irq(s, bits);
}

static void edgebert_fatal(EdgebertState *s, uint32_t code)
{
    s->fatal = true;
    s->error_code = code;
    s->queue_enabled = false;
    edgebert_raise_irq(s, EB_IRQ_ERROR);
}

/* ---------------------------------------------------------------- DVFS */

/* Can the device lock operating point @opp? (docs/device.md, OPP table) */
static bool edgebert_opp_valid(EdgebertState *s, uint32_t opp)
{
    const struct eb_opp *p;

    if (opp >= s->hw.opp_count) {
        return false;
    }
    p = &s->hw.opp[opp];
    return p->volt_uv >= s->hw.volt_min_uv && p->volt_uv <= s->hw.volt_max_uv &&
           p->freq_khz > 0 &&
           p->freq_khz <= eb_hw_law_freq_khz(&s->hw, p->volt_uv);
}

static void edgebert_default_opps(struct eb_hw *hw)
{
    uint32_t i, n = hw->opp_count;
    uint64_t span = hw->volt_max_uv - hw->volt_min_uv;

    for (i = 0; i < n; i++) {
        uint32_t v = n > 1 ? hw->volt_min_uv + span * i / (n - 1)
                           : hw->volt_max_uv;

        hw->opp[i].volt_uv = v;
        hw->opp[i].freq_khz = eb_hw_law_freq_khz(hw, v);
    }
    for (; i < EB_MAX_OPPS; i++) {
        hw->opp[i].volt_uv = 0;
        hw->opp[i].freq_khz = 0;
    }
}

/*
 * Begin a register-initiated transition (DVFS_TARGET). Jobs do their own
 * transitions in modeled time without the timer (edgebert-cmd.c).
 */
static void edgebert_dvfs_start(EdgebertState *s, uint32_t target)
{
    uint64_t ns;

    s->dvfs_pending = false;
    s->dvfs_status &= ~EB_DVFS_FAULT;
    if (!edgebert_opp_valid(s, target) ||
        (target != s->opp_cur &&
         (qatomic_fetch_and(&s->fault_ctrl, ~EB_FAULT_DVFS) & EB_FAULT_DVFS))) {
        s->dvfs_status |= EB_DVFS_FAULT;
        edgebert_raise_irq(s, EB_IRQ_DVFS_DONE);
        edgebert_kick(s);
        return;
    }
    ns = eb_transition_ns(&s->hw, s->opp_cur, target);
    s->dvfs_target = target;
    s->dvfs_status |= EB_DVFS_BUSY;
    timer_mod_ns(&s->dvfs_timer,
                 qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL) + ns);
}

static void edgebert_dvfs_timer(void *opaque)
{
    EdgebertState *s = opaque;

    if (s->opp_cur != s->dvfs_target) {
        s->counter[EB_CNT_BUSY_NS] +=
            eb_transition_ns(&s->hw, s->opp_cur, s->dvfs_target);
        s->counter[EB_CNT_ENERGY_PJ] +=
            eb_transition_pj(&s->hw, s->opp_cur, s->dvfs_target);
        s->opp_cur = s->dvfs_target;
        s->dvfs_transitions++;
    }
    s->dvfs_status &= ~EB_DVFS_BUSY;
    edgebert_raise_irq(s, EB_IRQ_DVFS_DONE);
    edgebert_kick(s);
}

/* ---------------------------------------------------------------- queues */

static bool edgebert_ring_config_ok(uint64_t base, uint32_t entries,
                                    uint32_t max)
{
    return base && !(base & (EB_RING_ALIGN - 1)) && entries >= 2 &&
           entries <= max && is_power_of_2(entries);
}

static void edgebert_queue_enable(EdgebertState *s)
{
    if (s->fatal) {
        return;
    }
    if (!edgebert_ring_config_ok(s->sq_base, s->sq_entries, s->sq_max) ||
        !edgebert_ring_config_ok(s->cq_base, s->cq_entries, s->cq_max)) {
        s->error_code = EB_ERR_QUEUE_CONFIG;
        edgebert_raise_irq(s, EB_IRQ_ERROR);
        return;
    }
    s->sq_head = s->sq_tail = 0;
    s->cq_head = s->cq_tail = 0;
    s->cq_seq = 0;
    s->queue_enabled = true;
    edgebert_kick(s);
}

static bool edgebert_cq_full(EdgebertState *s)
{
    return ((s->cq_tail + 1) & (s->cq_entries - 1)) == s->cq_head;
}

/* Read the BO table of a job; false on a DMA error. */
static bool edgebert_fetch_bos(EdgebertState *s, EdgebertJob *job,
                               uint64_t table)
{
    PCIDevice *pdev = PCI_DEVICE(s);
    uint32_t i;

    for (i = 0; i < job->bo_count; i++) {
        uint64_t e[2];

        if (pci_dma_read(pdev, table + (uint64_t)i * EB_BO_ENTRY_SIZE, e,
                         sizeof(e)) != MEMTX_OK) {
            return false;
        }
        job->bo[i].pages = le64_to_cpu(e[0]);
        job->bo[i].size = le64_to_cpu(e[1]);
    }
    return true;
}

/*
 * Fetch the descriptor at SQ_HEAD and decide what to do with it. Returns
 * false on a fatal ring error. Per-job problems only set job->status.
 */
static bool edgebert_fetch_job(EdgebertState *s, EdgebertJob *job)
{
    PCIDevice *pdev = PCI_DEVICE(s);
    uint8_t d[EB_DESC_SIZE];
    uint64_t table;
    uint32_t flags;

    if (pci_dma_read(pdev, s->sq_base + (uint64_t)s->sq_head * EB_DESC_SIZE,
                     d, sizeof(d)) != MEMTX_OK) {
        return false;
    }
    memset(job, 0, sizeof(*job));
    job->job_id = ldq_le_p(d + 0);
    table = ldq_le_p(d + 8);
    job->bo_count = ldl_le_p(d + 16);
    job->cmd_bo = ldl_le_p(d + 20);
    job->cmd_offset = ldq_le_p(d + 24);
    job->cmd_size = ldl_le_p(d + 32);
    job->opp_request = ldl_le_p(d + 36);
    flags = ldl_le_p(d + 40);
    job->status = EB_JOB_OK;

    if (flags || !buffer_is_zero(d + 44, EB_DESC_SIZE - 44) ||
        job->bo_count > EB_MAX_BOS || job->cmd_bo >= job->bo_count ||
        !job->cmd_size || job->cmd_size % 8 ||
        job->cmd_size > EB_MAX_CMD_SIZE ||
        (job->opp_request != EB_OPP_KEEP &&
         job->opp_request >= s->hw.opp_count)) {
        job->status = EB_JOB_INVALID_CMD;
        qemu_log_mask(LOG_GUEST_ERROR, "edgebert: job %" PRIu64
                      ": malformed descriptor\n", job->job_id);
    } else if (!edgebert_fetch_bos(s, job, table)) {
        job->status = EB_JOB_DMA_FAULT;
    }
    return true;
}

static void edgebert_write_completion(EdgebertState *s, EdgebertJob *job)
{
    PCIDevice *pdev = PCI_DEVICE(s);
    uint8_t r[EB_CQE_SIZE] = { 0 };

    stq_le_p(r + 0, job->job_id);
    stl_le_p(r + 8, job->status);
    stl_le_p(r + 12, job->exit_layer);
    stl_le_p(r + 16, job->entropy_bits);
    stl_le_p(r + 20, job->opp);
    stq_le_p(r + 24, job->cost.cycles);
    stq_le_p(r + 32, job->cost.ns);
    stq_le_p(r + 40, job->cost.energy_pj);
    stl_le_p(r + 48, job->corrupt ? ~EB_CQE_MAGIC : EB_CQE_MAGIC);
    stl_le_p(r + 52, s->cq_seq);

    if (pci_dma_write(pdev, s->cq_base + (uint64_t)s->cq_tail * EB_CQE_SIZE,
                      r, sizeof(r)) != MEMTX_OK) {
        edgebert_fatal(s, EB_ERR_CQ_DMA);
        return;
    }
    s->cq_seq++;
    s->cq_tail = (s->cq_tail + 1) & (s->cq_entries - 1);
    s->counter[EB_CNT_JOBS_DONE]++;
    edgebert_raise_irq(s, EB_IRQ_COMPLETION);
}

/* Account a finished job and post its record (main loop). */
static void edgebert_complete_job(EdgebertState *s)
{
    EdgebertJob *job = s->job;

    s->job_active = false;
    s->opp_cur = job->opp;
    if (!s->dvfs_pending) {
        s->dvfs_target = job->opp;
    }
    s->dvfs_transitions += job->transitions;
    s->counter[EB_CNT_CYCLES] += job->cost.cycles;
    s->counter[EB_CNT_BUSY_NS] += job->cost.ns;
    s->counter[EB_CNT_ENERGY_PJ] += job->cost.energy_pj;
    if (!s->fatal) {
        /* Also after QUEUE_DISABLE: the job in flight drains. */
        edgebert_write_completion(s, job);
    }
    edgebert_kick(s);
}

static void edgebert_job_timer(void *opaque)
{
    edgebert_complete_job(opaque);
}

/* Start the next job if the device can (kick_bh, main loop). */
static void edgebert_kick_bh(void *opaque)
{
    EdgebertState *s = opaque;
    EdgebertJob *job = s->job;
    uint32_t faults;
    bool busy;

    if (s->job_active) {
        return;
    }
    /* eNVM programming and jobs take turns: jobs read the committed image. */
    edgebert_envm_kick(s);
    if (s->fatal || edgebert_envm_busy(s) || (s->dvfs_status & EB_DVFS_BUSY)) {
        return;
    }
    if (s->dvfs_pending) {
        edgebert_dvfs_start(s, s->dvfs_target);
        if (s->dvfs_status & EB_DVFS_BUSY) {
            return;
        }
    }
    if (!s->queue_enabled || s->sq_head == s->sq_tail || edgebert_cq_full(s)) {
        return;
    }

    qemu_mutex_lock(&s->thr_mutex);
    busy = s->worker_has_job;   /* still finishing a job dropped by reset */
    qemu_mutex_unlock(&s->thr_mutex);
    if (busy) {
        return;
    }

    if (!edgebert_fetch_job(s, job)) {
        edgebert_fatal(s, EB_ERR_SQ_DMA);
        return;
    }
    s->sq_head = (s->sq_head + 1) & (s->sq_entries - 1);
    s->job_active = true;
    job->epoch = s->epoch;
    job->opp = s->opp_cur;
    job->start_ns = qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL);
    job->hw = s->hw;
    faults = qatomic_fetch_and(&s->fault_ctrl, EB_FAULT_DVFS);
    job->hang = faults & EB_FAULT_HANG;
    job->fail = faults & EB_FAULT_FAIL;
    job->corrupt = faults & EB_FAULT_CORRUPT;

    if (job->hang) {
        /* Injected hang: the job never completes; only a reset helps. */
        return;
    }
    if (job->status == EB_JOB_OK && job->fail) {
        job->status = EB_JOB_DEVICE_ERROR;
    }
    if (job->status != EB_JOB_OK) {
        edgebert_complete_job(s);
        return;
    }

    qemu_mutex_lock(&s->thr_mutex);
    s->worker_has_job = true;
    s->worker_done = false;
    qemu_cond_broadcast(&s->thr_cond);
    qemu_mutex_unlock(&s->thr_mutex);
}

void edgebert_kick(EdgebertState *s)
{
    qemu_bh_schedule(s->kick_bh);
}

/* The worker finished a job (done_bh, main loop). */
static void edgebert_done_bh(void *opaque)
{
    EdgebertState *s = opaque;
    EdgebertJob *job = s->job;
    int64_t now, deadline;
    bool done;

    qemu_mutex_lock(&s->thr_mutex);
    done = s->worker_done;
    s->worker_done = false;
    s->worker_has_job = false;
    qemu_mutex_unlock(&s->thr_mutex);
    if (!done) {
        return;
    }
    if (job->epoch != s->epoch) {
        /* Dropped by a reset: no record, no accounting. */
        edgebert_kick(s);
        return;
    }
    /* The job ends at its modeled device time, not before. */
    now = qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL);
    deadline = job->start_ns + (int64_t)MIN(job->cost.ns, INT64_MAX / 2);
    if (deadline > now) {
        timer_mod_ns(&s->job_timer, deadline);
    } else {
        edgebert_complete_job(s);
    }
}

/* ------------------------------------------------------- BO access (DMA) */

/*
 * Copy between @buf and [offset, offset + len) of a buffer of @size bytes
 * described by a page list at @pages (one u64 DMA address per
 * EB_PAGE_SIZE page, each page-aligned). Main loop only.
 */
bool edgebert_pagelist_rw(EdgebertState *s, uint64_t pages, uint64_t size,
                          uint64_t offset, void *buf, uint64_t len, bool write)
{
    PCIDevice *pdev = PCI_DEVICE(s);
    uint8_t *p = buf;

    if (offset > size || len > size - offset) {
        return false;
    }
    while (len) {
        uint64_t idx = offset / EB_PAGE_SIZE, in = offset % EB_PAGE_SIZE;
        uint64_t n = MIN(len, EB_PAGE_SIZE - in), page;
        MemTxResult r;

        if (ldq_le_pci_dma(pdev, pages + idx * 8, &page,
                           MEMTXATTRS_UNSPECIFIED) != MEMTX_OK ||
            (page & (EB_PAGE_SIZE - 1))) {
            return false;
        }
        r = write ? pci_dma_write(pdev, page + in, p, n)
                  : pci_dma_read(pdev, page + in, p, n);
        if (r != MEMTX_OK) {
            return false;
        }
        p += n;
        offset += n;
        len -= n;
    }
    return true;
}

static uint32_t edgebert_bo_rw(EdgebertState *s, EdgebertJob *job,
                               uint32_t bo, uint64_t offset, void *buf,
                               uint64_t len, bool write)
{
    if (bo >= job->bo_count ||
        !edgebert_pagelist_rw(s, job->bo[bo].pages, job->bo[bo].size,
                              offset, buf, len, write)) {
        return EB_JOB_DMA_FAULT;
    }
    return EB_JOB_OK;
}

static void edgebert_dma_bh(void *opaque)
{
    EdgebertState *s = opaque;
    EdgebertDmaReq *req;

    qemu_mutex_lock(&s->thr_mutex);
    req = s->dma_req;
    s->dma_req = NULL;
    qemu_mutex_unlock(&s->thr_mutex);
    if (!req) {
        return;
    }
    if (s->job->epoch != s->epoch) {
        req->status = EB_JOB_ABORTED;
    } else {
        req->status = edgebert_bo_rw(s, s->job, req->bo, req->offset,
                                     req->buf, req->len, req->write);
    }
    qemu_mutex_lock(&s->thr_mutex);
    req->done = true;
    qemu_cond_broadcast(&s->thr_cond);
    qemu_mutex_unlock(&s->thr_mutex);
}

/*
 * Worker side of a BO access: hand it to the main loop and wait, in chunks
 * of EB_DMA_CHUNK so that the BQL is never held long. Returns EB_JOB_OK,
 * EB_JOB_DMA_FAULT, or EB_JOB_ABORTED when the job was dropped by a reset
 * or the device is going away.
 */
uint32_t edgebert_worker_bo_rw(EdgebertState *s, uint32_t bo, uint64_t offset,
                               void *buf, uint64_t len, bool write)
{
    const EdgebertBo *b = bo < s->job->bo_count ? &s->job->bo[bo] : NULL;
    uint8_t *p = buf;

    /* Check the whole range first: a fault writes nothing. */
    if (!b || offset > b->size || len > b->size - offset) {
        return EB_JOB_DMA_FAULT;
    }
    while (len) {
        EdgebertDmaReq req = {
            .bo = bo, .offset = offset, .buf = p,
            .len = MIN(len, EB_DMA_CHUNK), .write = write,
        };

        qemu_mutex_lock(&s->thr_mutex);
        s->dma_req = &req;
        qemu_bh_schedule(s->dma_bh);
        while (!req.done && !s->stopping) {
            qemu_cond_wait(&s->thr_cond, &s->thr_mutex);
        }
        if (!req.done) {
            s->dma_req = NULL;
            req.status = EB_JOB_ABORTED;
        }
        qemu_mutex_unlock(&s->thr_mutex);
        if (req.status != EB_JOB_OK) {
            return req.status;
        }
        p += req.len;
        offset += req.len;
        len -= req.len;
    }
    return EB_JOB_OK;
}

/* ---------------------------------------------------------------- worker */

static void edgebert_run_job(EdgebertState *s, EdgebertJob *job)
{
    g_autofree uint32_t *cmd = g_malloc(job->cmd_size);
    uint32_t i, words = job->cmd_size / 4;

    job->status = edgebert_worker_bo_rw(s, job->cmd_bo, job->cmd_offset, cmd,
                                        job->cmd_size, false);
    if (job->status != EB_JOB_OK) {
        return;
    }
    for (i = 0; i < words; i++) {
        cmd[i] = le32_to_cpu(cmd[i]);
    }
    edgebert_run_commands(s, job, cmd, words);
}

static void *edgebert_worker(void *opaque)
{
    EdgebertState *s = opaque;

    qemu_mutex_lock(&s->thr_mutex);
    for (;;) {
        while (!s->stopping && (!s->worker_has_job || s->worker_done)) {
            qemu_cond_wait(&s->thr_cond, &s->thr_mutex);
        }
        if (s->stopping) {
            break;
        }
        qemu_mutex_unlock(&s->thr_mutex);

        edgebert_run_job(s, s->job);

        qemu_mutex_lock(&s->thr_mutex);
        s->worker_done = true;
        qemu_bh_schedule(s->done_bh);
    }
    qemu_mutex_unlock(&s->thr_mutex);
    return NULL;
}

/* ---------------------------------------------------------------- reset */

/*
 * Abort all work: the job in flight is dropped (the worker finishes it
 * without touching guest memory), the rings are disabled and cleared, DVFS
 * and fault state return to their reset values. Counters, the current
 * operating point, the OPP table and the eNVM content are kept.
 */
static void edgebert_soft_reset(EdgebertState *s)
{
    qatomic_set(&s->epoch, s->epoch + 1);
    s->job_active = false;
    timer_del(&s->job_timer);
    if (s->dvfs_status & EB_DVFS_BUSY) {
        timer_del(&s->dvfs_timer);
    }
    s->dvfs_status = 0;
    s->dvfs_pending = false;
    s->dvfs_target = s->opp_cur;
    s->queue_enabled = false;
    s->sq_head = s->sq_tail = 0;
    s->cq_head = s->cq_tail = 0;
    s->cq_seq = 0;
    s->fatal = false;
    s->error_code = EB_ERR_NONE;
    s->irq_status = 0;
    qatomic_set(&s->fault_ctrl, 0);
    edgebert_envm_reset(s);
}

/* Power-on / bus reset: everything but the counters and eNVM content. */
static void edgebert_reset(DeviceState *dev)
{
    EdgebertState *s = EDGEBERT(dev);

    edgebert_soft_reset(s);
    s->irq_mask = 0;
    s->scratch = 0;
    s->sq_base = s->cq_base = 0;
    s->sq_entries = s->cq_entries = 0;
    edgebert_default_opps(&s->hw);
    s->opp_cur = s->hw.opp_count - 1;
    s->dvfs_target = s->opp_cur;
}

/* ---------------------------------------------------------------- MMIO */

static uint32_t edgebert_cap(EdgebertState *s, unsigned i)
{
    const struct eb_hw *hw = &s->hw;

    switch (i) {
    case EB_CAP_FEATURES:
        return EB_FEATURE_ENVM | EB_FEATURE_DVFS | EB_FEATURE_SPARSE |
               EB_FEATURE_ADAPTIVFLOAT |
               (s->faults_enabled ? EB_FEATURE_FAULTS : 0);
    case EB_CAP_MAC_LANES:              return hw->mac_lanes;
    case EB_CAP_VECTOR_LANES:           return hw->vector_lanes;
    case EB_CAP_FREQ_MIN_KHZ:           return s->freq_min_khz;
    case EB_CAP_FREQ_MAX_KHZ:           return hw->freq_max_khz;
    case EB_CAP_VOLT_MIN_UV:            return hw->volt_min_uv;
    case EB_CAP_VOLT_MAX_UV:            return hw->volt_max_uv;
    case EB_CAP_OPP_COUNT:              return hw->opp_count;
    case EB_CAP_ENVM_SIZE:              return s->envm_size;
    case EB_CAP_ENVM_PAGE_SIZE:         return s->envm_page_size;
    case EB_CAP_SRAM_WEIGHT_SIZE:       return s->sram_weight_size;
    case EB_CAP_SRAM_ACT_SIZE:          return s->sram_act_size;
    case EB_CAP_SQ_ENTRIES:             return s->sq_max;
    case EB_CAP_CQ_ENTRIES:             return s->cq_max;
    case EB_CAP_MAX_SEQ_LEN:            return s->max_seq_len;
    case EB_CAP_MAX_HIDDEN:             return s->max_hidden;
    case EB_CAP_MAX_HEADS:              return s->max_heads;
    case EB_CAP_MAX_FFN:                return s->max_ffn;
    case EB_CAP_LDO_STEP_UV:            return hw->ldo_step_uv;
    case EB_CAP_LDO_SETTLE_NS:          return hw->ldo_settle_ns;
    case EB_CAP_ADPLL_RELOCK_NS:        return hw->adpll_relock_ns;
    case EB_CAP_MAC_ENERGY_FJ:          return hw->mac_energy_fj;
    case EB_CAP_VECTOR_ENERGY_FJ:       return hw->vector_energy_fj;
    case EB_CAP_LEAKAGE_UW:             return hw->leakage_uw;
    case EB_CAP_ENVM_READ_FJ_PER_BYTE:  return hw->envm_read_fj_per_byte;
    case EB_CAP_SRAM_READ_FJ_PER_BYTE:  return hw->sram_read_fj_per_byte;
    case EB_CAP_PAGE_SIZE:              return EB_PAGE_SIZE;
    case EB_CAP_ENVM_PROGRAM_NS:        return s->envm_program_ns;
    case EB_CAP_ENVM_PROGRAM_PJ:        return s->envm_program_pj;
    case EB_CAP_MAX_LAYERS:             return s->max_layers;
    case EB_CAP_MAX_LABELS:             return s->max_labels;
    default:                            return 0;
    }
}

static uint32_t edgebert_status(EdgebertState *s)
{
    return (s->fatal ? EB_STATUS_FATAL : EB_STATUS_READY) |
           ((s->dvfs_status & EB_DVFS_BUSY) ? EB_STATUS_DVFS_BUSY : 0) |
           (edgebert_envm_busy(s) ? EB_STATUS_ENVM_BUSY : 0) |
           (s->queue_enabled ? EB_STATUS_QUEUE_ENABLED : 0) |
           (s->job_active ? EB_STATUS_JOB_ACTIVE : 0);
}

static uint64_t edgebert_mmio_read(void *opaque, hwaddr addr, unsigned size)
{
    EdgebertState *s = opaque;

    if (size != 4 || (addr & 3)) {
        qemu_log_mask(LOG_GUEST_ERROR, "edgebert: bad read size %u at 0x%"
                      HWADDR_PRIx "\n", size, addr);
        return 0;
    }
    if (addr >= EB_REG_CAP_BASE && addr < EB_REG_CAP_BASE + 4 * EB_CAP_COUNT) {
        return edgebert_cap(s, (addr - EB_REG_CAP_BASE) / 4);
    }
    if (addr >= EB_REG_OPP_BASE && addr < EB_REG_OPP_END) {
        unsigned i = (addr - EB_REG_OPP_BASE) / 8;

        if (i >= s->hw.opp_count) {
            return 0;
        }
        return (addr & 4) ? s->hw.opp[i].volt_uv : s->hw.opp[i].freq_khz;
    }
    if (addr >= EB_REG_CNT_BASE && addr < EB_REG_CNT_BASE + 8 * EB_CNT_COUNT) {
        unsigned i = (addr - EB_REG_CNT_BASE) / 8;

        if (addr & 4) {
            return s->counter_latch[i];
        }
        s->counter_latch[i] = s->counter[i] >> 32;
        return (uint32_t)s->counter[i];
    }
    if (addr >= EB_REG_ENVM_CONTROL && addr < EB_REG_FAULT_CTRL) {
        return edgebert_envm_read(s, addr);
    }

    switch (addr) {
    case EB_REG_ID:                 return EB_ID_VALUE;
    case EB_REG_VERSION:            return EB_VERSION_VALUE;
    case EB_REG_STATUS:             return edgebert_status(s);
    case EB_REG_IRQ_STATUS:         return s->irq_status;
    case EB_REG_IRQ_MASK:           return s->irq_mask;
    case EB_REG_ERROR_CODE:         return s->error_code;
    case EB_REG_SCRATCH:            return s->scratch;
    case EB_REG_DVFS_TARGET:        return s->dvfs_target;
    case EB_REG_DVFS_CURRENT:       return s->opp_cur;
    case EB_REG_DVFS_STATUS:
        return s->dvfs_status | (s->dvfs_pending ? EB_DVFS_BUSY : 0);
    case EB_REG_DVFS_TRANSITIONS:   return s->dvfs_transitions;
    case EB_REG_SQ_BASE_LO:         return (uint32_t)s->sq_base;
    case EB_REG_SQ_BASE_HI:         return s->sq_base >> 32;
    case EB_REG_SQ_ENTRIES:         return s->sq_entries;
    case EB_REG_SQ_TAIL:            return s->sq_tail;
    case EB_REG_SQ_HEAD:            return s->sq_head;
    case EB_REG_CQ_BASE_LO:         return (uint32_t)s->cq_base;
    case EB_REG_CQ_BASE_HI:         return s->cq_base >> 32;
    case EB_REG_CQ_ENTRIES:         return s->cq_entries;
    case EB_REG_CQ_HEAD:            return s->cq_head;
    case EB_REG_CQ_TAIL:            return s->cq_tail;
    case EB_REG_FAULT_CTRL:
        return s->faults_enabled ? qatomic_read(&s->fault_ctrl) : 0;
    default:                        return 0;
    }
}

static void edgebert_write_control(EdgebertState *s, uint32_t val)
{
    if (val & EB_CONTROL_RESET) {
        edgebert_soft_reset(s);
        edgebert_kick(s);
        return;
    }
    if (val & EB_CONTROL_QUEUE_DISABLE) {
        /* The job in flight, if any, still completes. */
        s->queue_enabled = false;
    } else if ((val & EB_CONTROL_QUEUE_ENABLE) && !s->queue_enabled) {
        edgebert_queue_enable(s);
    }
}

static void edgebert_write_queue(EdgebertState *s, hwaddr addr, uint32_t val)
{
    if (addr == EB_REG_SQ_TAIL || addr == EB_REG_CQ_HEAD) {
        if (!s->queue_enabled) {
            return;
        }
        if (addr == EB_REG_SQ_TAIL) {
            s->sq_tail = val & (s->sq_entries - 1);
        } else {
            s->cq_head = val & (s->cq_entries - 1);
        }
        edgebert_kick(s);
        return;
    }
    if (s->queue_enabled || s->job_active) {
        qemu_log_mask(LOG_GUEST_ERROR, "edgebert: queue register 0x%"
                      HWADDR_PRIx " written while enabled\n", addr);
        return;
    }
    switch (addr) {
    case EB_REG_SQ_BASE_LO:
        s->sq_base = deposit64(s->sq_base, 0, 32, val);
        break;
    case EB_REG_SQ_BASE_HI:
        s->sq_base = deposit64(s->sq_base, 32, 32, val);
        break;
    case EB_REG_SQ_ENTRIES:
        s->sq_entries = val;
        break;
    case EB_REG_CQ_BASE_LO:
        s->cq_base = deposit64(s->cq_base, 0, 32, val);
        break;
    case EB_REG_CQ_BASE_HI:
        s->cq_base = deposit64(s->cq_base, 32, 32, val);
        break;
    case EB_REG_CQ_ENTRIES:
        s->cq_entries = val;
        break;
    }
}

static void edgebert_mmio_write(void *opaque, hwaddr addr, uint64_t val64,
                                unsigned size)
{
    EdgebertState *s = opaque;
    uint32_t val = val64;

    if (size != 4 || (addr & 3)) {
        qemu_log_mask(LOG_GUEST_ERROR, "edgebert: bad write size %u at 0x%"
                      HWADDR_PRIx "\n", size, addr);
        return;
    }
    if (addr >= EB_REG_OPP_BASE && addr < EB_REG_OPP_END) {
        unsigned i = (addr - EB_REG_OPP_BASE) / 8;

        if (i < s->hw.opp_count) {
            if (addr & 4) {
                s->hw.opp[i].volt_uv = val;
            } else {
                s->hw.opp[i].freq_khz = val;
            }
        }
        return;
    }
    if (addr >= EB_REG_SQ_BASE_LO && addr <= EB_REG_CQ_TAIL) {
        edgebert_write_queue(s, addr, val);
        return;
    }
    if (addr >= EB_REG_ENVM_CONTROL && addr < EB_REG_FAULT_CTRL) {
        edgebert_envm_write(s, addr, val);
        return;
    }

    switch (addr) {
    case EB_REG_CONTROL:
        edgebert_write_control(s, val);
        break;
    case EB_REG_IRQ_STATUS:
        s->irq_status &= ~val;
        break;
    case EB_REG_IRQ_MASK: {
        uint32_t newly = val & ~s->irq_mask & s->irq_status;

        s->irq_mask = val & EB_IRQ_ALL;
        edgebert_update_irq(s, newly);
        break;
    }
    case EB_REG_SCRATCH:
        s->scratch = val;
        break;
    case EB_REG_DVFS_TARGET:
        if (s->dvfs_status & EB_DVFS_BUSY) {
            qemu_log_mask(LOG_GUEST_ERROR,
                          "edgebert: DVFS_TARGET written while busy\n");
        } else if (s->job_active || s->dvfs_pending) {
            s->dvfs_target = val;
            s->dvfs_pending = true;
        } else {
            edgebert_dvfs_start(s, val);
        }
        break;
    case EB_REG_FAULT_CTRL:
        if (s->faults_enabled) {
            qatomic_or(&s->fault_ctrl, val & EB_FAULT_ALL);
        }
        break;
    default:
        qemu_log_mask(LOG_GUEST_ERROR, "edgebert: write to reserved/RO 0x%"
                      HWADDR_PRIx "\n", addr);
        break;
    }
}

static const MemoryRegionOps edgebert_mmio_ops = {
    .read = edgebert_mmio_read,
    .write = edgebert_mmio_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = {
        .min_access_size = 1,
        .max_access_size = 8,
    },
    .impl = {
        .min_access_size = 1,
        .max_access_size = 8,
    },
};

/* ---------------------------------------------------------------- QOM */

static bool edgebert_check_props(EdgebertState *s, Error **errp)
{
    const struct eb_hw *hw = &s->hw;

    if (hw->opp_count < 1 || hw->opp_count > EB_MAX_OPPS) {
        error_setg(errp, "opp-count must be 1..%d", EB_MAX_OPPS);
        return false;
    }
    if (hw->volt_min_uv <= EB_VTH_UV || hw->volt_max_uv < hw->volt_min_uv) {
        error_setg(errp, "need %u < volt-min-uv <= volt-max-uv", EB_VTH_UV);
        return false;
    }
    if (!hw->mac_lanes || !hw->vector_lanes || !hw->freq_max_khz ||
        !hw->ldo_step_uv) {
        error_setg(errp, "mac-lanes, vector-lanes, freq-max-khz and "
                   "ldo-step-uv must be nonzero");
        return false;
    }
    if (!is_power_of_2(s->sq_max) || !is_power_of_2(s->cq_max) ||
        s->sq_max < 2 || s->cq_max < 2 || s->sq_max > 65536 ||
        s->cq_max > 65536) {
        error_setg(errp, "sq-entries and cq-entries must be powers of 2 "
                   "in 2..65536");
        return false;
    }
    if (!s->max_layers || s->max_layers > EB_MAX_LAYERS || !s->max_labels ||
        s->max_labels > EB_MAX_LABELS) {
        error_setg(errp, "max-layers must be 1..%d, max-labels 1..%d",
                   EB_MAX_LAYERS, EB_MAX_LABELS);
        return false;
    }
    return true;
}

static void edgebert_realize(PCIDevice *pdev, Error **errp)
{
    EdgebertState *s = EDGEBERT(pdev);
    DeviceState *dev = DEVICE(pdev);

    if (!edgebert_check_props(s, errp)) {
        return;
    }
    s->freq_min_khz = eb_hw_law_freq_khz(&s->hw, s->hw.volt_min_uv);
    s->hw.freq_max_khz = eb_hw_law_freq_khz(&s->hw, s->hw.volt_max_uv);

    memory_region_init_io(&s->mmio, OBJECT(s), &edgebert_mmio_ops, s,
                          "edgebert-mmio", EB_MMIO_SIZE);
    pci_register_bar(pdev, 0, PCI_BASE_ADDRESS_SPACE_MEMORY, &s->mmio);
    if (msix_init_exclusive_bar(pdev, EB_MSIX_VECTORS, EB_MSIX_BAR, errp)) {
        return;
    }
    msix_vector_use(pdev, EB_VEC_COMPLETION);
    msix_vector_use(pdev, EB_VEC_CONTROL);

    if (!edgebert_envm_init(s, errp)) {
        msix_uninit_exclusive_bar(pdev);
        return;
    }

    s->job = g_new0(EdgebertJob, 1);
    timer_init_ns(&s->dvfs_timer, QEMU_CLOCK_VIRTUAL, edgebert_dvfs_timer, s);
    timer_init_ns(&s->job_timer, QEMU_CLOCK_VIRTUAL, edgebert_job_timer, s);
    s->kick_bh = qemu_bh_new_guarded(edgebert_kick_bh, s,
                                     &dev->mem_reentrancy_guard);
    s->done_bh = qemu_bh_new_guarded(edgebert_done_bh, s,
                                     &dev->mem_reentrancy_guard);
    s->dma_bh = qemu_bh_new_guarded(edgebert_dma_bh, s,
                                    &dev->mem_reentrancy_guard);

    qemu_mutex_init(&s->thr_mutex);
    qemu_cond_init(&s->thr_cond);
    qemu_thread_create(&s->thread, "edgebert", edgebert_worker, s,
                       QEMU_THREAD_JOINABLE);
}

static void edgebert_exit(PCIDevice *pdev)
{
    EdgebertState *s = EDGEBERT(pdev);

    qemu_mutex_lock(&s->thr_mutex);
    s->stopping = true;
    qemu_cond_broadcast(&s->thr_cond);
    qemu_mutex_unlock(&s->thr_mutex);
    qemu_thread_join(&s->thread);
    qemu_cond_destroy(&s->thr_cond);
    qemu_mutex_destroy(&s->thr_mutex);

    qemu_bh_delete(s->kick_bh);
    qemu_bh_delete(s->done_bh);
    qemu_bh_delete(s->dma_bh);
    timer_del(&s->dvfs_timer);
    timer_del(&s->job_timer);
    edgebert_envm_fini(s);
    edgebert_exec_free(s);
    g_free(s->job);
    msix_uninit_exclusive_bar(pdev);
}

static Property edgebert_properties[] = {
    /* Defaults are those of eb_hw_default() (runtime/core/cost.c). */
    DEFINE_PROP_UINT32("mac-lanes", EdgebertState, hw.mac_lanes, 256),
    DEFINE_PROP_UINT32("vector-lanes", EdgebertState, hw.vector_lanes, 16),
    DEFINE_PROP_UINT32("freq-max-khz", EdgebertState, hw.freq_max_khz,
                       1000000),
    DEFINE_PROP_UINT32("volt-min-uv", EdgebertState, hw.volt_min_uv, 500000),
    DEFINE_PROP_UINT32("volt-max-uv", EdgebertState, hw.volt_max_uv, 800000),
    DEFINE_PROP_UINT32("opp-count", EdgebertState, hw.opp_count, 16),
    DEFINE_PROP_UINT32("ldo-step-uv", EdgebertState, hw.ldo_step_uv, 20000),
    DEFINE_PROP_UINT32("ldo-settle-ns", EdgebertState, hw.ldo_settle_ns, 10),
    DEFINE_PROP_UINT32("adpll-relock-ns", EdgebertState, hw.adpll_relock_ns,
                       500),
    DEFINE_PROP_UINT32("mac-energy-fj", EdgebertState, hw.mac_energy_fj, 400),
    DEFINE_PROP_UINT32("vector-energy-fj", EdgebertState,
                       hw.vector_energy_fj, 1000),
    DEFINE_PROP_UINT32("leakage-uw", EdgebertState, hw.leakage_uw, 20000),
    DEFINE_PROP_UINT32("envm-read-fj", EdgebertState,
                       hw.envm_read_fj_per_byte, 8000),
    DEFINE_PROP_UINT32("sram-read-fj", EdgebertState,
                       hw.sram_read_fj_per_byte, 500),
    DEFINE_PROP_UINT32("envm-size", EdgebertState, envm_size, 4 * MiB),
    DEFINE_PROP_UINT32("envm-page-size", EdgebertState, envm_page_size,
                       4 * KiB),
    DEFINE_PROP_UINT32("envm-program-ns", EdgebertState, envm_program_ns,
                       100000),
    DEFINE_PROP_UINT32("envm-program-pj", EdgebertState, envm_program_pj,
                       65536),
    DEFINE_PROP_STRING("envm", EdgebertState, envm_path),
    DEFINE_PROP_UINT32("sram-weight-size", EdgebertState, sram_weight_size,
                       8 * MiB),
    DEFINE_PROP_UINT32("sram-act-size", EdgebertState, sram_act_size,
                       2 * MiB),
    DEFINE_PROP_UINT32("sq-entries", EdgebertState, sq_max, 256),
    DEFINE_PROP_UINT32("cq-entries", EdgebertState, cq_max, 256),
    DEFINE_PROP_UINT32("max-seq-len", EdgebertState, max_seq_len, 512),
    DEFINE_PROP_UINT32("max-hidden", EdgebertState, max_hidden, 768),
    DEFINE_PROP_UINT32("max-heads", EdgebertState, max_heads, 12),
    DEFINE_PROP_UINT32("max-ffn", EdgebertState, max_ffn, 3072),
    DEFINE_PROP_UINT32("max-layers", EdgebertState, max_layers, 24),
    DEFINE_PROP_UINT32("max-labels", EdgebertState, max_labels, 64),
    DEFINE_PROP_BOOL("faults", EdgebertState, faults_enabled, false),
    DEFINE_PROP_END_OF_LIST(),
};

/* Guest memory is touched by a worker thread; the device is not migratable. */
static const VMStateDescription vmstate_edgebert = {
    .name = TYPE_EDGEBERT,
    .unmigratable = 1,
};

static void edgebert_class_init(ObjectClass *klass, void *data)
{
    DeviceClass *dc = DEVICE_CLASS(klass);
    PCIDeviceClass *k = PCI_DEVICE_CLASS(klass);

    k->realize = edgebert_realize;
    k->exit = edgebert_exit;
    k->vendor_id = EB_PCI_VENDOR_ID;
    k->device_id = EB_PCI_DEVICE_ID;
    k->revision = EB_PCI_REVISION;
    k->class_id = EB_PCI_CLASS;
    dc->desc = "EdgeBERT NLP inference accelerator";
    dc->reset = edgebert_reset;
    dc->vmsd = &vmstate_edgebert;
    device_class_set_props(dc, edgebert_properties);
    set_bit(DEVICE_CATEGORY_MISC, dc->categories);
}

static const TypeInfo edgebert_info = {
    .name = TYPE_EDGEBERT,
    .parent = TYPE_PCI_DEVICE,
    .instance_size = sizeof(EdgebertState),
    .class_init = edgebert_class_init,
    .interfaces = (InterfaceInfo[]) {
        { INTERFACE_CONVENTIONAL_PCI_DEVICE },
        { }
    },
};

static void edgebert_register_types(void)
{
    type_register_static(&edgebert_info);
}

type_init(edgebert_register_types)
