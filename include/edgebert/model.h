/* SPDX-License-Identifier: MIT */
/*
 * libedgebert: EdgeBERT models (.ebm files, docs/model-format.md).
 *
 * A model is opened once (the file is mmapped and fully validated: CRCs,
 * bounds, shapes) and is then immutable: any number of threads and
 * contexts may use one model concurrently. All functions return 0 or a
 * negative errno; none keeps global state.
 */
#ifndef EDGEBERT_MODEL_H
#define EDGEBERT_MODEL_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct eb_model;

struct eb_model_info {
	uint32_t vocab_size;
	uint32_t max_position;		/* longest sequence, [CLS] and [SEP] included */
	uint32_t type_vocab_size;
	uint32_t embed_dim;		/* E */
	uint32_t hidden;		/* H */
	uint32_t heads;
	uint32_t ffn;
	uint32_t layers;
	uint32_t task_count;
};

struct eb_task_info {
	const char *name;		/* valid while the model is open */
	uint32_t labels;
	float threshold;		/* entropy threshold (nats) for early exit */
	uint32_t lut_rows, lut_cols;	/* exit LUT, 0 x 0 if none */
	uint32_t lut_layer;		/* its prediction layer (1-based) */
	const float *lut;		/* lut_rows x lut_cols, row-major */
};

/*
 * Open and validate a model file. On failure *model is NULL and, if err is
 * not NULL, err holds a message naming the problem (errlen bytes, always
 * NUL-terminated). Errors: -ENOENT etc. from open(2), -EINVAL (bad or
 * inconsistent content), -EPROTONOSUPPORT (format version), -EBADMSG (CRC),
 * -EOVERFLOW (truncated), -ENOMEM.
 */
int eb_model_open(const char *path, struct eb_model **model, char *err,
		  size_t errlen);

/* The same from a memory image (copied; buf may be freed afterwards). */
int eb_model_open_mem(const void *buf, size_t len, struct eb_model **model,
		      char *err, size_t errlen);

void eb_model_close(struct eb_model *model);

void eb_model_get_info(const struct eb_model *model, struct eb_model_info *info);

/* Task index by name, or -ENOENT. */
int eb_model_find_task(const struct eb_model *model, const char *name);

/* -EINVAL if task >= task_count. */
int eb_model_task_info(const struct eb_model *model, uint32_t task,
		       struct eb_task_info *info);

/*
 * Copy label `label` of a task as a NUL-terminated string into buf
 * (truncated to len - 1 bytes). Returns the name's length or -EINVAL.
 */
int eb_model_label(const struct eb_model *model, uint32_t task, uint32_t label,
		   char *buf, size_t len);

/*
 * The device's view: the shared embeddings section (the exact bytes to
 * program into eNVM) and a task's weight blob (the bytes a job DMA-reads).
 * Pointers stay valid while the model is open.
 */
int eb_model_envm_image(const struct eb_model *model, const void **buf,
			size_t *len);
int eb_model_task_blob(const struct eb_model *model, uint32_t task,
		       const void **buf, size_t *len);

#ifdef __cplusplus
}
#endif

#endif /* EDGEBERT_MODEL_H */
