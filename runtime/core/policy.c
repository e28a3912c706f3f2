// SPDX-License-Identifier: MIT
/*
 * Early-exit predictor (EdgeBERT reference semantics) and the per-sentence
 * DVFS policy over a modeled cost table. OS-free, no allocation. Layers are
 * numbered from 1. See docs/policy.md.
 */
#include <errno.h>

#include "policy_cost.h"

uint32_t eb_lut_predict_layer(const struct eb_exit_lut *lut, uint32_t layers)
{
	if (!lut || lut->cols < 2 || lut->cols >= layers)
		return 0;
	return layers - lut->cols;
}

uint32_t eb_lut_predict(const struct eb_exit_lut *lut, float threshold,
			uint32_t layers, uint32_t at, float h)
{
	const float *row = lut->v;
	float best = -1.0f;
	uint32_t r, k, last = lut->cols - 2, exit_layer;

	for (r = 0; r < lut->rows; r++) {
		const float *cand = lut->v + (uint64_t)r * lut->cols;
		float dist = cand[0] > h ? cand[0] - h : h - cand[0];

		if (best < 0.0f || dist < best) {
			best = dist;
			row = cand;
		}
	}
	for (k = 0; k < last && !(row[k + 1] < threshold); k++)
		;
	/* Exits past L-2 cannot happen: the last two layers are not checked. */
	exit_layer = at + 1 + k;
	return layers >= 2 && exit_layer <= layers - 2 ? exit_layer : layers;
}

uint32_t eb_exit_plain(const float *entropy, uint32_t layers, float threshold)
{
	uint32_t n;

	for (n = 1; n < layers; n++)
		if (entropy[n - 1] < threshold)
			return n;
	return layers;
}

int eb_predictor_init(struct eb_predictor *pr, const struct eb_exit_lut *lut,
		      float threshold, uint32_t layers, uint32_t p)
{
	if (!lut || !lut->v || !lut->rows || lut->cols < 2 || !layers ||
	    layers > EB_POLICY_MAX_LAYERS)
		return -EINVAL;
	if (!p)
		p = eb_lut_predict_layer(lut, layers);
	if (!p || p > layers)
		return -EINVAL;
	*pr = (struct eb_predictor){
		.lut = lut, .threshold = threshold, .layers = layers, .p = p,
	};
	return 0;
}

int eb_predictor_step(struct eb_predictor *pr, uint32_t n, float h)
{
	uint32_t l = pr->layers;

	if (n >= l)
		return 1;
	/* Layers L-1 and L are never checked (after the prediction layer). */
	if (n > pr->p && l >= 2 && n > l - 2)
		return 0;
	if (h < pr->threshold)
		return 1;
	if (n == pr->p) {
		pr->forced = eb_lut_predict(pr->lut, pr->threshold, l, n, h);
		return 0;
	}
	return n == pr->forced;
}

uint32_t eb_exit_predicted(const struct eb_predictor *cfg, const float *entropy)
{
	struct eb_predictor pr = *cfg;
	uint32_t n;

	pr.forced = 0;
	for (n = 1; n < pr.layers; n++)
		if (eb_predictor_step(&pr, n, entropy[n - 1]))
			return n;
	return pr.layers;
}

/* ---- cost table ---- */

int eb_policy_table_build(struct eb_policy_table *t, const struct eb_hw *hw,
			  const struct eb_dims *d, uint32_t seq, uint32_t labels,
			  const uint32_t *span_keys, uint64_t zero_weights)
{
	uint32_t full[EB_MAX_HEADS], i, j;
	struct eb_work embed, layer, ramp;
	struct eb_cost c;

	if (eb_hw_validate(hw) || hw->opp_count > EB_POLICY_MAX_OPPS || !seq ||
	    !labels || !d->hidden || !d->heads || d->heads > EB_MAX_HEADS ||
	    !d->layers || d->layers > EB_POLICY_MAX_LAYERS)
		return -EINVAL;
	if (!span_keys) {
		for (i = 0; i < EB_MAX_HEADS; i++)
			full[i] = seq;
		span_keys = full;
	}
	/* Dense AdaptivFloat8 word vectors: one byte per element. */
	eb_work_embed(d, seq, (uint64_t)seq * d->embed_dim, &embed);
	eb_work_layer(d, seq, span_keys, zero_weights, &layer);
	eb_work_offramp(d, labels, &ramp);

	t->opp_count = hw->opp_count;
	t->layers = d->layers;
	for (i = 0; i < hw->opp_count; i++) {
		eb_cost_of(hw, &embed, i, &c);
		t->embed_ns[i] = c.ns;
		t->embed_pj[i] = c.energy_pj;
		eb_cost_of(hw, &layer, i, &c);
		t->layer_ns[i] = c.ns;
		t->layer_pj[i] = c.energy_pj;
		eb_cost_of(hw, &ramp, i, &c);
		t->ramp_ns[i] = c.ns;
		t->ramp_pj[i] = c.energy_pj;
		for (j = 0; j < hw->opp_count; j++) {
			t->switch_ns[i][j] = eb_transition_ns(hw, i, j);
			t->switch_pj[i][j] = eb_transition_pj(hw, i, j);
		}
	}
	return 0;
}

/* ---- policy ---- */

/* Time and energy of some plan step. */
struct span {
	uint64_t ns;
	uint64_t pj;
};

/*
 * Layer whose off-ramp is skipped: L-1 is never checked after the
 * prediction layer, unless the run must end there (its last off-ramp gives
 * the answer). 0 = none.
 */
static uint32_t skipped_ramp(const struct eb_policy_run *run, uint32_t last)
{
	uint32_t l = run->pred.layers;

	return l >= 3 && l - 1 > run->pred.p && last != l - 1 ? l - 1 : 0;
}

/* Layers a..b (inclusive) at point j, the last one ending with its off-ramp. */
static struct span layers_at(const struct eb_policy_run *run, uint32_t j, uint32_t a,
			     uint32_t b)
{
	const struct eb_policy_table *t = run->cfg->table;
	struct span s = { 0, 0 };
	uint32_t skip = skipped_ramp(run, b), n;

	for (n = a; n <= b; n++) {
		s.ns += t->layer_ns[j];
		s.pj += t->layer_pj[j];
		if (n != skip) {
			s.ns += t->ramp_ns[j];
			s.pj += t->ramp_pj[j];
		}
	}
	return s;
}

/*
 * Plan from the current state: switch to j, run layers run->layer+1..e at
 * j, then (only if the sentence has not exited by e) switch to the nominal
 * point and run e+1..f. Returns the worst-case time in .ns and, in .pj, the
 * energy up to e (the expected case the plan optimises).
 */
static struct span plan(const struct eb_policy_run *run, uint32_t j, uint32_t e,
			uint32_t f)
{
	const struct eb_policy_table *t = run->cfg->table;
	uint32_t top = t->opp_count - 1;
	struct span s = layers_at(run, j, run->layer + 1, e), tail;

	s.ns += run->ns + t->switch_ns[run->opp][j];
	s.pj += t->switch_pj[run->opp][j];
	if (e < f) {
		tail = layers_at(run, top, e + 1, f);
		s.ns += t->switch_ns[j][top] + tail.ns;
	}
	return s;
}

/* Cheapest feasible point for plan(e, f); the nominal one if none fits. */
static uint32_t choose(const struct eb_policy_run *run, uint32_t e, uint32_t f)
{
	uint32_t top = run->cfg->table->opp_count - 1, best = top, j;
	uint64_t best_pj = UINT64_MAX;

	for (j = 0; j <= top; j++) {
		struct span s = plan(run, j, e, f);

		if (s.ns <= run->cfg->target_ns && s.pj < best_pj) {
			best = j;
			best_pj = s.pj;
		}
	}
	return best;
}

static void charge(struct eb_policy_run *run, struct span s)
{
	run->ns += s.ns;
	run->pj += s.pj;
}

static void switch_to(struct eb_policy_run *run, uint32_t j)
{
	const struct eb_policy_table *t = run->cfg->table;

	if (j == run->opp)
		return;
	charge(run, (struct span){ t->switch_ns[run->opp][j], t->switch_pj[run->opp][j] });
	run->opp = j;
	run->switches++;
}

/*
 * Last layer a fresh sentence started at point s can reach in time, running
 * layers 1..p at s and the rest at the nominal point (0 = not even one).
 */
static uint32_t reach(const struct eb_policy_run *run, uint32_t s)
{
	struct eb_policy_run r = *run;
	uint32_t p = run->pred.p, f;

	r.layer = 0;
	r.opp = s;
	r.ns = r.cfg->table->embed_ns[s];
	for (f = r.pred.layers; f; f--) {
		uint64_t ns = f <= p ? r.ns + layers_at(&r, s, 1, f).ns : plan(&r, s, p, f).ns;

		if (ns <= r.cfg->target_ns)
			break;
	}
	return f;
}

/*
 * Worst-case energy of starting at s: embedding and layers 1..p at s, then
 * layers up to the cap at the cheapest point that still fits.
 */
static uint64_t start_pj(const struct eb_policy_run *run, uint32_t s)
{
	const struct eb_policy_table *t = run->cfg->table;
	struct eb_policy_run r = *run;
	uint32_t p = run->pred.p < run->cap ? run->pred.p : run->cap;
	struct span pre = layers_at(&r, s, 1, p);

	r.layer = p;
	r.opp = s;
	r.ns = t->embed_ns[s] + pre.ns;
	pre.pj += t->embed_pj[s];
	if (p < r.cap)
		pre.pj += plan(&r, choose(&r, r.cap, r.cap), r.cap, r.cap).pj;
	return pre.pj;
}

int eb_policy_begin(struct eb_policy_run *run, const struct eb_policy_cfg *cfg)
{
	const struct eb_policy_table *t = cfg->table;
	uint32_t top, s, j;
	int ret;

	if (!t || !t->opp_count || t->opp_count > EB_POLICY_MAX_OPPS ||
	    t->layers > EB_POLICY_MAX_LAYERS ||
	    (cfg->kind != EB_POLICY_PAPER && cfg->kind != EB_POLICY_REPREDICT))
		return -EINVAL;
	*run = (struct eb_policy_run){ .cfg = cfg };
	ret = eb_predictor_init(&run->pred, cfg->lut, cfg->threshold, t->layers,
				cfg->predict_layer);
	if (ret)
		return ret;
	top = t->opp_count - 1;
	s = top;
	run->cap = reach(run, top);
	if (!run->cap)
		return -ERANGE;
	/*
	 * Re-predicting: start at the point that loses no reachable layer and
	 * is cheapest should the sentence run to the cap.
	 */
	if (cfg->kind == EB_POLICY_REPREDICT) {
		uint64_t best = UINT64_MAX;

		for (j = 0; j <= top; j++) {
			uint64_t pj;

			if (reach(run, j) != run->cap)
				continue;
			pj = start_pj(run, j);
			if (pj < best) {
				best = pj;
				s = j;
			}
		}
	}
	run->opp = s;
	run->opp_first = s;
	charge(run, (struct span){ t->embed_ns[s], t->embed_pj[s] });
	return 0;
}

int eb_policy_step(struct eb_policy_run *run, float h)
{
	const struct eb_policy_table *t = run->cfg->table;
	uint32_t n, f, e, j, skip;
	int exit_now;

	if (run->done || run->layer >= t->layers)
		return -EINVAL;
	n = ++run->layer;
	exit_now = eb_predictor_step(&run->pred, n, h);
	f = run->pred.forced && run->pred.forced < run->cap ? run->pred.forced : run->cap;

	/* Charge layer n at the point it ran at. */
	skip = skipped_ramp(run, n > run->pred.p ? f : 0);
	charge(run, (struct span){ t->layer_ns[run->opp], t->layer_pj[run->opp] });
	if (n != skip)
		charge(run, (struct span){ t->ramp_ns[run->opp], t->ramp_pj[run->opp] });

	if (exit_now || n >= run->cap) {
		run->capped = !exit_now;
		run->done = 1;
		run->deadline_met = run->ns <= run->cfg->target_ns;
		return 1;
	}
	if (n < run->pred.p)
		return 0;
	if (n == run->pred.p) {
		j = choose(run, f, f);
		switch_to(run, j);
		run->opp_first = j;
		return 0;
	}
	if (run->cfg->kind == EB_POLICY_REPREDICT) {
		/* The LUT again, from the newest entropy: expected exit e <= f. */
		e = eb_lut_predict(run->pred.lut, run->pred.threshold, t->layers, n, h);
		switch_to(run, choose(run, e < f ? e : f, f));
	}
	return 0;
}

int eb_policy_sentence(struct eb_policy_run *run, const struct eb_policy_cfg *cfg,
		       const float *entropy)
{
	int ret = eb_policy_begin(run, cfg);

	while (!ret)
		ret = eb_policy_step(run, entropy[run->layer]);
	return ret < 0 ? ret : 0;
}

void eb_policy_fixed(const struct eb_policy_table *t, uint32_t opp, uint32_t layers,
		     int ramps_every, uint64_t *ns, uint64_t *pj)
{
	uint64_t ramps = ramps_every ? layers : 1;

	*ns = t->embed_ns[opp] + layers * t->layer_ns[opp] + ramps * t->ramp_ns[opp];
	*pj = t->embed_pj[opp] + layers * t->layer_pj[opp] + ramps * t->ramp_pj[opp];
}

int eb_policy_oracle(const struct eb_policy_table *t, uint32_t exit_layer,
		     uint64_t target_ns, uint64_t *ns, uint64_t *pj, uint32_t *opp)
{
	uint32_t j;
	int ret = -ERANGE;

	*pj = UINT64_MAX;
	for (j = 0; j < t->opp_count; j++) {
		uint64_t jns, jpj;

		/* It knows the exit: only the answering off-ramp is needed. */
		eb_policy_fixed(t, j, exit_layer, 0, &jns, &jpj);
		if (jns <= target_ns && jpj < *pj) {
			*ns = jns;
			*pj = jpj;
			*opp = j;
			ret = 0;
		}
	}
	return ret;
}
