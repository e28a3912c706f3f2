// SPDX-License-Identifier: MIT
/*
 * Opening .ebm files: mmap (read-only, shared page cache between
 * processes), validate everything once with the core parser, keep the
 * parsed task weights.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "model_internal.h"

static void set_err(char *err, size_t errlen, const char *what, int ret)
{
	if (err && errlen)
		snprintf(err, errlen, "%s: %s", what, strerror(-ret));
}

/* Parse m->image; on failure the caller frees m. */
static int model_parse(struct eb_model *m, char *err, size_t errlen)
{
	uint32_t i;
	int ret;

	ret = eb_ebm_parse(m->image, m->size, &m->ebm, err, errlen);
	if (ret)
		return ret;
	m->tw = calloc(m->ebm.task_count, sizeof(*m->tw));
	if (!m->tw) {
		set_err(err, errlen, "task weights", -ENOMEM);
		return -ENOMEM;
	}
	for (i = 0; i < m->ebm.task_count; i++) {
		ret = eb_task_weights_parse(m->ebm.task[i].weights,
					    m->ebm.task[i].weights_size,
					    &m->ebm.dims, &m->tw[i], err, errlen);
		if (ret)
			return ret;
	}
	return 0;
}

int eb_model_open(const char *path, struct eb_model **model, char *err,
		  size_t errlen)
{
	struct eb_model *m;
	struct stat st;
	int fd, ret;

	*model = NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		set_err(err, errlen, path, ret);
		return ret;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		ret = fstat(fd, &st) < 0 ? -errno : S_ISDIR(st.st_mode) ? -EISDIR : -EINVAL;
		set_err(err, errlen, path, ret);
		close(fd);
		return ret;
	}
	m = calloc(1, sizeof(*m));
	if (!m) {
		close(fd);
		set_err(err, errlen, path, -ENOMEM);
		return -ENOMEM;
	}
	m->size = (size_t)st.st_size;
	if (m->size) {
		m->image = mmap(NULL, m->size, PROT_READ, MAP_SHARED, fd, 0);
		if (m->image == MAP_FAILED) {
			ret = -errno;
			close(fd);
			free(m);
			set_err(err, errlen, path, ret);
			return ret;
		}
		m->mapped = 1;
	}
	close(fd);
	ret = model_parse(m, err, errlen);
	if (ret) {
		eb_model_close(m);
		return ret;
	}
	*model = m;
	return 0;
}

int eb_model_open_mem(const void *buf, size_t len, struct eb_model **model,
		      char *err, size_t errlen)
{
	struct eb_model *m;
	int ret;

	*model = NULL;
	m = calloc(1, sizeof(*m));
	/* 64-byte alignment: sections are used in place */
	if (!m || (len && posix_memalign(&m->image, 64, len))) {
		free(m);
		set_err(err, errlen, "model", -ENOMEM);
		return -ENOMEM;
	}
	if (len)
		memcpy(m->image, buf, len);
	m->size = len;
	ret = model_parse(m, err, errlen);
	if (ret) {
		eb_model_close(m);
		return ret;
	}
	*model = m;
	return 0;
}

void eb_model_close(struct eb_model *m)
{
	if (!m)
		return;
	if (m->mapped)
		munmap(m->image, m->size);
	else
		free(m->image);
	free(m->tw);
	free(m);
}

void eb_model_get_info(const struct eb_model *m, struct eb_model_info *info)
{
	const struct eb_dims *d = &m->ebm.dims;

	*info = (struct eb_model_info){
		.vocab_size = d->vocab_size,
		.max_position = d->max_position,
		.type_vocab_size = d->type_vocab_size,
		.embed_dim = d->embed_dim,
		.hidden = d->hidden,
		.heads = d->heads,
		.ffn = d->ffn,
		.layers = d->layers,
		.task_count = m->ebm.task_count,
	};
}

int eb_model_find_task(const struct eb_model *m, const char *name)
{
	uint32_t i;

	for (i = 0; i < m->ebm.task_count; i++)
		if (!strcmp(m->ebm.task[i].name, name))
			return (int)i;
	return -ENOENT;
}

int eb_model_task_info(const struct eb_model *m, uint32_t task,
		       struct eb_task_info *info)
{
	const struct eb_ebm_task *t;

	if (task >= m->ebm.task_count)
		return -EINVAL;
	t = &m->ebm.task[task];
	*info = (struct eb_task_info){
		.name = t->name,
		.labels = t->labels,
		.threshold = t->threshold,
		.lut_rows = t->lut_rows,
		.lut_cols = t->lut_cols,
		.lut_layer = t->lut_layer,
		.lut = t->lut_rows ? t->lut : NULL,
	};
	return 0;
}

int eb_model_label(const struct eb_model *m, uint32_t task, uint32_t label,
		   char *buf, size_t len)
{
	const struct eb_ebm_task *t;
	size_t n, copy;

	if (task >= m->ebm.task_count || label >= m->ebm.task[task].labels)
		return -EINVAL;
	t = &m->ebm.task[task];
	n = t->label_off[label + 1] - t->label_off[label];
	if (buf && len) {
		copy = n < len - 1 ? n : len - 1;
		memcpy(buf, t->label_str + t->label_off[label], copy);
		buf[copy] = '\0';
	}
	return (int)n;
}

int eb_model_envm_image(const struct eb_model *m, const void **buf, size_t *len)
{
	*buf = m->ebm.envm;
	*len = m->ebm.envm_size;
	return 0;
}

int eb_model_task_blob(const struct eb_model *m, uint32_t task, const void **buf,
		       size_t *len)
{
	if (task >= m->ebm.task_count)
		return -EINVAL;
	*buf = m->ebm.task[task].weights;
	*len = m->ebm.task[task].weights_size;
	return 0;
}
