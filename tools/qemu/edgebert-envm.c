/*
 * EdgeBERT accelerator: embedded non-volatile memory (eNVM)
 *
 * The eNVM holds the shared word embeddings (the .ebm EMBEDDINGS section).
 * It is physically two image slots of CAP_ENVM_SIZE bytes plus a metadata
 * page; an image update programs the inactive slot page by page (modeled
 * time and energy, a write counter per physical page) and commits by
 * writing a CRC-protected header last, alternating between two header
 * copies. A power loss at any point therefore leaves the previous image
 * readable: the header that names it is untouched until the new slot is
 * fully programmed and synced.
 *
 * With the "envm" property the whole array lives in a file, so its content
 * survives a VM power cycle; without it, only a device reset.
 *
 * Backing layout (all little-endian):
 *   0x0000  header copy 0 (64 bytes)
 *   0x0200  header copy 1 (64 bytes)
 *   page_size               wear counters, u32 per physical page
 *   page_size * (1 + W)     slot 0 (W = wear table size in pages)
 *   ... + envm_size         slot 1
 *
 * Copyright (c) 2025 The EdgeBERT project authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/error-report.h"
#include "qemu/log.h"
#include "qemu/units.h"
#include "qapi/error.h"

#include "edgebert.h"
#include "runtime/core/af8.h"       /* eb_crc32() */

#define EB_NV_MAGIC         0x564e4245u     /* "EBNV" */
#define EB_NV_VERSION       1
#define EB_NV_HDR_SIZE      64
#define EB_NV_HDR_STRIDE    0x200

typedef struct EdgebertNvHeader {
    uint32_t magic;
    uint32_t version;
    uint32_t generation;
    uint32_t slot;
    uint32_t image_size;
    uint32_t image_crc;
    uint32_t envm_size;
    uint32_t page_size;
    uint32_t reserved[7];
    uint32_t hdr_crc;       /* eb_crc32 of the 60 bytes before it */
} EdgebertNvHeader;

QEMU_BUILD_BUG_ON(sizeof(EdgebertNvHeader) != EB_NV_HDR_SIZE);

struct EdgebertEnvm {
    int fd;                 /* backing file, or -1 */
    uint32_t pages;         /* per slot */
    uint64_t wear_off, slot_off[2];
    uint8_t *slot[2];
    uint32_t *wear;         /* 2 * pages, host order */

    bool valid;             /* a committed image exists */
    EdgebertNvHeader hdr;   /* the committed header (all 0 if none) */

    /* Registers */
    uint64_t src;
    uint32_t src_size;
    uint32_t wear_index;
    uint32_t error;
    bool failed;

    /* Programming in progress */
    bool pending;           /* PROGRAM written while a job ran */
    bool busy;
    uint32_t target;        /* slot being programmed */
    uint32_t progress;      /* pages done */
    uint32_t prog_pages;
    QEMUTimer timer;
};

static void edgebert_envm_timer(void *opaque);

static void edgebert_nv_hdr_to_le(EdgebertNvHeader *h)
{
    uint32_t *w = (uint32_t *)h;
    size_t i;

    for (i = 0; i < sizeof(*h) / 4; i++) {
        w[i] = cpu_to_le32(w[i]);
    }
}

static bool edgebert_nv_pwrite(EdgebertEnvm *nv, const void *buf, size_t len,
                               uint64_t off)
{
    if (nv->fd < 0) {
        return true;
    }
    return pwrite(nv->fd, buf, len, off) == (ssize_t)len;
}

static bool edgebert_nv_sync(EdgebertEnvm *nv)
{
    return nv->fd < 0 || qemu_fdatasync(nv->fd) == 0;
}

static bool edgebert_nv_hdr_ok(EdgebertState *s, const EdgebertNvHeader *h)
{
    EdgebertNvHeader le = *h;

    edgebert_nv_hdr_to_le(&le);
    return h->magic == EB_NV_MAGIC && h->version == EB_NV_VERSION &&
           h->hdr_crc ==
               eb_crc32(0, &le, offsetof(EdgebertNvHeader, hdr_crc)) &&
           h->envm_size == s->envm_size && h->page_size == s->envm_page_size &&
           h->slot < 2 && h->image_size && h->image_size <= s->envm_size;
}

/* Load the backing file; pick the newest valid header. */
static bool edgebert_nv_load(EdgebertState *s, Error **errp)
{
    EdgebertEnvm *nv = s->envm;
    uint64_t total = nv->slot_off[1] + s->envm_size;
    uint8_t meta[EB_NV_HDR_STRIDE + EB_NV_HDR_SIZE];
    uint32_t bad_gen = 0;
    struct stat st;
    unsigned i;

    if (fstat(nv->fd, &st) < 0) {
        error_setg_errno(errp, errno, "envm: cannot stat backing file");
        return false;
    }
    if (st.st_size == 0) {
        /* A fresh eNVM: all slots erased, no image. */
        if (ftruncate(nv->fd, total) < 0) {
            error_setg_errno(errp, errno, "envm: cannot size backing file");
            return false;
        }
        return true;
    }
    if (st.st_size != total) {
        error_setg(errp, "envm: backing file is %" PRId64 " bytes, expected %"
                   PRIu64 " for envm-size=%u envm-page-size=%u",
                   (int64_t)st.st_size, total, s->envm_size,
                   s->envm_page_size);
        return false;
    }
    if (pread(nv->fd, meta, sizeof(meta), 0) != sizeof(meta) ||
        pread(nv->fd, nv->wear, 8ull * nv->pages, nv->wear_off) !=
            8ll * nv->pages ||
        pread(nv->fd, nv->slot[0], s->envm_size, nv->slot_off[0]) !=
            s->envm_size ||
        pread(nv->fd, nv->slot[1], s->envm_size, nv->slot_off[1]) !=
            s->envm_size) {
        error_setg(errp, "envm: cannot read backing file");
        return false;
    }
    for (i = 0; i < 2 * nv->pages; i++) {
        nv->wear[i] = le32_to_cpu(nv->wear[i]);
    }
    for (i = 0; i < 2; i++) {
        EdgebertNvHeader h;

        memcpy(&h, meta + i * EB_NV_HDR_STRIDE, sizeof(h));
        edgebert_nv_hdr_to_le(&h);  /* le -> cpu is the same swap */
        if (!edgebert_nv_hdr_ok(s, &h)) {
            continue;
        }
        /*
         * The older copy names the slot the next update reuses: after an
         * interrupted update its image no longer matches. Only the newest
         * copy failing is worth a word.
         */
        if (eb_crc32(0, nv->slot[h.slot], h.image_size) != h.image_crc) {
            bad_gen = MAX(bad_gen, h.generation);
            continue;
        }
        if (!nv->valid || h.generation > nv->hdr.generation) {
            nv->hdr = h;
            nv->valid = true;
        }
    }
    if (bad_gen > nv->hdr.generation) {
        warn_report("envm: image generation %u is corrupt, using %u",
                    bad_gen, nv->hdr.generation);
    }
    return true;
}

bool edgebert_envm_init(EdgebertState *s, Error **errp)
{
    EdgebertEnvm *nv;
    uint64_t wear_bytes;

    if (s->envm_page_size < 256 || !is_power_of_2(s->envm_page_size) ||
        !s->envm_size || s->envm_size % s->envm_page_size ||
        s->envm_size > 256 * MiB) {
        error_setg(errp, "envm-size must be a nonzero multiple of "
                   "envm-page-size (a power of 2 >= 256), at most 256 MiB");
        return false;
    }
    nv = s->envm = g_new0(EdgebertEnvm, 1);
    nv->fd = -1;
    nv->pages = s->envm_size / s->envm_page_size;
    wear_bytes = ROUND_UP(8ull * nv->pages, s->envm_page_size);
    nv->wear_off = s->envm_page_size;
    nv->slot_off[0] = nv->wear_off + wear_bytes;
    nv->slot_off[1] = nv->slot_off[0] + s->envm_size;
    nv->slot[0] = g_malloc0(s->envm_size);
    nv->slot[1] = g_malloc0(s->envm_size);
    nv->wear = g_new0(uint32_t, 2 * nv->pages);
    timer_init_ns(&nv->timer, QEMU_CLOCK_VIRTUAL, edgebert_envm_timer, s);

    if (s->envm_path) {
        nv->fd = qemu_create(s->envm_path, O_RDWR, 0644, errp);
        if (nv->fd < 0 || !edgebert_nv_load(s, errp)) {
            edgebert_envm_fini(s);
            return false;
        }
    }
    return true;
}

void edgebert_envm_fini(EdgebertState *s)
{
    EdgebertEnvm *nv = s->envm;

    if (!nv) {
        return;
    }
    timer_del(&nv->timer);
    if (nv->fd >= 0) {
        qemu_close(nv->fd);
    }
    g_free(nv->slot[0]);
    g_free(nv->slot[1]);
    g_free(nv->wear);
    g_free(nv);
    s->envm = NULL;
}

bool edgebert_envm_busy(EdgebertState *s)
{
    return s->envm->busy || s->envm->pending;
}

const uint8_t *edgebert_envm_image(EdgebertState *s, uint64_t *size)
{
    EdgebertEnvm *nv = s->envm;

    if (!nv->valid) {
        *size = 0;
        return NULL;
    }
    *size = nv->hdr.image_size;
    return nv->slot[nv->hdr.slot];
}

uint32_t edgebert_envm_generation(EdgebertState *s)
{
    return s->envm->hdr.generation;
}

static void edgebert_envm_finish(EdgebertState *s, uint32_t error)
{
    EdgebertEnvm *nv = s->envm;

    timer_del(&nv->timer);
    nv->busy = false;
    nv->pending = false;
    nv->error = error;
    nv->failed = error != EB_ENVM_ERR_NONE;
    edgebert_raise_irq(s, EB_IRQ_ENVM_DONE);
    edgebert_kick(s);
}

/* Write the header that makes slot nv->target the committed image. */
static void edgebert_envm_commit(EdgebertState *s)
{
    EdgebertEnvm *nv = s->envm;
    EdgebertNvHeader h = {
        .magic = EB_NV_MAGIC,
        .version = EB_NV_VERSION,
        .generation = nv->valid ? nv->hdr.generation + 1 : 1,
        .slot = nv->target,
        .image_size = nv->src_size,
        .image_crc = eb_crc32(0, nv->slot[nv->target], nv->src_size),
        .envm_size = s->envm_size,
        .page_size = s->envm_page_size,
    };
    EdgebertNvHeader le = h;

    edgebert_nv_hdr_to_le(&le);
    h.hdr_crc = eb_crc32(0, &le, offsetof(EdgebertNvHeader, hdr_crc));
    le.hdr_crc = cpu_to_le32(h.hdr_crc);

    /* The slot's data must be durable before the header that names it. */
    if (!edgebert_nv_sync(nv) ||
        !edgebert_nv_pwrite(nv, &le, sizeof(le),
                            (h.generation % 2) * EB_NV_HDR_STRIDE) ||
        !edgebert_nv_sync(nv)) {
        edgebert_envm_finish(s, EB_ENVM_ERR_IO);
        return;
    }
    nv->hdr = h;
    nv->valid = true;
    edgebert_envm_finish(s, EB_ENVM_ERR_NONE);
}

/* Program one page of the target slot (timer, main loop). */
static void edgebert_envm_timer(void *opaque)
{
    EdgebertState *s = opaque;
    EdgebertEnvm *nv = s->envm;
    uint32_t ps = s->envm_page_size, page = nv->progress;
    uint64_t off = (uint64_t)page * ps;
    uint32_t n = MIN(ps, nv->src_size - off);
    uint8_t *dst = nv->slot[nv->target] + off;
    uint32_t phys = nv->target * nv->pages + page, wear_le;

    memset(dst, 0, ps);
    if (!edgebert_pagelist_rw(s, nv->src, nv->src_size, off, dst, n, false)) {
        edgebert_envm_finish(s, EB_ENVM_ERR_DMA);
        return;
    }
    nv->wear[phys]++;
    wear_le = cpu_to_le32(nv->wear[phys]);
    if (!edgebert_nv_pwrite(nv, dst, ps, nv->slot_off[nv->target] + off) ||
        !edgebert_nv_pwrite(nv, &wear_le, 4, nv->wear_off + 4ull * phys)) {
        edgebert_envm_finish(s, EB_ENVM_ERR_IO);
        return;
    }
    s->counter[EB_CNT_ENERGY_PJ] += s->envm_program_pj;

    if (++nv->progress == nv->prog_pages) {
        edgebert_envm_commit(s);
        return;
    }
    timer_mod_ns(&nv->timer,
                 qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL) + s->envm_program_ns);
}

static void edgebert_envm_start(EdgebertState *s)
{
    EdgebertEnvm *nv = s->envm;

    nv->pending = false;
    if (!nv->src_size || nv->src_size > s->envm_size) {
        edgebert_envm_finish(s, EB_ENVM_ERR_SIZE);
        return;
    }
    nv->busy = true;
    nv->failed = false;
    nv->error = EB_ENVM_ERR_NONE;
    nv->target = nv->valid ? !nv->hdr.slot : 0;
    nv->progress = 0;
    nv->prog_pages = DIV_ROUND_UP(nv->src_size, s->envm_page_size);
    timer_mod_ns(&nv->timer,
                 qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL) + s->envm_program_ns);
}

void edgebert_envm_kick(EdgebertState *s)
{
    if (s->envm->pending) {
        edgebert_envm_start(s);
    }
}

/*
 * Device reset: an operation in progress is abandoned like a power loss
 * (the committed image stays); the source registers are cleared.
 */
void edgebert_envm_reset(EdgebertState *s)
{
    EdgebertEnvm *nv = s->envm;

    timer_del(&nv->timer);
    nv->busy = false;
    nv->pending = false;
    nv->failed = false;
    nv->error = EB_ENVM_ERR_NONE;
    nv->src = 0;
    nv->src_size = 0;
    nv->wear_index = 0;
    nv->progress = 0;
}

uint32_t edgebert_envm_read(EdgebertState *s, hwaddr addr)
{
    EdgebertEnvm *nv = s->envm;

    switch (addr) {
    case EB_REG_ENVM_STATUS:
        return (edgebert_envm_busy(s) ? EB_ENVM_ST_BUSY : 0) |
               (nv->valid ? EB_ENVM_ST_VALID : 0) |
               (nv->failed ? EB_ENVM_ST_ERROR : 0);
    case EB_REG_ENVM_SRC_LO:        return (uint32_t)nv->src;
    case EB_REG_ENVM_SRC_HI:        return nv->src >> 32;
    case EB_REG_ENVM_SRC_SIZE:      return nv->src_size;
    case EB_REG_ENVM_IMAGE_SIZE:    return nv->hdr.image_size;
    case EB_REG_ENVM_GENERATION:    return nv->hdr.generation;
    case EB_REG_ENVM_IMAGE_CRC:     return nv->hdr.image_crc;
    case EB_REG_ENVM_WEAR_INDEX:    return nv->wear_index;
    case EB_REG_ENVM_WEAR_COUNT:
        return nv->wear_index < 2 * nv->pages ? nv->wear[nv->wear_index] : 0;
    case EB_REG_ENVM_PROGRESS:      return nv->progress;
    case EB_REG_ENVM_ERROR:         return nv->error;
    case EB_REG_ENVM_PAGES:         return 2 * nv->pages;
    default:                        return 0;
    }
}

void edgebert_envm_write(EdgebertState *s, hwaddr addr, uint32_t val)
{
    EdgebertEnvm *nv = s->envm;
    bool busy = edgebert_envm_busy(s);

    switch (addr) {
    case EB_REG_ENVM_CONTROL:
        if ((val & EB_ENVM_CTRL_CUT_POWER) && s->faults_enabled) {
            /* Test only: lose power now; only the committed image stays. */
            if (busy) {
                edgebert_envm_finish(s, EB_ENVM_ERR_POWER);
            }
            return;
        }
        if ((val & EB_ENVM_CTRL_PROGRAM) && !busy) {
            nv->pending = true;
            edgebert_kick(s);
        }
        return;
    case EB_REG_ENVM_WEAR_INDEX:
        nv->wear_index = val;
        return;
    }
    if (busy) {
        qemu_log_mask(LOG_GUEST_ERROR, "edgebert: eNVM register 0x%"
                      HWADDR_PRIx " written while busy\n", addr);
        return;
    }
    switch (addr) {
    case EB_REG_ENVM_SRC_LO:
        nv->src = deposit64(nv->src, 0, 32, val);
        break;
    case EB_REG_ENVM_SRC_HI:
        nv->src = deposit64(nv->src, 32, 32, val);
        break;
    case EB_REG_ENVM_SRC_SIZE:
        nv->src_size = val;
        break;
    default:
        qemu_log_mask(LOG_GUEST_ERROR, "edgebert: write to RO eNVM register "
                      "0x%" HWADDR_PRIx "\n", addr);
        break;
    }
}
