/* SPDX-License-Identifier: MIT */
/*
 * Weight tensors as they lie in a model file or a device's weight buffer
 * (docs/model-format.md §6): f32, AF8 dense or AF8 + bitmask. Kernels read
 * them encoded and decode panels on the fly.
 */
#ifndef EB_CORE_TENSOR_H
#define EB_CORE_TENSOR_H

#include <stddef.h>
#include <stdint.h>

#include "msg.h"

enum eb_encoding {
	EB_ENC_F32 = 0,
	EB_ENC_AF8 = 1,
	EB_ENC_AF8_SPARSE = 2,
};

#define EB_TENSOR_HDR	16
#define EB_SPARSE_MAX_COLS	4096	/* rows are decoded on the stack */

/* A parsed view: points into the record, owns nothing. */
struct eb_tensor {
	uint32_t rows;
	uint32_t cols;
	uint8_t enc;
	uint8_t bias;			/* AF8 bias, 0..7 */
	uint32_t nnz;			/* AF8_SPARSE: stored values */
	uint64_t zeros;			/* elements equal to 0 (gated MACs) */
	const float *f32;		/* F32: rows * cols */
	const uint8_t *codes;		/* AF8: rows * cols; SPARSE: nnz */
	const uint32_t *row_ptr;	/* SPARSE: rows + 1 */
	const uint8_t *mask;		/* SPARSE: rows * cols bits */
};

/*
 * Validates the record at p (4-byte aligned, len bytes available) and fills
 * t; *used is the record size including its padding to 8 bytes.
 * 0 or -EINVAL / -EOVERFLOW (truncated), with a reason appended to m.
 */
int eb_tensor_parse(const uint8_t *p, size_t len, struct eb_tensor *t,
		    size_t *used, struct eb_msg *m);

/*
 * Encodes x (rows x cols, row-major) as a record; bias < 0 lets
 * eb_af8_choose_bias() pick it. Returns the record size (padded to 8);
 * writes it to out unless out is NULL. Elements that encode to zero are
 * not stored by AF8_SPARSE.
 */
size_t eb_tensor_encode(const float *x, uint32_t rows, uint32_t cols,
			enum eb_encoding enc, int bias, uint8_t *out);

/*
 * Decode row r into out[cols]; lut from eb_af8_lut(t->bias) (unused for
 * f32). Sparse rows are at most 4096 wide (the format's limit for every
 * matrix but the word embeddings, whose rows are embed_dim <= 1024).
 */
void eb_tensor_row(const struct eb_tensor *t, const float *lut, uint32_t r,
		   float *out);

/* Floats of workspace eb_linear() needs for a weight with k columns. */
size_t eb_linear_ws_floats(uint32_t k);

/*
 * y[t][n] = bias[n] + sum_k x[t][k] * w[n][k] for t < T (w is [out][in]),
 * bias may be NULL. Every y element is summed in k order from 0, so the
 * result does not depend on T, blocking or the machine's vector width.
 */
void eb_linear(const struct eb_tensor *w, const float *bias, const float *x,
	       size_t ldx, uint32_t T, float *y, size_t ldy, float *ws);

/*
 * eb_linear() for output features [n_begin, n_end) only, so threads can
 * share a matrix; each output gets the same bits as from eb_linear().
 */
void eb_linear_cols(const struct eb_tensor *w, const float *bias,
		    const float *x, size_t ldx, uint32_t T, float *y, size_t ldy,
		    float *ws, uint32_t n_begin, uint32_t n_end);

/* Column ranges that start here waste no panel lanes. */
#define EB_LINEAR_ALIGN	16

/* Part `part` of `parts` of [0, n), in whole blocks of align. */
void eb_split(uint32_t n, uint32_t part, uint32_t parts, uint32_t align,
	      uint32_t *begin, uint32_t *end);

#endif /* EB_CORE_TENSOR_H */
