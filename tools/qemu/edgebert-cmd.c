/*
 * EdgeBERT accelerator: the command stream interpreter (worker thread)
 *
 * Commands are specified in docs/device.md ("Commands"). They run on the
 * device's worker thread; guest memory is reached only through
 * edgebert_worker_bo_rw(), which the main loop performs under the BQL.
 *
 * The arithmetic is the runtime's compute core (runtime/core/graph.h), the
 * very functions the CPU backend calls, so device results equal the CPU
 * backend's bit for bit. Time and energy come from the shared cost model
 * (runtime/core/cost.h), charged in the same groups as the CPU backend:
 * an embedding alone, a layer together with the off-ramp that follows it.
 *
 * Copyright (c) 2025 The EdgeBERT project authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include <math.h>
#include "qemu/atomic.h"
#include "qemu/log.h"

#include "edgebert.h"
#include "runtime/core/graph.h"
#include "uapi/edgebert_cmd.h"

#define EB_TOKEN_ID(t)          ((t) & 0xffffff)
#define EB_TOKEN_TYPE(t)        ((t) >> 24)

#define EB_STATE_HDR            16

/*
 * What the device holds while a job runs: the weight SRAM (a task blob)
 * and the activation SRAM. Owned by the worker thread; buffers persist
 * across jobs, their content does not.
 */
typedef struct EdgebertExec {
    EdgebertState *s;
    EdgebertJob *job;

    /* Weight SRAM */
    uint8_t *blob;
    bool task_loaded;
    struct eb_dims dims;
    float ln_eps;
    struct eb_task_weights tw;

    /* Embedding table in eNVM, parsed once per image generation and dims */
    bool word_ok;
    uint32_t word_gen;
    struct eb_dims word_dims;
    struct eb_tensor word;

    /* Activation SRAM */
    float *x, *ws;
    size_t x_floats, ws_floats;
    uint32_t seq;               /* 0: no activations */
    uint32_t layers_done;
    bool ramp_done;             /* an off-ramp ran after the last layer */
    uint32_t labels;
    float logits[EB_MAX_LABELS];
    float entropy[EB_MAX_LAYERS];
    bool exited;

    /* Work not yet charged, all at the job's current operating point */
    struct eb_work pending;
} EdgebertExec;

/* ------------------------------------------------------------ cost */

static void edgebert_charge(EdgebertExec *e)
{
    EdgebertJob *job = e->job;
    struct eb_cost c;

    eb_cost_of(&job->hw, &e->pending, job->opp, &c);
    job->cost.cycles += c.cycles;
    job->cost.ns += c.ns;
    job->cost.energy_pj += c.energy_pj;
    memset(&e->pending, 0, sizeof(e->pending));
}

/* Switch the job to operating point @opp in modeled time. */
static uint32_t edgebert_job_set_opp(EdgebertExec *e, uint32_t opp)
{
    EdgebertJob *job = e->job;
    const struct eb_hw *hw = &job->hw;
    const struct eb_opp *p;

    if (opp >= hw->opp_count) {
        return EB_JOB_INVALID_CMD;
    }
    if (opp == job->opp) {
        return EB_JOB_OK;
    }
    edgebert_charge(e);     /* work so far ran at the old point */
    if (qatomic_fetch_and(&e->s->fault_ctrl, ~EB_FAULT_DVFS) & EB_FAULT_DVFS) {
        return EB_JOB_DVFS_FAULT;
    }
    p = &hw->opp[opp];
    if (p->volt_uv < hw->volt_min_uv || p->volt_uv > hw->volt_max_uv ||
        !p->freq_khz || p->freq_khz > eb_hw_law_freq_khz(hw, p->volt_uv)) {
        return EB_JOB_DVFS_FAULT;
    }
    job->cost.ns += eb_transition_ns(hw, job->opp, opp);
    job->cost.energy_pj += eb_transition_pj(hw, job->opp, opp);
    job->transitions++;
    job->opp = opp;
    return EB_JOB_OK;
}

/* ------------------------------------------------------------ helpers */

static uint64_t edgebert_arg64(const uint32_t *lo)
{
    return lo[0] | (uint64_t)lo[1] << 32;
}

static uint32_t edgebert_read(EdgebertExec *e, uint32_t bo, uint64_t off,
                              void *buf, uint64_t len)
{
    return edgebert_worker_bo_rw(e->s, bo, off, buf, len, false);
}

static uint32_t edgebert_write(EdgebertExec *e, uint32_t bo, uint64_t off,
                               const void *buf, uint64_t len)
{
    return edgebert_worker_bo_rw(e->s, bo, off, (void *)buf, len, true);
}

/* Size the activation SRAM for @seq tokens; false if it does not fit. */
static bool edgebert_act_alloc(EdgebertExec *e, uint32_t seq)
{
    EdgebertState *s = e->s;
    size_t xf = (size_t)seq * e->dims.hidden;
    size_t wf = eb_graph_ws_floats(&e->dims, seq);

    if (!seq || seq > s->max_seq_len || seq > e->dims.max_position ||
        xf * sizeof(float) > s->sram_act_size) {
        return false;
    }
    if (xf > e->x_floats) {
        g_free(e->x);
        e->x = g_new(float, xf);
        e->x_floats = xf;
    }
    if (wf > e->ws_floats) {
        g_free(e->ws);
        e->ws = g_new(float, wf);
        e->ws_floats = wf;
    }
    return true;
}

static void edgebert_act_reset(EdgebertExec *e, uint32_t seq,
                               uint32_t layers_done)
{
    uint32_t i;

    e->seq = seq;
    e->layers_done = layers_done;
    e->ramp_done = false;
    e->labels = 0;
    for (i = 0; i < EB_MAX_LAYERS; i++) {
        e->entropy[i] = NAN;
    }
}

/* The shared embedding table in eNVM, parsed for the current dims. */
static bool edgebert_word_table(EdgebertExec *e, uint64_t *image_size)
{
    EdgebertState *s = e->s;
    const uint8_t *img = edgebert_envm_image(s, image_size);
    uint32_t gen = edgebert_envm_generation(s);
    char err[128];

    if (!img) {
        return false;
    }
    if (e->word_ok && e->word_gen == gen &&
        !memcmp(&e->word_dims, &e->dims, sizeof(e->dims))) {
        return true;
    }
    e->word_ok = false;
    if (eb_embeddings_parse(img, *image_size, &e->dims, &e->word, err,
                            sizeof(err))) {
        qemu_log_mask(LOG_GUEST_ERROR, "edgebert: eNVM image: %s\n", err);
        return false;
    }
    e->word_ok = true;
    e->word_gen = gen;
    e->word_dims = e->dims;
    return true;
}

/* ------------------------------------------------------------ commands */

static uint32_t edgebert_cmd_load_task(EdgebertExec *e, const uint32_t *a)
{
    EdgebertState *s = e->s;
    uint32_t bo = a[0], size = a[3];
    uint64_t off = edgebert_arg64(a + 1);
    struct eb_dims d = {
        .vocab_size = a[4], .max_position = a[5], .type_vocab_size = a[6],
        .embed_dim = a[7], .hidden = a[8], .heads = a[9], .ffn = a[10],
        .layers = a[11],
    };
    char err[128];
    uint32_t st;

    e->task_loaded = false;
    e->seq = 0;
    if (!d.vocab_size || !d.max_position || !d.type_vocab_size ||
        !d.embed_dim || !d.hidden || !d.heads || !d.ffn ||
        d.hidden % d.heads) {
        return EB_JOB_INVALID_CMD;
    }
    if (!size || size > s->sram_weight_size || d.hidden > s->max_hidden ||
        d.heads > s->max_heads || d.heads > EB_MAX_HEADS ||
        d.ffn > s->max_ffn || !d.layers || d.layers > s->max_layers ||
        d.max_position > s->max_seq_len || d.vocab_size > 0xffffff ||
        d.type_vocab_size > 0x100) {
        return EB_JOB_INVALID_CMD;
    }
    st = edgebert_read(e, bo, off, e->blob, size);
    if (st != EB_JOB_OK) {
        return st;
    }
    memcpy(&e->ln_eps, &a[12], sizeof(float));
    e->dims = d;
    if (eb_task_weights_parse(e->blob, size, &e->dims, &e->tw, err,
                              sizeof(err))) {
        qemu_log_mask(LOG_GUEST_ERROR, "edgebert: job %" PRIu64 ": task "
                      "weights: %s\n", e->job->job_id, err);
        return EB_JOB_INVALID_CMD;
    }
    if (e->tw.labels > s->max_labels) {
        return EB_JOB_INVALID_CMD;
    }
    e->task_loaded = true;
    return EB_JOB_OK;
}

static uint32_t edgebert_cmd_embed(EdgebertExec *e, const uint32_t *a)
{
    uint32_t bo = a[0], seq = a[3], i, st;
    uint64_t off = edgebert_arg64(a + 1), image_size;
    g_autofree uint32_t *tok = NULL;
    g_autofree uint32_t *ids = NULL;
    g_autofree uint32_t *types = NULL;
    struct eb_work w;

    if (!e->task_loaded || !edgebert_act_alloc(e, seq)) {
        return EB_JOB_INVALID_CMD;
    }
    if (!edgebert_word_table(e, &image_size)) {
        return EB_JOB_DEVICE_ERROR;     /* eNVM not programmed for this model */
    }
    tok = g_new(uint32_t, seq);
    ids = g_new(uint32_t, seq);
    types = g_new(uint32_t, seq);
    st = edgebert_read(e, bo, off, tok, (uint64_t)seq * 4);
    if (st != EB_JOB_OK) {
        return st;
    }
    for (i = 0; i < seq; i++) {
        uint32_t t = le32_to_cpu(tok[i]);

        ids[i] = EB_TOKEN_ID(t);
        types[i] = EB_TOKEN_TYPE(t);
    }
    edgebert_act_reset(e, 0, 0);
    if (eb_embed(&e->dims, e->ln_eps, &e->word, &e->tw, ids, types, seq,
                 e->x, e->ws)) {
        return EB_JOB_INVALID_CMD;
    }
    e->seq = seq;
    /* One embedding row per token comes out of eNVM. */
    eb_work_embed(&e->dims, seq, (uint64_t)seq * image_size /
                  e->dims.vocab_size, &w);
    eb_work_add(&e->pending, &w);
    edgebert_charge(e);
    return EB_JOB_OK;
}

static uint32_t edgebert_cmd_layer(EdgebertExec *e)
{
    uint32_t keys[EB_MAX_HEADS];
    struct eb_work w;

    if (!e->seq || e->layers_done >= e->dims.layers) {
        return EB_JOB_INVALID_CMD;
    }
    edgebert_charge(e);     /* a layer opens a new charge group */
    eb_encoder_layer(&e->dims, e->ln_eps, &e->tw, e->seq, e->x, e->ws);
    e->layers_done++;
    e->ramp_done = false;
    eb_span_keys(&e->dims, &e->tw, e->seq, keys);
    eb_work_layer(&e->dims, e->seq, keys, e->tw.layer_zeros, &w);
    eb_work_add(&e->pending, &w);
    return EB_JOB_OK;
}

static uint32_t edgebert_cmd_offramp(EdgebertExec *e, const uint32_t *a)
{
    uint32_t flags = a[0], layer;
    float thr, h;
    struct eb_work w;

    memcpy(&thr, &a[1], sizeof(thr));
    if ((flags & ~EDGEBERT_OFFRAMP_FLAGS) || !e->seq || !e->layers_done) {
        return EB_JOB_INVALID_CMD;
    }
    layer = e->layers_done - 1;
    eb_offramp(&e->dims, &e->tw, layer, e->x, e->logits, &h, e->ws);
    e->labels = e->tw.labels;
    e->entropy[layer] = h;
    e->ramp_done = true;
    eb_work_offramp(&e->dims, e->tw.labels, &w);
    eb_work_add(&e->pending, &w);
    edgebert_charge(e);

    e->job->entropy_bits = float_as_u32(h);
    if ((flags & EDGEBERT_OFFRAMP_EXIT_ALWAYS) ||
        ((flags & EDGEBERT_OFFRAMP_EXIT_BELOW) && h < thr)) {
        e->exited = true;
    }
    return EB_JOB_OK;
}

static uint32_t edgebert_cmd_write_results(EdgebertExec *e, const uint32_t *a)
{
    uint32_t n = e->labels, layers = e->layers_done, pred = 0, i;
    size_t size = 16 + 4 * ((size_t)n + layers);
    g_autofree uint8_t *r = NULL;

    if (!n) {
        return EB_JOB_INVALID_CMD;      /* no off-ramp ran yet */
    }
    r = g_malloc(size);
    for (i = 1; i < n; i++) {
        if (e->logits[i] > e->logits[pred]) {
            pred = i;
        }
    }
    stl_le_p(r + 0, layers);
    stl_le_p(r + 4, n);
    stl_le_p(r + 8, pred);
    stl_le_p(r + 12, e->job->entropy_bits);
    for (i = 0; i < n; i++) {
        stl_le_p(r + 16 + 4 * i, float_as_u32(e->logits[i]));
    }
    for (i = 0; i < layers; i++) {
        stl_le_p(r + 16 + 4 * (n + i), float_as_u32(e->entropy[i]));
    }
    return edgebert_write(e, a[0], edgebert_arg64(a + 1), r, size);
}

static uint32_t edgebert_cmd_store_state(EdgebertExec *e, const uint32_t *a)
{
    uint32_t bo = a[0], st;
    uint64_t off = edgebert_arg64(a + 1);
    uint64_t len = (uint64_t)e->seq * e->dims.hidden * 4;
    uint8_t hdr[EB_STATE_HDR] = { 0 };
    g_autofree uint32_t *x = NULL;
    uint64_t i;

    if (!e->seq || off > UINT64_MAX - EB_STATE_HDR) {
        return e->seq ? EB_JOB_DMA_FAULT : EB_JOB_INVALID_CMD;
    }
    stl_le_p(hdr + 0, e->seq);
    stl_le_p(hdr + 4, e->dims.hidden);
    stl_le_p(hdr + 8, e->layers_done);
    st = edgebert_write(e, bo, off, hdr, sizeof(hdr));
    if (st != EB_JOB_OK) {
        return st;
    }
    x = g_malloc(len);
    for (i = 0; i < len / 4; i++) {
        x[i] = cpu_to_le32(float_as_u32(e->x[i]));
    }
    return edgebert_write(e, bo, off + EB_STATE_HDR, x, len);
}

static uint32_t edgebert_cmd_load_state(EdgebertExec *e, const uint32_t *a)
{
    uint32_t bo = a[0], st, seq, hidden, layers;
    uint64_t off = edgebert_arg64(a + 1), i;
    uint8_t hdr[EB_STATE_HDR];

    if (!e->task_loaded || off > UINT64_MAX - EB_STATE_HDR) {
        return e->task_loaded ? EB_JOB_DMA_FAULT : EB_JOB_INVALID_CMD;
    }
    st = edgebert_read(e, bo, off, hdr, sizeof(hdr));
    if (st != EB_JOB_OK) {
        return st;
    }
    seq = ldl_le_p(hdr + 0);
    hidden = ldl_le_p(hdr + 4);
    layers = ldl_le_p(hdr + 8);
    if (hidden != e->dims.hidden || layers > e->dims.layers ||
        ldl_le_p(hdr + 12) || !edgebert_act_alloc(e, seq)) {
        e->seq = 0;
        return EB_JOB_INVALID_CMD;
    }
    st = edgebert_read(e, bo, off + EB_STATE_HDR, e->x,
                       (uint64_t)seq * hidden * 4);
    if (st != EB_JOB_OK) {
        e->seq = 0;
        return st;
    }
    for (i = 0; i < (uint64_t)seq * hidden; i++) {
        e->x[i] = u32_as_float(ldl_le_p(&e->x[i]));
    }
    edgebert_act_reset(e, seq, layers);
    return EB_JOB_OK;
}

/* ------------------------------------------------------------ stream */

/* Words each opcode takes, header included; 0 = variable (NOP). */
static const uint8_t edgebert_cmd_len[] = {
    [EDGEBERT_CMD_NOP] = 0,
    [EDGEBERT_CMD_SET_OPP] = 2,
    [EDGEBERT_CMD_LOAD_TASK] = 14,
    [EDGEBERT_CMD_EMBED] = 5,
    [EDGEBERT_CMD_LAYER] = 1,
    [EDGEBERT_CMD_OFFRAMP] = 3,
    [EDGEBERT_CMD_WRITE_RESULTS] = 4,
    [EDGEBERT_CMD_STORE_STATE] = 4,
    [EDGEBERT_CMD_LOAD_STATE] = 4,
};

static uint32_t edgebert_exec_one(EdgebertExec *e, uint32_t op,
                                  const uint32_t *arg)
{
    switch (op) {
    case EDGEBERT_CMD_NOP:
        return EB_JOB_OK;
    case EDGEBERT_CMD_SET_OPP:
        return edgebert_job_set_opp(e, arg[0]);
    case EDGEBERT_CMD_LOAD_TASK:
        return edgebert_cmd_load_task(e, arg);
    case EDGEBERT_CMD_EMBED:
        return edgebert_cmd_embed(e, arg);
    case EDGEBERT_CMD_LAYER:
        return edgebert_cmd_layer(e);
    case EDGEBERT_CMD_OFFRAMP:
        return edgebert_cmd_offramp(e, arg);
    case EDGEBERT_CMD_WRITE_RESULTS:
        return edgebert_cmd_write_results(e, arg);
    case EDGEBERT_CMD_STORE_STATE:
        return edgebert_cmd_store_state(e, arg);
    case EDGEBERT_CMD_LOAD_STATE:
        return edgebert_cmd_load_state(e, arg);
    default:
        return EB_JOB_INVALID_CMD;
    }
}

static EdgebertExec *edgebert_exec_get(EdgebertState *s)
{
    EdgebertExec *e = s->exec;

    if (!e) {
        e = s->exec = g_new0(EdgebertExec, 1);
        e->s = s;
        e->blob = g_malloc(s->sram_weight_size);
    }
    return e;
}

void edgebert_exec_free(EdgebertState *s)
{
    EdgebertExec *e = s->exec;

    if (e) {
        g_free(e->blob);
        g_free(e->x);
        g_free(e->ws);
        g_free(e);
        s->exec = NULL;
    }
}

void edgebert_run_commands(EdgebertState *s, EdgebertJob *job,
                           const uint32_t *cmd, uint32_t words)
{
    EdgebertExec *e = edgebert_exec_get(s);
    uint32_t pc = 0, st = EB_JOB_OK;

    e->job = job;
    e->task_loaded = false;
    e->exited = false;
    memset(&e->pending, 0, sizeof(e->pending));
    edgebert_act_reset(e, 0, 0);

    if (job->opp_request != EB_OPP_KEEP) {
        st = edgebert_job_set_opp(e, job->opp_request);
    }
    while (st == EB_JOB_OK && pc < words) {
        uint32_t op = EDGEBERT_CMD_OP(cmd[pc]), len = EDGEBERT_CMD_LEN(cmd[pc]);

        if (!len || len > words - pc || op >= ARRAY_SIZE(edgebert_cmd_len) ||
            (edgebert_cmd_len[op] && len != edgebert_cmd_len[op])) {
            st = EB_JOB_INVALID_CMD;
            break;
        }
        /* After an exit, only WRITE_RESULTS still runs. */
        if (!e->exited || op == EDGEBERT_CMD_WRITE_RESULTS) {
            st = edgebert_exec_one(e, op, cmd + pc + 1);
            if (e->exited && op == EDGEBERT_CMD_WRITE_RESULTS) {
                pc += len;
                break;
            }
        }
        /* A reset drops the job: stop computing for nothing. */
        if (qatomic_read(&s->epoch) != job->epoch) {
            st = EB_JOB_ABORTED;
        }
        pc += len;
    }
    edgebert_charge(e);
    job->exit_layer = e->layers_done;
    if (st == EB_JOB_OK && e->exited) {
        st = EB_JOB_EXITED;
    }
    job->status = st;
    if (st == EB_JOB_INVALID_CMD) {
        qemu_log_mask(LOG_GUEST_ERROR, "edgebert: job %" PRIu64
                      ": invalid command at word %u\n", job->job_id, pc);
    }
}
