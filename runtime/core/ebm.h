/* SPDX-License-Identifier: MIT */
/*
 * The .ebm model format (docs/model-format.md), parsed from memory: a whole
 * file (the runtime mmaps it) or one task's weight blob (the device DMA-reads
 * it). Parsers validate everything the kernels rely on, never read outside
 * the given buffer, and return 0 or -errno with the reason in err.
 */
#ifndef EB_CORE_EBM_H
#define EB_CORE_EBM_H

#include <stddef.h>
#include <stdint.h>

#include "cost.h"
#include "tensor.h"

#define EB_EBM_VERSION_MAJOR	1
#define EB_EBM_VERSION_MINOR	0
#define EB_EBM_ALIGN		64
#define EB_EBM_HDR		64
#define EB_EBM_ENTRY		32
#define EB_TW_HDR		64

#define EB_MAX_LAYERS		24
#define EB_MAX_TASKS		64
#define EB_MAX_LABELS		64
#define EB_MAX_SEQ		512
#define EB_TASK_NAME_MAX	32

enum eb_section {
	EB_SEC_CONFIG = 1,
	EB_SEC_VOCAB = 2,
	EB_SEC_EMBEDDINGS = 3,
	EB_SEC_TASK_META = 16,
	EB_SEC_TASK_WEIGHTS = 17,
};

/* An off-ramp: Linear(H,H) -> tanh -> Linear(H,labels) on [CLS]. */
struct eb_ramp_weights {
	struct eb_tensor pool_w, pool_b, cls_w, cls_b;
};

/* One task's weights, views into its TASK_WEIGHTS blob (§8). */
struct eb_task_weights {
	uint32_t labels;
	uint32_t span_max;		/* S_max */
	float span_ramp;		/* R */
	const float *span_z;		/* [heads] */
	/* embeddings besides the shared word table */
	struct eb_tensor pos_emb, type_emb, emb_ln_g, emb_ln_b, proj_w, proj_b;
	/* the shared ALBERT layer */
	struct eb_tensor q_w, q_b, k_w, k_b, v_w, v_b, o_w, o_b, ln1_g, ln1_b;
	struct eb_tensor ffn1_w, ffn1_b, ffn2_w, ffn2_b, ln2_g, ln2_b;
	struct eb_ramp_weights ramp[EB_MAX_LAYERS];
	uint64_t layer_zeros;		/* zero weights of the layer (gated MACs) */
};

/* Number of tensor records of a task blob, and their names and shapes. */
uint32_t eb_task_tensor_count(const struct eb_dims *d);
const char *eb_task_tensor_name(uint32_t idx);	/* "ramp.pool.w" for ramps */
void eb_task_tensor_shape(const struct eb_dims *d, uint32_t labels, uint32_t idx,
			  uint32_t *rows, uint32_t *cols);

/* Tensor idx (in the order above) of parsed task weights. */
const struct eb_tensor *eb_task_tensor(const struct eb_task_weights *tw, uint32_t idx);

/*
 * Parse a TASK_WEIGHTS blob (8-byte aligned). Its dims must equal d
 * (the device passes the dims it was configured with); labels is returned
 * in tw. The blob must stay mapped while tw is used.
 */
int eb_task_weights_parse(const void *blob, size_t len, const struct eb_dims *d,
			  struct eb_task_weights *tw, char *err, size_t errlen);

/* Parse the EMBEDDINGS section / eNVM image: a vocab x E tensor record. */
int eb_embeddings_parse(const void *buf, size_t len, const struct eb_dims *d,
			struct eb_tensor *word, char *err, size_t errlen);

struct eb_ebm_task {
	char name[EB_TASK_NAME_MAX];
	uint32_t labels;
	float threshold;
	uint32_t lut_rows, lut_cols, lut_layer;
	const float *lut;			/* rows x cols */
	const uint32_t *label_off;		/* labels + 1 */
	const char *label_str;
	const uint8_t *weights;			/* TASK_WEIGHTS blob */
	size_t weights_size;
};

struct eb_ebm {
	struct eb_dims dims;
	float ln_eps;
	uint32_t cls_id, sep_id, unk_id, pad_id, flags;
	uint32_t vocab_count;
	const uint32_t *vocab_off;		/* count + 1 */
	const char *vocab_str;
	const uint8_t *envm;			/* EMBEDDINGS section */
	size_t envm_size;
	struct eb_tensor word_emb;
	uint32_t task_count;
	struct eb_ebm_task task[EB_MAX_TASKS];
};

#define EB_EBM_FLAG_UNCASED	1u

/*
 * Parse and fully validate a model file image (64-byte aligned, e.g. an
 * mmap), including every CRC and every task blob.
 * -EINVAL, -EPROTONOSUPPORT, -EBADMSG (CRC), -EOVERFLOW (truncated).
 */
int eb_ebm_parse(const void *buf, size_t len, struct eb_ebm *m, char *err,
		 size_t errlen);

/* ---- writing (tests, tools, exporters) ---- */

struct eb_src_task {
	const char *name;
	uint32_t labels;
	const char *const *label_names;
	float threshold;
	uint32_t lut_rows, lut_cols, lut_layer;
	const float *lut;
	uint32_t span_max;
	float span_ramp;
	const float *span_z;
	/* f32 data of each tensor, in eb_task_tensor_name() order */
	const float *const *tensors;
	enum eb_encoding matrix_enc;		/* vectors are always f32 */
};

struct eb_src_model {
	struct eb_dims dims;
	float ln_eps;
	uint32_t cls_id, sep_id, unk_id, pad_id, flags;
	const char *const *vocab;		/* dims.vocab_size tokens */
	const float *word_emb;			/* vocab x E */
	enum eb_encoding word_enc;
	uint32_t task_count;
	const struct eb_src_task *tasks;
};

/* Encode a task blob; returns its size, writes it unless out is NULL. */
size_t eb_task_weights_encode(const struct eb_dims *d, const struct eb_src_task *t,
			      uint8_t *out);

/*
 * Write a whole .ebm image; returns its size and writes it if out is not
 * NULL (out must then hold that many bytes). The source is not validated:
 * parse the result to check it.
 */
size_t eb_ebm_write(const struct eb_src_model *m, uint8_t *out);

#endif /* EB_CORE_EBM_H */
