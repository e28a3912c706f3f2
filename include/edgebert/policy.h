/* SPDX-License-Identifier: MIT */
/*
 * libedgebert: early-exit prediction and the per-sentence DVFS policy.
 *
 * Layers are numbered from 1 (layer n is the n-th encoder layer; its
 * off-ramp entropy is H_n). Functions return 0 or a negative errno.
 * Everything up to "Logs and replay" is OS-free (runtime/core/policy.c)
 * and allocation-free: the caller owns every buffer. See docs/policy.md.
 */
#ifndef EDGEBERT_POLICY_H
#define EDGEBERT_POLICY_H

#include <stddef.h>
#include <stdint.h>

#define EB_POLICY_MAX_OPPS	32
#define EB_POLICY_MAX_LAYERS	64

/*
 * Exit LUT of the EdgeBERT reference: rows x cols floats, row-major. Column
 * 0 is an entropy at the prediction layer, column c >= 1 the expected
 * entropy c layers later.
 */
struct eb_exit_lut {
	const float *v;
	uint32_t rows;
	uint32_t cols;
};

/*
 * Prediction layer a LUT implies for a model of @layers layers: its columns
 * cover the prediction layer up to layer L-1 (p = L - cols), so 1 for the
 * SST-2 table (11 columns, 12 layers) and 3 for MNLI-style ones. 0 if the
 * table cannot be used with that many layers.
 */
uint32_t eb_lut_predict_layer(const struct eb_exit_lut *lut, uint32_t layers);

/*
 * Exit layer the LUT predicts when layer @at has entropy @h (>= threshold):
 * the row whose column 0 is nearest @h (first on ties), k = index of its
 * first later column below @threshold (the last index if none), exit at
 * at + 1 + k; a prediction beyond layer L-2 means "run to L" (the last two
 * layers are not checked). Applied at layers after the one the LUT was
 * fitted on, this assumes the entropy trajectory is shift-invariant.
 */
uint32_t eb_lut_predict(const struct eb_exit_lut *lut, float threshold,
			uint32_t layers, uint32_t at, float h);

/* Plain entropy exit: the first layer with H_n < threshold, else L. */
uint32_t eb_exit_plain(const float *entropy, uint32_t layers, float threshold);

/*
 * The EdgeBERT predictor, one layer at a time. Layers before the prediction
 * layer p exit on entropy; at p: exit if H_p < threshold, else predict the
 * forced exit F with eb_lut_predict(); at p < n <= L-2: exit if H_n <
 * threshold or n == F; layers L-1 and L are not checked.
 */
struct eb_predictor {
	const struct eb_exit_lut *lut;
	float threshold;
	uint32_t layers;	/* L */
	uint32_t p;		/* prediction layer */
	uint32_t forced;	/* F, 0 until predicted */
};

int eb_predictor_init(struct eb_predictor *pr, const struct eb_exit_lut *lut,
		      float threshold, uint32_t layers, uint32_t p);
/* 1 if the sentence exits after layer @n with entropy @h, else 0. */
int eb_predictor_step(struct eb_predictor *pr, uint32_t n, float h);
/* Whole sentence: the exit layer for @layers entropies. */
uint32_t eb_exit_predicted(const struct eb_predictor *cfg, const float *entropy);

/*
 * Modeled cost of one sentence's commands at every operating point, index 0
 * the slowest, opp_count - 1 the nominal point. Built from the device's
 * capabilities by eb_policy_table_build() (runtime/core/policy_cost.h).
 */
struct eb_policy_table {
	uint32_t opp_count;
	uint32_t layers;
	uint64_t embed_ns[EB_POLICY_MAX_OPPS], embed_pj[EB_POLICY_MAX_OPPS];
	uint64_t layer_ns[EB_POLICY_MAX_OPPS], layer_pj[EB_POLICY_MAX_OPPS];
	uint64_t ramp_ns[EB_POLICY_MAX_OPPS], ramp_pj[EB_POLICY_MAX_OPPS];
	uint64_t switch_ns[EB_POLICY_MAX_OPPS][EB_POLICY_MAX_OPPS];
	uint64_t switch_pj[EB_POLICY_MAX_OPPS][EB_POLICY_MAX_OPPS];
};

enum eb_policy_kind {
	/*
	 * The paper: layers 1..p at the start point (the nominal one), then the
	 * cheapest point that finishes the forced exit layer in time.
	 */
	EB_POLICY_PAPER,
	/*
	 * Same exits, but the point is re-chosen after every layer: the LUT is
	 * re-applied to the newest entropy, the layers up to the re-predicted
	 * exit are planned at the cheapest point that still lets the remaining
	 * layers up to the forced exit finish at the nominal point, and the
	 * start point is the cheapest one that costs no reachable layer.
	 */
	EB_POLICY_REPREDICT,
};

struct eb_policy_cfg {
	const struct eb_policy_table *table;
	const struct eb_exit_lut *lut;
	float threshold;
	uint32_t predict_layer;	/* p; 0 = from the LUT */
	enum eb_policy_kind kind;
	uint64_t target_ns;	/* latency budget, from the sentence's start */
};

/* Per-sentence state and, once done, its result. */
struct eb_policy_run {
	const struct eb_policy_cfg *cfg;
	struct eb_predictor pred;
	uint32_t layer;		/* layers run so far */
	uint32_t cap;		/* last layer that fits the target */
	uint32_t opp;		/* point in force (runs the next layer) */
	uint32_t opp_first;	/* point of layer p+1 (after the prediction) */
	uint32_t switches;
	uint64_t ns;		/* modeled latency so far */
	uint64_t pj;		/* modeled energy so far */
	int done;
	int capped;		/* the target forced an exit before the predictor's */
	int deadline_met;
};

/*
 * Start a sentence: -ERANGE if the target cannot be met even by exiting
 * after layer 1 at the nominal point (the run is then reported infeasible
 * and not started), -EINVAL on a bad configuration. On success the embedding
 * is charged and run->opp is the point for layer 1.
 */
int eb_policy_begin(struct eb_policy_run *run, const struct eb_policy_cfg *cfg);

/*
 * Layer run->layer + 1 ran at run->opp and its off-ramp gave entropy @h:
 * charges it, decides. Returns 1 when the sentence is done (run->layer is
 * the exit layer), 0 to run the next layer at run->opp, or -EINVAL.
 */
int eb_policy_step(struct eb_policy_run *run, float h);

/* A whole logged sentence: begin, then step through @entropy. */
int eb_policy_sentence(struct eb_policy_run *run, const struct eb_policy_cfg *cfg,
		       const float *entropy);

/*
 * Oracle: knows the exit layer in advance, runs everything at the single
 * cheapest point that meets the target. -ERANGE if none does.
 */
int eb_policy_oracle(const struct eb_policy_table *t, uint32_t exit_layer,
		     uint64_t target_ns, uint64_t *ns, uint64_t *pj, uint32_t *opp);

/*
 * Cost at one fixed point of a sentence that runs @layers layers, with
 * off-ramps after every layer (@ramps_every) or only after the last.
 */
void eb_policy_fixed(const struct eb_policy_table *t, uint32_t opp, uint32_t layers,
		     int ramps_every, uint64_t *ns, uint64_t *pj);

/* ---- Logs and replay (runtime/replay.c: stdio, malloc) ---- */

/* Per-layer entropies, one sentence per line, comma-separated. */
struct eb_entropy_log {
	float *v;		/* sentences x layers */
	uint32_t sentences;
	uint32_t layers;
};

/*
 * Parse files. On error, returns -EINVAL (malformed: @err holds
 * "PATH:LINE: reason"), -ENOMEM, or the -errno of opening/reading.
 */
int eb_entropy_log_load(const char *path, struct eb_entropy_log *log,
			char *err, size_t errlen);
void eb_entropy_log_free(struct eb_entropy_log *log);
int eb_lut_load(const char *path, struct eb_exit_lut *lut, char *err, size_t errlen);
void eb_lut_free(struct eb_exit_lut *lut);

/* Averages over a log (energies in pJ per sentence, latencies in ns). */
struct eb_replay_stats {
	uint32_t sentences;
	uint32_t infeasible;	/* target unreachable: not run, not counted below */
	uint32_t deadline_misses;
	uint32_t capped;
	uint32_t switches;
	double avg_exit_ee;		/* plain entropy exit */
	double avg_exit_predictor;	/* predictor, no deadline */
	double avg_exit_policy;		/* with the deadline cap */
	double energy_no_exit;		/* all layers, nominal point */
	double energy_unbounded;	/* plain entropy exit, nominal point */
	double energy_policy;
	double energy_oracle;		/* policy's exit layers, oracle point */
	double latency_policy_avg;
	double latency_policy_max;
	uint64_t target_ns;
};

/* Replay @log through cfg's policy; sentences that are infeasible are skipped. */
int eb_replay(const struct eb_entropy_log *log, const struct eb_policy_cfg *cfg,
	      struct eb_replay_stats *st);

#endif /* EDGEBERT_POLICY_H */
