// SPDX-License-Identifier: MIT
/*
 * The engine: text -> tokens -> a sentence driven through the exit policy
 * on the CPU or the device.
 *
 * Both backends execute the same plan. A sentence is cut into segments:
 * runs of layers at one operating point, each layer followed by its
 * off-ramp with an exit rule (exit below the threshold, always, or never).
 * Segments end where the policy needs the host: at the prediction layer
 * (it predicts and picks the point), and, re-predicting, after every later
 * layer. The CPU backend runs a segment layer by layer; the device runs it
 * as one job (LOAD_TASK, EMBED or LOAD_STATE, LAYER+OFFRAMP..., STORE_STATE,
 * WRITE_RESULTS). The segment's entropies then step the policy on the host,
 * which must agree with the exits the backend took.
 *
 * Costs are the backend's: the CPU charges eb_cpu_step()'s costs and the
 * transitions between points as the device does (the engine keeps the
 * point a device would be at, starting at the nominal one as after
 * power-on); the device reports its jobs' costs.
 */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <xf86drm.h>

#include "core/af8.h"
#include "core/graph.h"
#include "core/policy_cost.h"
#include "devq.h"
#include "edgebert/device.h"
#include "edgebert/engine.h"
#include "edgebert/policy.h"
#include "edgebert/tokenizer.h"
#include "edgebert_cmd.h"
#include "model_internal.h"

/* A sentence slot's BO: commands, tokens, results, stored state. */
#define SLOT_CMD	0u
#define SLOT_CMD_SIZE	1024u
#define SLOT_TOK	SLOT_CMD_SIZE
#define SLOT_RES_SIZE	(16u + 4u * (EB_RESULT_MAX_LABELS + EB_RESULT_MAX_LAYERS))

#define BO_WEIGHTS	0u	/* BO list index of the task's weights */
#define BO_SLOT		1u

/* One sentence in flight: its policy state and result so far. */
struct sent {
	uint64_t tag;
	struct eb_result *sync_out;	/* synchronous caller's result, or NULL */
	const struct eb_hw *hw;
	uint32_t opp_base;		/* device index of window point 0 */
	uint32_t layer;			/* layers run */
	uint32_t opp;			/* window index of the segment in flight */
	uint32_t seg_last;		/* its last layer */
	int started;			/* a segment ran: later ones are switches */
	/* from here on, sent_start() fills everything itself */
	struct eb_policy_table table;
	struct eb_policy_cfg cfg;
	struct eb_policy_run run;
	struct eb_result res;
};

struct dev {
	struct eb_device *dev;
	struct eb_hw hw;		/* caps + the DVFS window of the table */
	uint32_t opp_base;		/* device index of window index 0 */
	struct eb_bo weights;
	unsigned int busy;
	int index;			/* in /dev/dri order, as eb_device_open() */
};

struct slot {
	unsigned int dev;
	int busy;
	struct eb_bo bo;
	uint32_t state_off, res_off;
	struct sent s;
};

struct eb_engine {
	pthread_mutex_t lock;
	const struct eb_model *model;
	const struct eb_ebm *ebm;
	const struct eb_task_weights *tw;
	struct eb_engine_opts opts;
	uint32_t task;
	struct eb_task_info ti;
	struct eb_exit_lut lut;
	float thr;
	uint32_t max_ids;
	struct eb_tokenizer *tok;
	enum eb_backend backend;
	struct eb_engine_stats stats;

	/* CPU */
	struct eb_cpu *cpu;
	struct eb_hw cpu_hw;
	uint32_t cpu_opp;		/* the point a device would be at */
	struct sent *cpu_sent;

	/* device */
	unsigned int ndev;
	struct dev *devs;
	struct eb_devq *q;
	unsigned int nslots, inflight, sync_waiting;
	struct slot *slots;

	/* finished results for eb_engine_poll() */
	struct eb_result *done;
	size_t done_head, done_len, done_cap;
};

static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

void eb_engine_opts_init(struct eb_engine_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->backend = EB_BACKEND_AUTO;
	o->policy = EB_EXIT_PAPER;
	o->threshold = -1.0f;
	o->opp = EB_OPP_NOMINAL;
}

/* ---- the plan, shared by both backends ---- */

static uint32_t top_opp(const struct sent *s)
{
	return s->hw->opp_count - 1;
}

static int policy_on(const struct eb_engine *e)
{
	return e->opts.policy != EB_EXIT_OFF;
}

/* Window index of the fixed point of EB_EXIT_OFF. */
static uint32_t fixed_opp(const struct eb_engine *e, const struct sent *s)
{
	return e->opts.opp == EB_OPP_NOMINAL ? top_opp(s) : e->opts.opp - s->opp_base;
}

/* Exit rule of layer n's off-ramp (the predictor's, eb_predictor_step()). */
static uint32_t ramp_rule(const struct eb_engine *e, const struct sent *s, uint32_t n)
{
	const struct eb_predictor *pr = &s->run.pred;
	uint32_t l = e->ebm->dims.layers;

	if (n >= l)
		return EDGEBERT_OFFRAMP_EXIT_ALWAYS;
	if (!policy_on(e))
		return EDGEBERT_OFFRAMP_EXIT_BELOW;
	if (n >= s->run.cap)
		return EDGEBERT_OFFRAMP_EXIT_ALWAYS;
	if (n <= pr->p)
		return EDGEBERT_OFFRAMP_EXIT_BELOW;
	if (n > l - 2)
		return 0;	/* the last two layers are not checked */
	return n == pr->forced ? EDGEBERT_OFFRAMP_EXIT_ALWAYS : EDGEBERT_OFFRAMP_EXIT_BELOW;
}

/* Next segment: layers s->layer + 1 .. *last at window point *opp. */
static void next_segment(const struct eb_engine *e, const struct sent *s,
			 uint32_t *last, uint32_t *opp)
{
	const struct eb_policy_run *r = &s->run;
	uint32_t l = e->ebm->dims.layers, f;

	if (!policy_on(e)) {
		*last = l;
		*opp = fixed_opp(e, s);
		return;
	}
	*opp = r->opp;
	if (s->layer < r->pred.p) {
		*last = r->pred.p < r->cap ? r->pred.p : r->cap;
	} else if (e->opts.policy == EB_EXIT_REPREDICT) {
		*last = s->layer + 1;
	} else {
		f = r->pred.forced && r->pred.forced < r->cap ? r->pred.forced : r->cap;
		*last = f < l ? f : l;
	}
}

static void cost_add(struct eb_result *res, uint64_t cycles, uint64_t ns, uint64_t pj)
{
	res->cycles += cycles;
	res->device_ns += ns;
	res->energy_pj += pj;
}

/*
 * Set up a sentence of n tokens. -ERANGE: the target cannot be met (the
 * result says so; nothing is run).
 */
static int sent_start(struct eb_engine *e, struct sent *s, const struct eb_hw *hw,
		      uint32_t opp_base, uint32_t n, uint64_t tag)
{
	const struct eb_dims *d = &e->ebm->dims;
	uint32_t keys[EB_MAX_HEADS], i;
	uint64_t pj, reserve;
	int ret;

	memset(s, 0, offsetof(struct sent, table));
	memset(&s->run, 0, sizeof(s->run));
	s->tag = tag;
	s->hw = hw;
	s->opp_base = opp_base;
	memset(&s->res, 0, sizeof(s->res));
	s->res.tag = tag;
	s->res.device = -1;
	s->res.labels = e->ti.labels;
	s->res.tokens = n;
	for (i = 0; i < EB_RESULT_MAX_LAYERS; i++)
		s->res.entropy[i] = NAN;

	eb_span_keys(d, e->tw, n, keys);
	ret = eb_policy_table_build(&s->table, hw, d, n, e->ti.labels, keys,
				    e->tw->layer_zeros);
	if (ret)
		return ret;
	s->cfg = (struct eb_policy_cfg){
		.table = &s->table,
		.lut = &e->lut,
		.threshold = e->thr,
		.predict_layer = e->opts.predict_layer ? e->opts.predict_layer : e->ti.lut_layer,
		.kind = e->opts.policy == EB_EXIT_REPREDICT ? EB_POLICY_REPREDICT : EB_POLICY_PAPER,
		.target_ns = e->opts.target_ns,
	};
	/*
	 * The device may sit at any point when the sentence starts (other
	 * clients, the previous sentence) and switching to the start point
	 * is part of the sentence's latency: the plan keeps the largest such
	 * switch in reserve, so that it never misses the target.
	 */
	reserve = eb_transition_ns(hw, 0, top_opp(s));
	if (!s->cfg.target_ns) {
		eb_policy_fixed(&s->table, top_opp(s), d->layers, 1, &s->cfg.target_ns, &pj);
		s->cfg.target_ns += reserve;
	}
	s->res.target_ns = s->cfg.target_ns;
	if (s->cfg.target_ns <= reserve)
		return -ERANGE;
	s->cfg.target_ns -= reserve;
	if (!policy_on(e)) {
		s->res.opp_start = s->res.opp_after = fixed_opp(e, s);
		return 0;
	}
	ret = eb_policy_begin(&s->run, &s->cfg);
	if (ret)
		return ret;
	s->res.opp_start = s->res.opp_after = s->run.opp;
	return 0;
}

/* Argmax, the first on ties (as the device's WRITE_RESULTS). */
static uint32_t argmax(const float *v, uint32_t n)
{
	uint32_t i, best = 0;

	for (i = 1; i < n; i++)
		if (v[i] > v[best])
			best = i;
	return best;
}

/*
 * A segment ran: layers s->layer + 1 .. exit_layer with entropies h (index
 * 0 = layer s->layer + 1), ending with logits. Steps the policy, which must
 * take the same exits. Returns 1 when the sentence is done, 0 to go on, or
 * -EPROTO if the backend and the policy disagree.
 */
static int sent_segment_done(struct eb_engine *e, struct sent *s, const float *h,
			     uint32_t exit_layer, int exited, const float *logits)
{
	uint32_t n, first = s->layer + 1;
	int done = 0, ret;

	if (exit_layer < first || exit_layer > s->seg_last)
		return -EPROTO;
	for (n = first; n <= exit_layer; n++) {
		s->res.entropy[n - 1] = h[n - first];
		s->res.opp_last = s->opp;
		if (policy_on(e)) {
			ret = eb_policy_step(&s->run, h[n - first]);
			if (ret < 0)
				return ret;
			done = ret;
			if (done != (exited && n == exit_layer))
				return -EPROTO;
			if (n == s->run.pred.p && !done)
				s->res.opp_after = s->run.opp;
		} else {
			done = exited && n == exit_layer;
		}
	}
	s->layer = exit_layer;
	if (!done) {
		if (exited || exit_layer != s->seg_last)
			return -EPROTO;
		return 0;
	}
	s->res.exit_layer = exit_layer;
	memcpy(s->res.logits, logits, s->res.labels * sizeof(float));
	s->res.label = argmax(logits, s->res.labels);
	eb_model_label(e->model, e->task, s->res.label, s->res.label_name,
		       sizeof(s->res.label_name));
	if (policy_on(e)) {
		s->res.predicted_layer = s->run.pred.forced;
		s->res.capped = s->run.capped;
	}
	s->res.deadline_met = s->res.device_ns <= s->res.target_ns;
	return 1;
}

/* Account a switch between a sentence's segments. */
static void sent_switch(struct sent *s, uint32_t opp)
{
	if (s->started && opp != s->opp)
		s->res.switches++;
	s->started = 1;
	s->opp = opp;
}

/* ---- finished results ---- */

static int push_done(struct eb_engine *e, const struct eb_result *res)
{
	if (e->done_head + e->done_len == e->done_cap) {
		if (e->done_head) {
			memmove(e->done, e->done + e->done_head, e->done_len * sizeof(*e->done));
			e->done_head = 0;
		} else {
			size_t cap = e->done_cap ? e->done_cap * 2 : 64;
			struct eb_result *d = realloc(e->done, cap * sizeof(*d));

			if (!d)
				return -ENOMEM;
			e->done = d;
			e->done_cap = cap;
		}
	}
	e->done[e->done_head + e->done_len++] = *res;
	return 0;
}

static void finish(struct eb_engine *e, struct sent *s, int status)
{
	/* the policy works on window indices; results name device points */
	s->res.opp_start += s->opp_base;
	s->res.opp_after += s->opp_base;
	s->res.opp_last += s->opp_base;
	s->res.status = status;
	if (status)
		s->res.deadline_met = 0;
	if (s->sync_out) {
		*s->sync_out = s->res;
		e->sync_waiting--;
		e->stats.sentences++;
		return;
	}
	if (push_done(e, &s->res) == 0)
		e->stats.sentences++;
	/* else: out of memory for the queue; the result is lost, not the engine */
}

/* ---- CPU backend ---- */

static int cpu_run(struct eb_engine *e, struct sent *s, const uint32_t *ids,
		   const uint32_t *types, uint32_t n)
{
	float h[EB_RESULT_MAX_LAYERS];
	struct eb_cpu_cost c;
	struct eb_cpu_step st = { 0 };
	uint32_t last, opp, layer, rule;
	int ret, exited;

	for (;;) {
		next_segment(e, s, &last, &opp);
		if (opp != e->cpu_opp) {	/* the descriptor's switch on the device */
			cost_add(&s->res, 0, eb_transition_ns(s->hw, e->cpu_opp, opp),
				 eb_transition_pj(s->hw, e->cpu_opp, opp));
			e->cpu_opp = opp;
		}
		sent_switch(s, opp);
		s->seg_last = last;
		if (!s->layer) {
			ret = eb_cpu_begin(e->cpu, e->task, ids, types, n, opp, &c);
			if (ret)
				return ret;
			cost_add(&s->res, c.cycles, c.ns, c.energy_pj);
		}
		exited = 0;
		for (layer = s->layer + 1; layer <= last && !exited; layer++) {
			ret = eb_cpu_step(e->cpu, opp, &st);
			if (ret)
				return ret;
			cost_add(&s->res, st.cost.cycles, st.cost.ns, st.cost.energy_pj);
			h[layer - s->layer - 1] = st.entropy;
			rule = ramp_rule(e, s, layer);
			exited = (rule & EDGEBERT_OFFRAMP_EXIT_ALWAYS) || ((rule & EDGEBERT_OFFRAMP_EXIT_BELOW) && st.entropy < e->thr);
		}
		ret = sent_segment_done(e, s, h, layer - 1, exited, st.logits);
		if (ret)
			return ret < 0 ? ret : 0;
	}
}

/* ---- device backend ---- */

/* Command buffer writer over a slot's BO. */
struct cmdbuf {
	uint32_t *w;
	uint32_t n, cap;
};

static void emit(struct cmdbuf *cb, uint32_t op, uint32_t len, ...)
{
	va_list ap;
	uint32_t i;

	if (cb->n + len > cb->cap) {
		cb->n = cb->cap + 1;	/* overflow: the caller checks */
		return;
	}
	cb->w[cb->n++] = op | len << 16;
	va_start(ap, len);
	for (i = 1; i < len; i++)
		cb->w[cb->n++] = va_arg(ap, uint32_t);
	va_end(ap);
}

static uint32_t f32_bits(float f)
{
	uint32_t u;

	memcpy(&u, &f, sizeof(u));
	return u;
}

/* Build and submit the job of the sentence's next segment. */
static int dev_launch(struct eb_engine *e, struct slot *sl)
{
	struct sent *s = &sl->s;
	struct dev *d = &e->devs[sl->dev];
	const struct eb_dims *dm = &e->ebm->dims;
	const void *blob;
	size_t blob_len;
	struct cmdbuf cb = { (uint32_t *)((char *)sl->bo.map + SLOT_CMD), 0, SLOT_CMD_SIZE / 4 };
	uint32_t bos[2] = { d->weights.handle, sl->bo.handle };
	uint32_t last, opp, n, rule = 0;
	struct eb_job_desc job;
	int ret;

	next_segment(e, s, &last, &opp);
	sent_switch(s, opp);
	s->seg_last = last;
	eb_model_task_blob(e->model, e->task, &blob, &blob_len);
	emit(&cb, EDGEBERT_CMD_LOAD_TASK, 14, BO_WEIGHTS, 0u, 0u, (uint32_t)blob_len,
	     dm->vocab_size, dm->max_position, dm->type_vocab_size, dm->embed_dim,
	     dm->hidden, dm->heads, dm->ffn, dm->layers, f32_bits(e->ebm->ln_eps));
	if (!s->layer)
		emit(&cb, EDGEBERT_CMD_EMBED, 5, BO_SLOT, SLOT_TOK, 0u, s->res.tokens);
	else
		emit(&cb, EDGEBERT_CMD_LOAD_STATE, 4, BO_SLOT, sl->state_off, 0u);
	for (n = s->layer + 1; n <= last; n++) {
		rule = ramp_rule(e, s, n);
		emit(&cb, EDGEBERT_CMD_LAYER, 1);
		emit(&cb, EDGEBERT_CMD_OFFRAMP, 3, rule, f32_bits(e->thr));
	}
	if (!(rule & EDGEBERT_OFFRAMP_EXIT_ALWAYS))
		emit(&cb, EDGEBERT_CMD_STORE_STATE, 4, BO_SLOT, sl->state_off, 0u);
	emit(&cb, EDGEBERT_CMD_WRITE_RESULTS, 4, BO_SLOT, sl->res_off, 0u);
	if (cb.n & 1)
		emit(&cb, EDGEBERT_CMD_NOP, 1);
	if (cb.n > cb.cap)
		return -E2BIG;
	job = (struct eb_job_desc){
		.bos = bos, .bo_count = 2, .cmd_bo = BO_SLOT,
		.cmd_offset = SLOT_CMD, .cmd_size = cb.n * 4,
		.opp = d->opp_base + opp,
		.user_data = (uint64_t)(sl - e->slots),
	};
	ret = eb_job_submit(d->dev, &job, NULL);
	if (!ret)
		e->stats.jobs++;
	return ret;
}

static void slot_release(struct eb_engine *e, struct slot *sl)
{
	sl->busy = 0;
	e->devs[sl->dev].busy--;
	e->inflight--;
}

/* A job event: read the segment's results, step the policy, go on or finish. */
static void dev_event(void *arg, unsigned int dev, const struct drm_edgebert_event_job *ev)
{
	struct eb_engine *e = arg;
	struct slot *sl;
	const uint32_t *rec;
	float h[EB_RESULT_MAX_LAYERS], logits[EB_RESULT_MAX_LABELS];
	uint32_t labels, exit_layer, n;
	int ret;

	if (ev->user_data >= e->nslots)
		return;
	sl = &e->slots[ev->user_data];
	if (!sl->busy || sl->dev != dev)
		return;
	cost_add(&sl->s.res, ev->cycles, ev->device_ns, ev->energy_pj);
	ret = eb_job_status_errno(ev->status);
	if (ret)
		goto out;
	rec = (const uint32_t *)((const char *)sl->bo.map + sl->res_off);
	exit_layer = rec[0];
	labels = rec[1];
	if (labels != sl->s.res.labels || exit_layer != ev->exit_layer ||
	    exit_layer <= sl->s.layer || exit_layer > e->ebm->dims.layers) {
		ret = -EPROTO;
		goto out;
	}
	memcpy(logits, rec + 4, labels * sizeof(float));
	for (n = sl->s.layer + 1; n <= exit_layer; n++)
		memcpy(&h[n - sl->s.layer - 1], rec + 4 + labels + n - 1, sizeof(float));
	ret = sent_segment_done(e, &sl->s, h, exit_layer,
				ev->status == EDGEBERT_JOB_EXITED, logits);
	if (ret == 0) {
		ret = dev_launch(e, sl);
		if (!ret)
			return;
	} else if (ret > 0) {
		ret = 0;
	}
out:
	slot_release(e, sl);
	finish(e, &sl->s, ret);
}

/* Wait for events (timeout_ns < 0: forever); 0 or a reap error. */
static int dev_reap(struct eb_engine *e, int64_t timeout_ns)
{
	int ret = eb_devq_reap(e->q, timeout_ns, dev_event, e);

	e->stats.waits++;
	return ret < 0 ? ret : 0;
}

/* A free slot, on the least busy device; waits for one if all are busy. */
static int dev_slot(struct eb_engine *e, struct slot **out)
{
	unsigned int i;
	int ret;

	for (;;) {
		struct slot *best = NULL;

		for (i = 0; i < e->nslots; i++) {
			struct slot *sl = &e->slots[i];

			if (!sl->busy && (!best || e->devs[sl->dev].busy < e->devs[best->dev].busy))
				best = sl;
		}
		if (best) {
			*out = best;
			return 0;
		}
		ret = dev_reap(e, -1);
		if (ret)
			return ret;
	}
}

/* ---- submission, common to both backends ---- */

static int check_ids(const struct eb_engine *e, const uint32_t *ids, const uint32_t *types,
		     uint32_t n)
{
	const struct eb_dims *d = &e->ebm->dims;
	uint32_t i;

	if (!ids || !n || n > e->max_ids)
		return -EINVAL;
	for (i = 0; i < n; i++)
		if (ids[i] >= d->vocab_size || (types && types[i] >= d->type_vocab_size))
			return -EINVAL;
	return 0;
}

/* Caller holds the lock. The result goes to sync_out, or the queue. */
static int submit_locked(struct eb_engine *e, const uint32_t *ids, const uint32_t *types,
			 uint32_t n, uint64_t tag, struct eb_result *sync_out)
{
	struct slot *sl;
	uint32_t *tok, i;
	int ret = check_ids(e, ids, types, n);

	if (ret)
		return ret;
	if (e->backend == EB_BACKEND_CPU) {
		struct sent *s = e->cpu_sent;

		ret = sent_start(e, s, &e->cpu_hw, 0, n, tag);
		if (!ret)
			ret = cpu_run(e, s, ids, types, n);
		s->sync_out = sync_out;
		if (sync_out)
			e->sync_waiting++;
		finish(e, s, ret);
		return 0;
	}
	ret = dev_slot(e, &sl);
	if (ret)
		return ret;
	ret = sent_start(e, &sl->s, &e->devs[sl->dev].hw, e->devs[sl->dev].opp_base, n, tag);
	sl->s.res.device = e->devs[sl->dev].index;
	sl->s.sync_out = sync_out;
	if (sync_out)
		e->sync_waiting++;
	if (!ret) {
		tok = (uint32_t *)((char *)sl->bo.map + SLOT_TOK);
		for (i = 0; i < n; i++)
			tok[i] = EDGEBERT_TOKEN(ids[i], types ? types[i] : 0);
		ret = dev_launch(e, sl);
	}
	if (ret) {
		finish(e, &sl->s, ret);
		return 0;
	}
	sl->busy = 1;
	e->devs[sl->dev].busy++;
	e->inflight++;
	return 0;
}

static int tokenize(const struct eb_engine *e, const char *text, uint32_t *ids)
{
	if (!text)
		return -EINVAL;
	return eb_tokenize(e->tok, text, strlen(text), ids, e->max_ids);
}

/* Wait until every synchronous sentence is done. Caller holds the lock. */
static int wait_sync(struct eb_engine *e)
{
	int ret;

	while (e->sync_waiting) {
		ret = dev_reap(e, -1);
		if (ret)
			return ret;
	}
	return 0;
}

int eb_engine_classify_ids(struct eb_engine *e, const uint32_t *ids,
			   const uint32_t *types, uint32_t n, struct eb_result *res)
{
	int ret;

	memset(res, 0, sizeof(*res));
	pthread_mutex_lock(&e->lock);
	ret = submit_locked(e, ids, types, n, 0, res);
	if (!ret)
		ret = wait_sync(e);
	pthread_mutex_unlock(&e->lock);
	if (ret)
		res->status = ret;
	return res->status;
}

int eb_engine_classify(struct eb_engine *e, const char *text, struct eb_result *res)
{
	uint32_t *ids = malloc(e->max_ids * sizeof(*ids));
	int n;

	if (!ids) {
		memset(res, 0, sizeof(*res));
		return res->status = -ENOMEM;
	}
	n = tokenize(e, text, ids);
	if (n < 0) {
		memset(res, 0, sizeof(*res));
		res->status = n;
	} else {
		eb_engine_classify_ids(e, ids, NULL, (uint32_t)n, res);
	}
	free(ids);
	return res->status;
}

int eb_engine_classify_batch(struct eb_engine *e, const char *const *text, size_t n,
			     struct eb_result *res)
{
	uint32_t *ids = malloc(e->max_ids * sizeof(*ids));
	int ret = 0, first = 0;
	size_t i;

	if (!ids)
		return -ENOMEM;
	pthread_mutex_lock(&e->lock);
	for (i = 0; i < n; i++) {
		int k = tokenize(e, text[i], ids);

		memset(&res[i], 0, sizeof(res[i]));
		res[i].tag = i;
		ret = k < 0 ? k : submit_locked(e, ids, NULL, (uint32_t)k, i, &res[i]);
		if (ret)
			res[i].status = ret;
	}
	ret = wait_sync(e);
	pthread_mutex_unlock(&e->lock);
	free(ids);
	if (ret)
		return ret;
	for (i = 0; i < n && !first; i++)
		first = res[i].status;
	return first;
}

int eb_engine_submit_ids(struct eb_engine *e, const uint32_t *ids, const uint32_t *types,
			 uint32_t n, uint64_t tag)
{
	int ret;

	pthread_mutex_lock(&e->lock);
	ret = submit_locked(e, ids, types, n, tag, NULL);
	pthread_mutex_unlock(&e->lock);
	return ret;
}

int eb_engine_submit(struct eb_engine *e, const char *text, uint64_t tag)
{
	uint32_t *ids = malloc(e->max_ids * sizeof(*ids));
	int n;

	if (!ids)
		return -ENOMEM;
	n = tokenize(e, text, ids);
	if (n >= 0)
		n = eb_engine_submit_ids(e, ids, NULL, (uint32_t)n, tag);
	free(ids);
	return n;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int eb_engine_poll(struct eb_engine *e, struct eb_result *out, unsigned int max,
		   int timeout_ms)
{
	struct eb_result local[8];
	unsigned int n = 0, i;
	int64_t deadline;
	int ret = 0;

	if (!out) {
		if (!e->opts.on_result)
			return -EINVAL;
		out = local;
		if (max > 8)
			max = 8;
	}
	pthread_mutex_lock(&e->lock);
	if (e->inflight)
		ret = dev_reap(e, 0);	/* collect what is there */
	deadline = now_ms() + (timeout_ms > 0 ? timeout_ms : 0);
	while (!ret && !e->done_len && e->inflight && timeout_ms) {
		int64_t left = deadline - now_ms();

		if (timeout_ms > 0 && left <= 0)
			break;
		ret = dev_reap(e, timeout_ms < 0 ? -1 : left * 1000000);
	}
	while (n < max && e->done_len) {
		out[n++] = e->done[e->done_head++];
		e->done_len--;
	}
	if (!e->done_len)
		e->done_head = 0;
	pthread_mutex_unlock(&e->lock);
	if (e->opts.on_result)
		for (i = 0; i < n; i++)
			e->opts.on_result(e->opts.on_result_arg, &out[i]);
	return n ? (int)n : ret;
}

unsigned int eb_engine_pending(const struct eb_engine *e)
{
	struct eb_engine *m = (struct eb_engine *)e;	/* the lock only */
	unsigned int n;

	pthread_mutex_lock(&m->lock);
	n = e->inflight + (unsigned int)e->done_len;
	pthread_mutex_unlock(&m->lock);
	return n;
}

void eb_engine_get_stats(struct eb_engine *e, struct eb_engine_stats *st)
{
	pthread_mutex_lock(&e->lock);
	*st = e->stats;
	pthread_mutex_unlock(&e->lock);
}

enum eb_backend eb_engine_backend(const struct eb_engine *e)
{
	return e->backend;
}

unsigned int eb_engine_device_count(const struct eb_engine *e)
{
	return e->ndev;
}

void eb_engine_opp_window(const struct eb_engine *e, uint32_t *first, uint32_t *count)
{
	if (e->backend == EB_BACKEND_CPU) {
		*first = 0;
		*count = e->cpu_hw.opp_count;
	} else {
		*first = e->devs[0].opp_base;
		*count = e->devs[0].hw.opp_count;
	}
}

int eb_engine_hw(const struct eb_engine *e, unsigned int dev, struct eb_hw *hw)
{
	if (e->backend == EB_BACKEND_CPU) {
		if (dev)
			return -EINVAL;
		*hw = e->cpu_hw;
	} else {
		if (dev >= e->ndev)
			return -EINVAL;
		*hw = e->devs[dev].hw;
	}
	return 0;
}

/* ---- opening ---- */

/*
 * The policy's hardware from what the device reports: capabilities, and
 * the driver's OPP table restricted to the admin's window (jobs are clamped
 * to it, so the policy must not plan outside it).
 */
static int dev_hw(struct dev *d, char *err, size_t errlen)
{
	const struct eb_device_caps *c = eb_device_caps(d->dev);
	struct drm_edgebert_opp tab[EB_MAX_OPPS];
	struct drm_edgebert_dvfs_get g = { .table = (uintptr_t)tab, .table_count = EB_MAX_OPPS };
	uint32_t i;

	if (drmIoctl(eb_device_fd(d->dev), DRM_IOCTL_EDGEBERT_DVFS_GET, &g)) {
		set_err(err, errlen, "%s: DVFS_GET: %s", eb_device_path(d->dev), strerror(errno));
		return -errno;
	}
	if (!g.table_count || g.table_count > EB_MAX_OPPS || g.min_opp > g.max_opp ||
	    g.max_opp >= g.table_count) {
		set_err(err, errlen, "%s: bad DVFS table (%u points, window %u..%u)",
			eb_device_path(d->dev), g.table_count, g.min_opp, g.max_opp);
		return -EPROTO;
	}
	d->hw = (struct eb_hw){
		.mac_lanes = c->mac_lanes, .vector_lanes = c->vector_lanes,
		.freq_max_khz = c->freq_max_khz, .volt_min_uv = c->volt_min_uv,
		.volt_max_uv = c->volt_max_uv, .ldo_step_uv = c->ldo_step_uv,
		.ldo_settle_ns = c->ldo_settle_ns, .adpll_relock_ns = c->adpll_relock_ns,
		.mac_energy_fj = c->mac_energy_fj, .vector_energy_fj = c->vector_energy_fj,
		.leakage_uw = c->leakage_uw, .envm_read_fj_per_byte = c->envm_read_fj_per_byte,
		.sram_read_fj_per_byte = c->sram_read_fj_per_byte,
		.opp_count = g.max_opp - g.min_opp + 1,
	};
	for (i = 0; i < d->hw.opp_count; i++) {
		d->hw.opp[i].freq_khz = tab[g.min_opp + i].freq_khz;
		d->hw.opp[i].volt_uv = tab[g.min_opp + i].volt_uv;
	}
	d->opp_base = g.min_opp;
	if (eb_hw_validate(&d->hw)) {
		set_err(err, errlen, "%s: the device's OPP table is not usable",
			eb_device_path(d->dev));
		return -EPROTO;
	}
	return 0;
}

/* The device's eNVM must hold the model's embeddings; program it if not. */
static int dev_envm(struct eb_engine *e, struct dev *d, char *err, size_t errlen)
{
	struct drm_edgebert_envm_info info = { 0 };
	struct drm_edgebert_envm_program prog = { 0 };
	int fd = eb_device_fd(d->dev), ret;
	const void *img;
	size_t len;
	struct eb_bo bo;

	eb_model_envm_image(e->model, &img, &len);
	if (drmIoctl(fd, DRM_IOCTL_EDGEBERT_ENVM_INFO, &info)) {
		ret = -errno;
		set_err(err, errlen, "%s: ENVM_INFO: %s", eb_device_path(d->dev), strerror(-ret));
		return ret;
	}
	if (info.image_size == len && info.image_crc32 == eb_crc32(0, img, len))
		return 0;
	if (len > info.size) {
		set_err(err, errlen, "%s: the model's embeddings (%zu bytes) exceed the eNVM (%llu bytes)",
			eb_device_path(d->dev), len, (unsigned long long)info.size);
		return -EFBIG;
	}
	ret = eb_bo_create(d->dev, len, EDGEBERT_BO_NOEXEC, &bo);
	if (ret) {
		set_err(err, errlen, "%s: eNVM staging buffer: %s", eb_device_path(d->dev),
			strerror(-ret));
		return ret;
	}
	memcpy(bo.map, img, len);
	prog.handle = bo.handle;
	prog.size = len;
	ret = drmIoctl(fd, DRM_IOCTL_EDGEBERT_ENVM_PROGRAM, &prog) ? -errno : 0;
	eb_bo_destroy(d->dev, &bo);
	if (ret == -EPERM || ret == -EACCES)
		set_err(err, errlen,
			"%s: the eNVM does not hold this model's embeddings and programming it needs "
			"CAP_SYS_ADMIN: run once as root, or `ebctl envm program MODEL`",
			eb_device_path(d->dev));
	else if (ret)
		set_err(err, errlen, "%s: ENVM_PROGRAM: %s", eb_device_path(d->dev), strerror(-ret));
	else
		e->stats.envm_programs++;
	return ret;
}

static int dev_open_all(struct eb_engine *e, char *err, size_t errlen)
{
	const void *blob;
	size_t blob_len, state_size;
	unsigned int i, first, per;
	struct eb_device **list;
	const struct eb_dims *dm = &e->ebm->dims;
	int count = eb_device_count(), ret;

	if (count < 0) {
		set_err(err, errlen, "/dev/dri: %s", strerror(-count));
		return count;
	}
	if (e->opts.device == EB_DEVICE_ALL) {
		first = 0;
		e->ndev = (unsigned int)count;
	} else {
		first = (unsigned int)e->opts.device;
		e->ndev = e->opts.device >= 0 && e->opts.device < count ? 1 : 0;
	}
	if (!e->ndev) {
		set_err(err, errlen, count ? "no EdgeBERT device %d (%d present)" :
			"no EdgeBERT device (no render node of the edgebert driver)",
			e->opts.device, count);
		return -ENODEV;
	}
	e->devs = calloc(e->ndev, sizeof(*e->devs));
	list = calloc(e->ndev, sizeof(*list));
	if (!e->devs || !list) {
		free(list);
		return -ENOMEM;
	}
	eb_model_task_blob(e->model, e->task, &blob, &blob_len);
	for (i = 0; i < e->ndev; i++) {
		struct dev *d = &e->devs[i];
		const struct eb_device_caps *c;

		d->index = (int)(first + i);
		ret = eb_device_open(first + i, &d->dev);
		if (ret) {
			set_err(err, errlen, "EdgeBERT device %u: %s", first + i, strerror(-ret));
			goto out;
		}
		list[i] = d->dev;
		c = eb_device_caps(d->dev);
		if (dm->hidden > c->max_hidden || dm->heads > c->max_heads ||
		    dm->ffn > c->max_ffn || blob_len > c->sram_weight_size) {
			set_err(err, errlen, "%s: the model does not fit the device (H %u, heads %u, "
				"FFN %u, weights %zu bytes)", eb_device_path(d->dev), dm->hidden,
				dm->heads, dm->ffn, blob_len);
			ret = -E2BIG;
			goto out;
		}
		if (e->max_ids > c->max_seq_len)
			e->max_ids = c->max_seq_len;
		while (e->max_ids > 2 && (uint64_t)e->max_ids * dm->hidden * 4 > c->sram_act_size)
			e->max_ids--;
		ret = dev_hw(d, err, errlen);
		if (!ret)
			ret = dev_envm(e, d, err, errlen);
		if (ret)
			goto out;
		/* the task's weights, once per device: every job's LOAD_TASK reads them */
		ret = eb_bo_create(d->dev, blob_len, EDGEBERT_BO_NOEXEC, &d->weights);
		if (ret) {
			set_err(err, errlen, "%s: weights buffer: %s", eb_device_path(d->dev),
				strerror(-ret));
			goto out;
		}
		memcpy(d->weights.map, blob, blob_len);
	}
	ret = eb_devq_new(list, e->ndev, &e->q);
	if (ret) {
		set_err(err, errlen, "io_uring: %s", strerror(-ret));
		goto out;
	}
	per = e->opts.max_inflight ? e->opts.max_inflight : 16;
	e->nslots = per * e->ndev;
	e->slots = calloc(e->nslots, sizeof(*e->slots));
	if (!e->slots) {
		ret = -ENOMEM;
		goto out;
	}
	state_size = 16 + (size_t)4 * e->max_ids * dm->hidden;
	for (i = 0; i < e->nslots; i++) {
		struct slot *sl = &e->slots[i];
		size_t tok = ((size_t)e->max_ids * 4 + 63) & ~(size_t)63;

		sl->dev = i % e->ndev;
		sl->res_off = SLOT_TOK + tok;
		sl->state_off = sl->res_off + ((SLOT_RES_SIZE + 63) & ~63u);
		ret = eb_bo_create(e->devs[sl->dev].dev, sl->state_off + state_size, 0, &sl->bo);
		if (ret) {
			set_err(err, errlen, "sentence buffers: %s", strerror(-ret));
			goto out;
		}
	}
	ret = 0;
out:
	free(list);
	return ret;
}

void eb_engine_close(struct eb_engine *e)
{
	unsigned int i;

	if (!e)
		return;
	/* jobs in flight write into our BOs: let them finish first */
	while (e->inflight && e->q && dev_reap(e, -1) == 0)
		;
	for (i = 0; e->slots && i < e->nslots; i++)
		eb_bo_destroy(e->devs[e->slots[i].dev].dev, &e->slots[i].bo);
	free(e->slots);
	eb_devq_free(e->q);
	for (i = 0; e->devs && i < e->ndev; i++) {
		if (e->devs[i].dev) {
			eb_bo_destroy(e->devs[i].dev, &e->devs[i].weights);
			eb_device_close(e->devs[i].dev);
		}
	}
	free(e->devs);
	eb_cpu_free(e->cpu);
	free(e->cpu_sent);
	eb_tokenizer_free(e->tok);
	free(e->done);
	pthread_mutex_destroy(&e->lock);
	free(e);
}

int eb_engine_open(const struct eb_model *model, const struct eb_engine_opts *opts,
		   struct eb_engine **out, char *err, size_t errlen)
{
	struct eb_engine_opts defaults;
	struct eb_engine *e;
	int ret;

	if (!out)
		return -EINVAL;
	*out = NULL;
	if (!opts) {
		eb_engine_opts_init(&defaults);
		opts = &defaults;
	}
	if (!model || opts->backend > EB_BACKEND_DEVICE || opts->policy > EB_EXIT_OFF ||
	    opts->device < EB_DEVICE_ALL || opts->threshold != opts->threshold) {
		set_err(err, errlen, "invalid engine options");
		return -EINVAL;
	}
	e = calloc(1, sizeof(*e));
	if (!e)
		return -ENOMEM;
	if (pthread_mutex_init(&e->lock, NULL)) {
		free(e);
		return -ENOMEM;
	}
	e->model = model;
	e->ebm = eb_model_ebm(model);
	e->opts = *opts;
	e->opts.task = NULL;	/* not kept: the caller's string */
	ret = opts->task ? eb_model_find_task(model, opts->task) : 0;
	if (ret < 0) {
		set_err(err, errlen, "no task \"%s\" in the model", opts->task);
		goto fail;
	}
	e->task = (uint32_t)ret;
	eb_model_task_info(model, e->task, &e->ti);
	e->tw = &model->tw[e->task];
	e->thr = opts->threshold < 0.0f ? e->ti.threshold : opts->threshold;
	e->lut = (struct eb_exit_lut){ e->ti.lut, e->ti.lut_rows, e->ti.lut_cols };
	e->max_ids = e->ebm->dims.max_position;
	ret = -EINVAL;
	if (opts->policy != EB_EXIT_OFF && (!e->ti.lut_rows || e->ti.lut_cols < 2)) {
		set_err(err, errlen, "task \"%s\" has no exit LUT: use the policy off",
			e->ti.name);
		goto fail;
	}
	if (e->ebm->dims.layers > EB_RESULT_MAX_LAYERS || e->ti.labels > EB_RESULT_MAX_LABELS) {
		set_err(err, errlen, "model too large for the engine");
		goto fail;
	}
	ret = eb_tokenizer_from_model(model, &e->tok);
	if (ret) {
		set_err(err, errlen, "tokenizer: %s", strerror(-ret));
		goto fail;
	}

	e->backend = opts->backend;
	if (e->backend == EB_BACKEND_AUTO)
		e->backend = eb_device_count() > 0 ? EB_BACKEND_DEVICE : EB_BACKEND_CPU;
	if (e->backend == EB_BACKEND_DEVICE) {
		ret = dev_open_all(e, err, errlen);
		if (ret)
			goto fail;
	} else {
		if (opts->hw)
			e->cpu_hw = *opts->hw;
		else
			eb_hw_default(&e->cpu_hw);
		e->cpu_opp = e->cpu_hw.opp_count - 1;	/* a device after power-on */
		e->cpu_sent = malloc(sizeof(*e->cpu_sent));
		ret = e->cpu_sent ? eb_cpu_new(model, &e->cpu) : -ENOMEM;
		if (!ret)
			ret = eb_cpu_set_hw(e->cpu, &e->cpu_hw);
		if (ret) {
			set_err(err, errlen, "CPU backend: %s", ret == -EINVAL ?
				"invalid hardware parameters" : strerror(-ret));
			goto fail;
		}
	}
	if (opts->policy == EB_EXIT_OFF && opts->opp != EB_OPP_NOMINAL) {
		unsigned int n = e->ndev ? e->ndev : 1;

		for (unsigned int i = 0; i < n; i++) {
			uint32_t first = e->ndev ? e->devs[i].opp_base : 0;
			uint32_t count = e->ndev ? e->devs[i].hw.opp_count : e->cpu_hw.opp_count;

			if (opts->opp < first || opts->opp >= first + count) {
				set_err(err, errlen, "operating point %u outside the allowed %u..%u",
					opts->opp, first, first + count - 1);
				ret = -EINVAL;
				goto fail;
			}
		}
	}
	*out = e;
	return 0;
fail:
	eb_engine_close(e);
	return ret;
}
