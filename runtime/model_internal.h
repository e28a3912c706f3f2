/* SPDX-License-Identifier: MIT */
/* libedgebert internals shared by the backends: the parsed model. */
#ifndef EB_RUNTIME_MODEL_INTERNAL_H
#define EB_RUNTIME_MODEL_INTERNAL_H

#include "core/ebm.h"
#include "edgebert/model.h"

struct eb_model {
	void *image;			/* mmap or malloc'ed copy */
	size_t size;
	int mapped;
	struct eb_ebm ebm;
	struct eb_task_weights *tw;	/* [task_count] */
};

/* The parsed view, valid while the model is open. */
static inline const struct eb_ebm *eb_model_ebm(const struct eb_model *m)
{
	return &m->ebm;
}

#endif /* EB_RUNTIME_MODEL_INTERNAL_H */
