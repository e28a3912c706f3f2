/* SPDX-License-Identifier: MIT */
/*
 * The EdgeBERT cost model: hardware parameters, operating points, and the
 * cycles / time / energy of each graph command. OS-free: the runtime's DVFS
 * policy predicts with it and the QEMU device charges with it, so both agree.
 * The formulas are documented in docs/cost-model.md.
 */
#ifndef EB_CORE_COST_H
#define EB_CORE_COST_H

#include <stdint.h>

#include "../../include/edgebert/hw.h"

#define EB_MAX_HEADS	12

/* Alpha-power law of docs/device.md: threshold voltage, alpha = 3/2. */
#define EB_VTH_UV	300000u

/*
 * A clock-gated MAC (zero weight) still latches its operands and clocks the
 * tree up to the gate: it costs 1/EB_GATED_MAC_DIV of a MAC's energy.
 */
#define EB_GATED_MAC_DIV	8u

/* Vector-lane ops per element of each special function (docs/cost-model.md). */
#define EB_VOPS_SOFTMAX		3u	/* exp, accumulate, normalise */
#define EB_VOPS_LAYERNORM	4u	/* mean, variance, normalise, affine */
#define EB_VOPS_GELU		1u
#define EB_VOPS_TANH		1u
#define EB_VOPS_ADD		1u	/* residual / embedding sums */
#define EB_VOPS_ENTROPY		2u	/* log, multiply-accumulate */

/* Model dimensions (ALBERT). */
struct eb_dims {
	uint32_t vocab_size;
	uint32_t max_position;
	uint32_t type_vocab_size;
	uint32_t embed_dim;	/* E */
	uint32_t hidden;	/* H */
	uint32_t heads;
	uint32_t ffn;
	uint32_t layers;
};

/* Work of one command, counted from the model's dims (and sparsity). */
struct eb_work {
	uint64_t macs;		/* multiply-accumulates issued (set cycles) */
	uint64_t macs_gated;	/* of those, with a zero weight: clock-gated */
	uint64_t vector_ops;	/* softmax, layernorm, GELU, tanh, entropy lanes */
	uint64_t envm_bytes;	/* read from eNVM */
	uint64_t sram_bytes;	/* weights read from SRAM */
};

struct eb_cost {
	uint64_t cycles;
	uint64_t ns;
	uint64_t energy_pj;
};

/*
 * Work of the graph commands. span_keys[h] is how many keys each query of
 * head h attends to (its attention span, at most seq); 0 skips the head.
 * zero_weights counts the layer's zero weights (clock-gated MACs).
 */
void eb_work_embed(const struct eb_dims *d, uint32_t seq, uint64_t envm_bytes,
		   struct eb_work *w);
void eb_work_layer(const struct eb_dims *d, uint32_t seq, const uint32_t *span_keys,
		   uint64_t zero_weights, struct eb_work *w);
void eb_work_offramp(const struct eb_dims *d, uint32_t labels, struct eb_work *w);
void eb_work_add(struct eb_work *acc, const struct eb_work *w);

/* Cycles, time and energy of some work at operating point opp. */
void eb_cost_of(const struct eb_hw *hw, const struct eb_work *w, uint32_t opp,
		struct eb_cost *c);

/* Modeled time of a DVFS transition (LDO settle + ADPLL relock). */
uint64_t eb_transition_ns(const struct eb_hw *hw, uint32_t from, uint32_t to);

/*
 * Energy of a DVFS transition: leakage at the higher of the two voltages
 * over eb_transition_ns() (the stall is busy time; LDO/ADPLL draw neglected).
 */
uint64_t eb_transition_pj(const struct eb_hw *hw, uint32_t from, uint32_t to);

#endif /* EB_CORE_COST_H */
