/* SPDX-License-Identifier: MIT */
/*
 * The EdgeBERT graph (docs/model-format.md §9) as three commands, the same
 * vocabulary as the device's: embed, encoder layer, off-ramp. They read
 * weights encoded as they lie in the model / the device's weight buffer,
 * work in a caller-provided workspace, and are deterministic: the CPU
 * backend and the QEMU device call exactly these and get identical bits.
 *
 * Activations x are seq x hidden floats, row-major.
 */
#ifndef EB_CORE_GRAPH_H
#define EB_CORE_GRAPH_H

#include <stddef.h>
#include <stdint.h>

#include "cost.h"
#include "ebm.h"
#include "tensor.h"

/* Floats of workspace the three commands need for up to seq tokens. */
size_t eb_graph_ws_floats(const struct eb_dims *d, uint32_t seq);

/*
 * Token ids (< vocab) and token types (< type_vocab; NULL = all 0) of
 * seq <= max_position tokens -> x. word is the shared embedding table
 * (eNVM image). -EINVAL on a bad id, type or seq.
 */
int eb_embed(const struct eb_dims *d, float ln_eps, const struct eb_tensor *word,
	     const struct eb_task_weights *tw, const uint32_t *ids,
	     const uint32_t *types, uint32_t seq, float *x, float *ws);

/* One application of the shared layer, in place on x. */
void eb_encoder_layer(const struct eb_dims *d, float ln_eps,
		      const struct eb_task_weights *tw, uint32_t seq, float *x,
		      float *ws);

/*
 * Optional fork-join, so a host can spread a layer over threads while the
 * core stays OS-free: run() calls fn(arg, p) once for every p < parts, in
 * any order or concurrently, and returns when all have returned. Part p
 * works in ws[p], eb_part_ws_floats() floats of its own. Every output is
 * computed whole by one part: the bits do not depend on parts.
 */
struct eb_par {
	uint32_t parts;
	void (*run)(void *ctx, void (*fn)(void *arg, uint32_t part), void *arg);
	void *ctx;
	float *const *ws;
};

size_t eb_part_ws_floats(const struct eb_dims *d, uint32_t seq);

/* eb_encoder_layer() in par->parts parts; ws as there. */
void eb_encoder_layer_par(const struct eb_dims *d, float ln_eps,
			  const struct eb_task_weights *tw, uint32_t seq,
			  float *x, float *ws, const struct eb_par *par);

/*
 * Off-ramp after layer `layer` (0-based) on the [CLS] row x[0..hidden):
 * logits[labels] and the entropy (nats) of their softmax.
 */
void eb_offramp(const struct eb_dims *d, const struct eb_task_weights *tw,
		uint32_t layer, const float *x, float *logits, float *entropy,
		float *ws);

/* Softmax entropy -sum p ln p of n logits, in double. */
float eb_entropy(const float *logits, uint32_t n);

/*
 * Keys a query of each head attends to (for the cost model: span_keys of
 * eb_work_layer()), 0 for skipped heads. heads entries.
 */
void eb_span_keys(const struct eb_dims *d, const struct eb_task_weights *tw,
		  uint32_t seq, uint32_t *keys);

#endif /* EB_CORE_GRAPH_H */
