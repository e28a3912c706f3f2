/* SPDX-License-Identifier: MIT */
/*
 * libedgebert: the CPU backend. It runs the EdgeBERT graph on the host
 * with the same compute core as the emulated device (bit-identical
 * results) and reports the device's modeled cycles, time and energy.
 *
 * A context owns its workspace: use one per thread. The model it was made
 * from must stay open while the context lives. Functions return 0 or a
 * negative errno.
 */
#ifndef EDGEBERT_CPU_H
#define EDGEBERT_CPU_H

#include <stdint.h>

#include "hw.h"
#include "model.h"

#ifdef __cplusplus
extern "C" {
#endif

#define EB_RESULT_MAX_LABELS	64
#define EB_RESULT_MAX_LAYERS	24

struct eb_cpu;

/* Modeled device cost (runtime/core/cost.h at an operating point). */
struct eb_cpu_cost {
	uint64_t cycles;
	uint64_t ns;
	uint64_t energy_pj;
};

/* One layer: its off-ramp's output. */
struct eb_cpu_step {
	uint32_t layer;				/* 1-based */
	float entropy;				/* nats */
	float logits[EB_RESULT_MAX_LABELS];
	struct eb_cpu_cost cost;		/* of this layer and its off-ramp */
};

struct eb_cpu_opts {
	uint32_t task;
	float threshold;	/* exit when entropy < threshold; < 0: the task's */
	uint32_t max_layers;	/* forced exit after this layer; 0: all layers */
	uint32_t opp;		/* operating point index for the cost model */
};

struct eb_cpu_result {
	uint32_t labels;
	uint32_t exit_layer;			/* 1-based */
	uint32_t prediction;			/* argmax of logits */
	float logits[EB_RESULT_MAX_LABELS];	/* at the exit layer */
	float entropy[EB_RESULT_MAX_LAYERS];	/* per layer run */
	struct eb_cpu_cost cost;		/* embed + layers + off-ramps */
};

/* -ENOMEM. The context can run sentences of up to max_position tokens. */
int eb_cpu_new(const struct eb_model *model, struct eb_cpu **ctx);
void eb_cpu_free(struct eb_cpu *ctx);

/*
 * Threads a context spreads each layer over: n, or the online CPUs for 0
 * (the default), at most EB_CPU_MAX_THREADS. Results are bit-identical for
 * every count. -ENOMEM / -EAGAIN if threads cannot be made (the context
 * then runs on 1).
 */
/*
 * The hardware whose cycles, time and energy the context reports (the
 * default: eb_hw_default()), e.g. a device's, to predict what it would
 * report. -EINVAL if eb_hw_validate() rejects it.
 */
int eb_cpu_set_hw(struct eb_cpu *ctx, const struct eb_hw *hw);

#define EB_CPU_MAX_THREADS	64
int eb_cpu_set_threads(struct eb_cpu *ctx, unsigned int n);
unsigned int eb_cpu_threads(const struct eb_cpu *ctx);

/*
 * Run one sentence: token ids (e.g. from eb_tokenize(), [CLS] first),
 * token types (NULL: all 0), n tokens. -EINVAL for a bad task, id, type,
 * length or operating point.
 */
int eb_cpu_run(struct eb_cpu *ctx, const uint32_t *ids, const uint32_t *types,
	       uint32_t n, const struct eb_cpu_opts *opts,
	       struct eb_cpu_result *res);

/*
 * Layer-by-layer control (for DVFS policies): begin embeds the sentence
 * (cost at opp into *cost), then each step runs the next layer and its
 * off-ramp at operating point opp. -ERANGE after the last layer.
 */
int eb_cpu_begin(struct eb_cpu *ctx, uint32_t task, const uint32_t *ids,
		 const uint32_t *types, uint32_t n, uint32_t opp,
		 struct eb_cpu_cost *cost);
int eb_cpu_step(struct eb_cpu *ctx, uint32_t opp, struct eb_cpu_step *step);

#ifdef __cplusplus
}
#endif

#endif /* EDGEBERT_CPU_H */
