// SPDX-License-Identifier: MIT
/*
 * .ebm parsing and writing (docs/model-format.md). Every length is checked
 * against what is left of the buffer before it is used, in 64-bit
 * arithmetic, so no field value can make the parser read out of bounds.
 */
#include <errno.h>
#include <math.h>
#include <string.h>

#include "af8.h"
#include "ebm.h"
#include "le.h"

static const uint8_t ebm_magic[8] = { 'E', 'B', 'M', 'F', '\r', '\n', 0x1a, '\n' };

/* ---- the task blob's tensor table (§8) ---- */

#define TASK_FIXED	22	/* records before the off-ramps */
#define RAMP_TENSORS	4

static const char *const fixed_names[TASK_FIXED] = {
	"pos_emb", "type_emb", "emb_ln.g", "emb_ln.b", "emb_proj.w", "emb_proj.b",
	"q.w", "q.b", "k.w", "k.b", "v.w", "v.b", "o.w", "o.b", "ln1.g", "ln1.b",
	"ffn1.w", "ffn1.b", "ffn2.w", "ffn2.b", "ln2.g", "ln2.b",
};

static const char *const ramp_names[RAMP_TENSORS] = {
	"ramp.pool.w", "ramp.pool.b", "ramp.cls.w", "ramp.cls.b",
};

static const size_t fixed_slot[TASK_FIXED] = {
	offsetof(struct eb_task_weights, pos_emb),
	offsetof(struct eb_task_weights, type_emb),
	offsetof(struct eb_task_weights, emb_ln_g),
	offsetof(struct eb_task_weights, emb_ln_b),
	offsetof(struct eb_task_weights, proj_w),
	offsetof(struct eb_task_weights, proj_b),
	offsetof(struct eb_task_weights, q_w),
	offsetof(struct eb_task_weights, q_b),
	offsetof(struct eb_task_weights, k_w),
	offsetof(struct eb_task_weights, k_b),
	offsetof(struct eb_task_weights, v_w),
	offsetof(struct eb_task_weights, v_b),
	offsetof(struct eb_task_weights, o_w),
	offsetof(struct eb_task_weights, o_b),
	offsetof(struct eb_task_weights, ln1_g),
	offsetof(struct eb_task_weights, ln1_b),
	offsetof(struct eb_task_weights, ffn1_w),
	offsetof(struct eb_task_weights, ffn1_b),
	offsetof(struct eb_task_weights, ffn2_w),
	offsetof(struct eb_task_weights, ffn2_b),
	offsetof(struct eb_task_weights, ln2_g),
	offsetof(struct eb_task_weights, ln2_b),
};

uint32_t eb_task_tensor_count(const struct eb_dims *d)
{
	return TASK_FIXED + RAMP_TENSORS * d->layers;
}

const char *eb_task_tensor_name(uint32_t idx)
{
	if (idx < TASK_FIXED)
		return fixed_names[idx];
	return ramp_names[(idx - TASK_FIXED) % RAMP_TENSORS];
}

void eb_task_tensor_shape(const struct eb_dims *d, uint32_t labels, uint32_t idx,
			  uint32_t *rows, uint32_t *cols)
{
	const uint32_t E = d->embed_dim, H = d->hidden, F = d->ffn;
	/* rows, cols of the fixed records; 0 rows means "1 x cols" vectors */
	static const uint8_t fixed_dims[TASK_FIXED][2] = {
		/* 'P' max_position, 'T' type_vocab, 'E', 'H', 'F', '1' */
		{ 'P', 'E' }, { 'T', 'E' }, { '1', 'E' }, { '1', 'E' },
		{ 'H', 'E' }, { '1', 'H' },
		{ 'H', 'H' }, { '1', 'H' }, { 'H', 'H' }, { '1', 'H' },
		{ 'H', 'H' }, { '1', 'H' }, { 'H', 'H' }, { '1', 'H' },
		{ '1', 'H' }, { '1', 'H' },
		{ 'F', 'H' }, { '1', 'F' }, { 'H', 'F' }, { '1', 'H' },
		{ '1', 'H' }, { '1', 'H' },
	};
	uint32_t v[2], i;

	if (idx >= TASK_FIXED) {
		switch ((idx - TASK_FIXED) % RAMP_TENSORS) {
		case 0: *rows = H; *cols = H; return;
		case 1: *rows = 1; *cols = H; return;
		case 2: *rows = labels; *cols = H; return;
		default: *rows = 1; *cols = labels; return;
		}
	}
	for (i = 0; i < 2; i++) {
		switch (fixed_dims[idx][i]) {
		case 'P': v[i] = d->max_position; break;
		case 'T': v[i] = d->type_vocab_size; break;
		case 'E': v[i] = E; break;
		case 'H': v[i] = H; break;
		case 'F': v[i] = F; break;
		default: v[i] = 1; break;
		}
	}
	*rows = v[0];
	*cols = v[1];
}

static struct eb_tensor *task_slot(struct eb_task_weights *tw, uint32_t idx)
{
	uint32_t r = idx - TASK_FIXED;

	if (idx < TASK_FIXED)
		return (struct eb_tensor *)((char *)tw + fixed_slot[idx]);
	switch (r % RAMP_TENSORS) {
	case 0: return &tw->ramp[r / RAMP_TENSORS].pool_w;
	case 1: return &tw->ramp[r / RAMP_TENSORS].pool_b;
	case 2: return &tw->ramp[r / RAMP_TENSORS].cls_w;
	default: return &tw->ramp[r / RAMP_TENSORS].cls_b;
	}
}

const struct eb_tensor *eb_task_tensor(const struct eb_task_weights *tw, uint32_t idx)
{
	return task_slot((struct eb_task_weights *)tw, idx);
}

/* ---- validation helpers ---- */

static int check_dims(const struct eb_dims *d, struct eb_msg *m)
{
	if (d->vocab_size < 5 || d->vocab_size > 1000000)
		return eb_msg_fail(m, -EINVAL, "vocab_size out of range");
	if (!d->max_position || d->max_position > EB_MAX_SEQ)
		return eb_msg_fail(m, -EINVAL, "max_position out of range");
	if (!d->type_vocab_size || d->type_vocab_size > 16)
		return eb_msg_fail(m, -EINVAL, "type_vocab_size out of range");
	if (!d->embed_dim || d->embed_dim > 1024 || !d->hidden || d->hidden > 1024 ||
	    !d->ffn || d->ffn > 4096)
		return eb_msg_fail(m, -EINVAL, "embed_dim, hidden or ffn out of range");
	if (!d->heads || d->heads > EB_MAX_HEADS || d->hidden % d->heads)
		return eb_msg_fail(m, -EINVAL, "heads out of range or not dividing hidden");
	if (!d->layers || d->layers > EB_MAX_LAYERS)
		return eb_msg_fail(m, -EINVAL, "layers out of range");
	return 0;
}

static int check_reserved(const uint8_t *p, size_t n, struct eb_msg *m)
{
	while (n--)
		if (*p++)
			return eb_msg_fail(m, -EINVAL, "reserved field not zero");
	return 0;
}

/* A string table: u32 off[n + 1] then the bytes; *end is its end. */
static int check_strings(const uint8_t *p, size_t len, uint32_t n, size_t maxlen,
			 size_t *end, struct eb_msg *m)
{
	uint64_t table = 4 * ((uint64_t)n + 1);
	uint32_t i, a, b;

	if (table > len)
		return eb_msg_fail(m, -EOVERFLOW, "string table truncated");
	if (eb_get32(p) != 0)
		return eb_msg_fail(m, -EINVAL, "string table does not start at 0");
	for (i = 0; i < n; i++) {
		a = eb_get32(p + 4 * i);
		b = eb_get32(p + 4 * i + 4);
		if (b < a || b - a > maxlen)
			return eb_msg_fail(m, -EINVAL, "string offsets not increasing or too long");
	}
	if (eb_get32(p + 4 * (uint64_t)n) > len - table)
		return eb_msg_fail(m, -EOVERFLOW, "string bytes truncated");
	*end = table + eb_get32(p + 4 * (uint64_t)n);
	return 0;
}

/* ---- task blobs and embeddings ---- */

static int task_weights_parse(const uint8_t *p, size_t len, const struct eb_dims *d,
			      struct eb_task_weights *tw, struct eb_msg *m)
{
	uint32_t i, n, rows, cols, hdr_dims[7];
	const uint32_t want_dims[7] = { d->embed_dim, d->hidden, d->heads, d->ffn,
					d->layers, d->max_position, d->type_vocab_size };
	struct eb_tensor *t;
	size_t off, used, mark;
	int ret;

	memset(tw, 0, sizeof(*tw));
	eb_msg_str(m, "task weights: ");
	ret = check_dims(d, m);
	if (ret)
		return ret;
	if ((uintptr_t)p & 7)
		return eb_msg_fail(m, -EINVAL, "blob not 8-byte aligned");
	if (len < EB_TW_HDR)
		return eb_msg_fail(m, -EOVERFLOW, "header truncated");
	if (memcmp(p, "EBTW", 4))
		return eb_msg_fail(m, -EINVAL, "bad magic");
	if (eb_get32(p + 4) != 1)
		return eb_msg_fail(m, -EPROTONOSUPPORT, "unknown blob version");
	for (i = 0; i < 7; i++)
		hdr_dims[i] = eb_get32(p + 8 + 4 * i);
	if (memcmp(hdr_dims, want_dims, sizeof(hdr_dims)))
		return eb_msg_fail(m, -EINVAL, "dims differ from the model's");
	tw->labels = eb_get32(p + 36);
	tw->span_max = eb_get32(p + 40);
	tw->span_ramp = eb_getf(p + 44);
	n = eb_get32(p + 48);
	if (!tw->labels || tw->labels > EB_MAX_LABELS)
		return eb_msg_fail(m, -EINVAL, "labels out of range");
	if (!tw->span_max || tw->span_max > EB_MAX_SEQ ||
	    !(tw->span_ramp > 0.0f) || isinf(tw->span_ramp))
		return eb_msg_fail(m, -EINVAL, "span_max or span_ramp out of range");
	if (n != eb_task_tensor_count(d))
		return eb_msg_fail(m, -EINVAL, "tensor_count does not match layers");
	ret = check_reserved(p + 52, 12, m);
	if (ret)
		return ret;
	off = EB_TW_HDR + eb_align(4 * (uint64_t)d->heads, 8);
	if (off > len)
		return eb_msg_fail(m, -EOVERFLOW, "span_z truncated");
	tw->span_z = (const float *)(p + EB_TW_HDR);
	for (i = 0; i < d->heads; i++)
		if (!(tw->span_z[i] >= 0.0f && tw->span_z[i] <= 1.0f))
			return eb_msg_fail(m, -EINVAL, "span_z outside 0..1");

	for (i = 0; i < n; i++) {
		t = task_slot(tw, i);
		mark = m->len;
		eb_msg_str(m, "tensor ");
		eb_msg_u64(m, i);
		eb_msg_str(m, " (");
		eb_msg_str(m, eb_task_tensor_name(i));
		eb_msg_str(m, "): ");
		ret = eb_tensor_parse(p + off, len - off, t, &used, m);
		if (ret)
			return ret;
		eb_task_tensor_shape(d, tw->labels, i, &rows, &cols);
		if (t->rows != rows || t->cols != cols) {
			eb_msg_str(m, "shape ");
			eb_msg_u64(m, t->rows);
			eb_msg_str(m, "x");
			eb_msg_u64(m, t->cols);
			eb_msg_str(m, ", expected ");
			eb_msg_u64(m, rows);
			eb_msg_str(m, "x");
			eb_msg_u64(m, cols);
			return -EINVAL;
		}
		if (rows == 1 && t->enc != EB_ENC_F32)
			return eb_msg_fail(m, -EINVAL, "vectors must be f32");
		eb_msg_cut(m, mark);
		off += used;
	}
	if (off != len)
		return eb_msg_fail(m, -EINVAL, "trailing bytes after the last tensor");
	tw->layer_zeros = tw->q_w.zeros + tw->k_w.zeros + tw->v_w.zeros +
			  tw->o_w.zeros + tw->ffn1_w.zeros + tw->ffn2_w.zeros;
	return 0;
}

int eb_task_weights_parse(const void *blob, size_t len, const struct eb_dims *d,
			  struct eb_task_weights *tw, char *err, size_t errlen)
{
	struct eb_msg m = eb_msg_init(err, errlen);

	return task_weights_parse(blob, len, d, tw, &m);
}

static int embeddings_parse(const uint8_t *p, size_t len, const struct eb_dims *d,
			    struct eb_tensor *word, struct eb_msg *m)
{
	size_t used;
	int ret;

	ret = eb_tensor_parse(p, len, word, &used, m);
	if (ret)
		return ret;
	if (word->rows != d->vocab_size || word->cols != d->embed_dim)
		return eb_msg_fail(m, -EINVAL, "shape is not vocab_size x embed_dim");
	if (used != len)
		return eb_msg_fail(m, -EINVAL, "trailing bytes after the tensor");
	return 0;
}

int eb_embeddings_parse(const void *buf, size_t len, const struct eb_dims *d,
			struct eb_tensor *word, char *err, size_t errlen)
{
	struct eb_msg m = eb_msg_init(err, errlen);

	eb_msg_str(&m, "embeddings: ");
	return embeddings_parse(buf, len, d, word, &m);
}

/* ---- whole files ---- */

static const char *section_name(uint32_t type)
{
	switch (type) {
	case EB_SEC_CONFIG: return "CONFIG";
	case EB_SEC_VOCAB: return "VOCAB";
	case EB_SEC_EMBEDDINGS: return "EMBEDDINGS";
	case EB_SEC_TASK_META: return "TASK_META";
	case EB_SEC_TASK_WEIGHTS: return "TASK_WEIGHTS";
	default: return "unknown";
	}
}

static int parse_config(const uint8_t *p, size_t len, struct eb_ebm *e,
			struct eb_msg *m)
{
	struct eb_dims *d = &e->dims;
	int ret;

	if (len != 64)
		return eb_msg_fail(m, -EINVAL, "size is not 64");
	d->vocab_size = eb_get32(p);
	d->max_position = eb_get32(p + 4);
	d->type_vocab_size = eb_get32(p + 8);
	d->embed_dim = eb_get32(p + 12);
	d->hidden = eb_get32(p + 16);
	d->heads = eb_get32(p + 20);
	d->ffn = eb_get32(p + 24);
	d->layers = eb_get32(p + 28);
	e->task_count = eb_get32(p + 32);
	e->ln_eps = eb_getf(p + 36);
	e->cls_id = eb_get32(p + 40);
	e->sep_id = eb_get32(p + 44);
	e->unk_id = eb_get32(p + 48);
	e->pad_id = eb_get32(p + 52);
	e->flags = eb_get32(p + 56);
	ret = check_dims(d, m);
	if (ret)
		return ret;
	if (!e->task_count || e->task_count > EB_MAX_TASKS)
		return eb_msg_fail(m, -EINVAL, "task_count out of range");
	if (!(e->ln_eps > 0.0f) || isinf(e->ln_eps))
		return eb_msg_fail(m, -EINVAL, "layer_norm_eps not positive");
	if (e->cls_id >= d->vocab_size || e->sep_id >= d->vocab_size ||
	    e->unk_id >= d->vocab_size || e->pad_id >= d->vocab_size)
		return eb_msg_fail(m, -EINVAL, "special token id outside the vocab");
	if (e->flags & ~EB_EBM_FLAG_UNCASED)
		return eb_msg_fail(m, -EINVAL, "unknown flags");
	return check_reserved(p + 60, 4, m);
}

static int parse_vocab(const uint8_t *p, size_t len, struct eb_ebm *e,
		       struct eb_msg *m)
{
	size_t end;
	uint32_t i;
	int ret;

	if (len < 4)
		return eb_msg_fail(m, -EOVERFLOW, "truncated");
	e->vocab_count = eb_get32(p);
	if (e->vocab_count != e->dims.vocab_size)
		return eb_msg_fail(m, -EINVAL, "count differs from CONFIG vocab_size");
	ret = check_strings(p + 4, len - 4, e->vocab_count, 200, &end, m);
	if (ret)
		return ret;
	if (end != len - 4)
		return eb_msg_fail(m, -EINVAL, "trailing bytes");
	e->vocab_off = (const uint32_t *)(p + 4);
	e->vocab_str = (const char *)(p + 4 + 4 * ((size_t)e->vocab_count + 1));
	for (i = 0; i < e->vocab_count; i++)
		if (e->vocab_off[i + 1] == e->vocab_off[i])
			return eb_msg_fail(m, -EINVAL, "empty token");
	return 0;
}

static int parse_task_meta(const uint8_t *p, size_t len, struct eb_ebm_task *t,
			   struct eb_msg *m)
{
	uint64_t lut_bytes;
	size_t end;
	int ret;

	if (len < 64)
		return eb_msg_fail(m, -EOVERFLOW, "truncated");
	if (!memchr(p, 0, EB_TASK_NAME_MAX) || !p[0])
		return eb_msg_fail(m, -EINVAL, "name empty or not NUL-terminated");
	memcpy(t->name, p, EB_TASK_NAME_MAX);
	t->labels = eb_get32(p + 32);
	t->threshold = eb_getf(p + 36);
	t->lut_rows = eb_get32(p + 40);
	t->lut_cols = eb_get32(p + 44);
	t->lut_layer = eb_get32(p + 48);
	if (!t->labels || t->labels > EB_MAX_LABELS)
		return eb_msg_fail(m, -EINVAL, "labels out of range");
	if (!(t->threshold >= 0.0f) || isinf(t->threshold))
		return eb_msg_fail(m, -EINVAL, "entropy threshold not >= 0");
	if (t->lut_rows > 4096 || (t->lut_rows && (t->lut_cols < 2 || t->lut_cols > 64)) ||
	    (!t->lut_rows && (t->lut_cols || t->lut_layer)))
		return eb_msg_fail(m, -EINVAL, "exit LUT size out of range");
	ret = check_reserved(p + 52, 12, m);
	if (ret)
		return ret;
	ret = check_strings(p + 64, len - 64, t->labels, 64, &end, m);
	if (ret)
		return ret;
	t->label_off = (const uint32_t *)(p + 64);
	t->label_str = (const char *)(p + 64 + 4 * ((size_t)t->labels + 1));
	end = 64 + eb_align(end, 4);
	lut_bytes = 4 * (uint64_t)t->lut_rows * t->lut_cols;
	if (end > len || len - end != lut_bytes)
		return eb_msg_fail(m, -EINVAL, "size does not match labels and LUT");
	t->lut = (const float *)(p + end);
	return 0;
}

static void msg_section(struct eb_msg *m, uint32_t i, uint32_t type, uint32_t task)
{
	eb_msg_str(m, "section ");
	eb_msg_u64(m, i);
	eb_msg_str(m, " (");
	eb_msg_str(m, section_name(type));
	if (type >= EB_SEC_TASK_META) {
		eb_msg_str(m, ", task ");
		eb_msg_u64(m, task);
	}
	eb_msg_str(m, "): ");
}

int eb_ebm_parse(const void *buf, size_t len, struct eb_ebm *e, char *err,
		 size_t errlen)
{
	struct eb_msg m = eb_msg_init(err, errlen);
	const uint8_t *p = buf, *ent, *sec;
	uint32_t n, i, type, task, seen_cfg = 0;
	uint64_t fsize, off, size, prev_end;
	uint64_t seen_meta = 0, seen_w = 0, all;
	struct eb_task_weights tw;
	size_t elen;
	int ret;

	memset(e, 0, sizeof(*e));
	if ((uintptr_t)p & 7)
		return eb_msg_fail(&m, -EINVAL, "image not 8-byte aligned");
	if (len < EB_EBM_HDR)
		return eb_msg_fail(&m, -EOVERFLOW, "file header truncated");
	if (memcmp(p, ebm_magic, sizeof(ebm_magic)))
		return eb_msg_fail(&m, -EINVAL, "not an .ebm file (bad magic)");
	if (eb_crc32(0, p, 60) != eb_get32(p + 60))
		return eb_msg_fail(&m, -EBADMSG, "file header CRC mismatch");
	if (eb_get16(p + 8) != EB_EBM_VERSION_MAJOR) {
		eb_msg_str(&m, "unsupported format version ");
		eb_msg_u64(&m, eb_get16(p + 8));
		eb_msg_str(&m, ".");
		eb_msg_u64(&m, eb_get16(p + 10));
		return -EPROTONOSUPPORT;
	}
	n = eb_get32(p + 16);
	fsize = eb_get64(p + 24);
	if (eb_get32(p + 12) != EB_EBM_HDR || eb_get32(p + 20))
		return eb_msg_fail(&m, -EINVAL, "bad header_size or flags");
	ret = check_reserved(p + 36, 24, &m);
	if (ret)
		return ret;
	if (fsize > len) {
		eb_msg_str(&m, "truncated: header says ");
		eb_msg_u64(&m, fsize);
		eb_msg_str(&m, " bytes, have ");
		eb_msg_u64(&m, len);
		return -EOVERFLOW;
	}
	if (fsize < len)
		return eb_msg_fail(&m, -EINVAL, "trailing bytes after file_size");
	if (!n || n > 1024)
		return eb_msg_fail(&m, -EINVAL, "section_count out of range");
	if (EB_EBM_HDR + (uint64_t)n * EB_EBM_ENTRY > len)
		return eb_msg_fail(&m, -EOVERFLOW, "section table truncated");
	if (eb_crc32(0, p + EB_EBM_HDR, (size_t)n * EB_EBM_ENTRY) != eb_get32(p + 32))
		return eb_msg_fail(&m, -EBADMSG, "section table CRC mismatch");

	/* Bounds, order and CRCs of all sections; CONFIG first of the rest. */
	prev_end = EB_EBM_HDR + (uint64_t)n * EB_EBM_ENTRY;
	for (i = 0; i < n; i++) {
		ent = p + EB_EBM_HDR + (size_t)i * EB_EBM_ENTRY;
		type = eb_get32(ent);
		task = eb_get32(ent + 4);
		off = eb_get64(ent + 8);
		size = eb_get64(ent + 16);
		msg_section(&m, i, type, task);
		if (off % EB_EBM_ALIGN || off < prev_end || eb_get32(ent + 28))
			return eb_msg_fail(&m, -EINVAL, "misaligned, overlapping or out of order");
		if (off > len || size > len - off)
			return eb_msg_fail(&m, -EOVERFLOW, "extends past the end of the file");
		if (eb_crc32(0, p + off, (size_t)size) != eb_get32(ent + 24))
			return eb_msg_fail(&m, -EBADMSG, "CRC mismatch");
		prev_end = off + size;
		if (type == EB_SEC_CONFIG) {
			if (seen_cfg++)
				return eb_msg_fail(&m, -EINVAL, "duplicate");
			ret = parse_config(p + off, (size_t)size, e, &m);
			if (ret)
				return ret;
		}
		eb_msg_cut(&m, 0);
	}
	if (!seen_cfg)
		return eb_msg_fail(&m, -EINVAL, "no CONFIG section");

	for (i = 0; i < n; i++) {
		ent = p + EB_EBM_HDR + (size_t)i * EB_EBM_ENTRY;
		type = eb_get32(ent);
		task = eb_get32(ent + 4);
		sec = p + eb_get64(ent + 8);
		elen = (size_t)eb_get64(ent + 16);
		msg_section(&m, i, type, task);
		if (type >= EB_SEC_TASK_META && task >= e->task_count)
			return eb_msg_fail(&m, -EINVAL, "task index >= task_count");
		switch (type) {
		case EB_SEC_VOCAB:
			if (e->vocab_off)
				return eb_msg_fail(&m, -EINVAL, "duplicate");
			ret = parse_vocab(sec, elen, e, &m);
			break;
		case EB_SEC_EMBEDDINGS:
			if (e->envm)
				return eb_msg_fail(&m, -EINVAL, "duplicate");
			e->envm = sec;
			e->envm_size = elen;
			ret = embeddings_parse(sec, elen, &e->dims, &e->word_emb, &m);
			break;
		case EB_SEC_TASK_META:
			if (seen_meta >> task & 1)
				return eb_msg_fail(&m, -EINVAL, "duplicate");
			seen_meta |= 1ull << task;
			ret = parse_task_meta(sec, elen, &e->task[task], &m);
			break;
		case EB_SEC_TASK_WEIGHTS:
			if (seen_w >> task & 1)
				return eb_msg_fail(&m, -EINVAL, "duplicate");
			seen_w |= 1ull << task;
			e->task[task].weights = sec;
			e->task[task].weights_size = elen;
			ret = 0;
			break;
		default:
			ret = 0;	/* CONFIG done; unknown types skipped */
			break;
		}
		if (ret)
			return ret;
		eb_msg_cut(&m, 0);
	}
	if (!e->vocab_off || !e->envm)
		return eb_msg_fail(&m, -EINVAL, "missing VOCAB or EMBEDDINGS section");
	all = e->task_count == 64 ? ~0ull : (1ull << e->task_count) - 1;
	if (seen_meta != all || seen_w != all)
		return eb_msg_fail(&m, -EINVAL, "a task lacks its TASK_META or TASK_WEIGHTS");

	/* Task blobs need their meta's label count; names must be unique. */
	for (i = 0; i < e->task_count; i++) {
		for (task = 0; task < i; task++)
			if (!strcmp(e->task[i].name, e->task[task].name))
				return eb_msg_fail(&m, -EINVAL, "duplicate task name");
		eb_msg_str(&m, "task ");
		eb_msg_u64(&m, i);
		eb_msg_str(&m, ": ");
		ret = task_weights_parse(e->task[i].weights, e->task[i].weights_size,
					 &e->dims, &tw, &m);
		if (ret)
			return ret;
		if (tw.labels != e->task[i].labels)
			return eb_msg_fail(&m, -EINVAL, "labels differ between meta and weights");
		if (e->task[i].lut_layer > e->dims.layers ||
		    (e->task[i].lut_rows && e->task[i].lut_cols > e->dims.layers + 1))
			return eb_msg_fail(&m, -EINVAL, "exit LUT does not fit the layers");
		eb_msg_cut(&m, 0);
	}
	return 0;
}

/* ---- writing ---- */

size_t eb_task_weights_encode(const struct eb_dims *d, const struct eb_src_task *t,
			      uint8_t *out)
{
	uint32_t i, n = eb_task_tensor_count(d), rows, cols;
	size_t off = EB_TW_HDR + eb_align(4 * (uint64_t)d->heads, 8);
	enum eb_encoding enc;

	if (out) {
		memset(out, 0, off);
		memcpy(out, "EBTW", 4);
		eb_put32(out + 4, 1);
		eb_put32(out + 8, d->embed_dim);
		eb_put32(out + 12, d->hidden);
		eb_put32(out + 16, d->heads);
		eb_put32(out + 20, d->ffn);
		eb_put32(out + 24, d->layers);
		eb_put32(out + 28, d->max_position);
		eb_put32(out + 32, d->type_vocab_size);
		eb_put32(out + 36, t->labels);
		eb_put32(out + 40, t->span_max);
		eb_putf(out + 44, t->span_ramp);
		eb_put32(out + 48, n);
		for (i = 0; i < d->heads; i++)
			eb_putf(out + EB_TW_HDR + 4 * i, t->span_z[i]);
	}
	for (i = 0; i < n; i++) {
		eb_task_tensor_shape(d, t->labels, i, &rows, &cols);
		enc = rows == 1 ? EB_ENC_F32 : t->matrix_enc;
		off += eb_tensor_encode(t->tensors[i], rows, cols, enc, -1,
					out ? out + off : NULL);
	}
	return off;
}

static size_t meta_size(const struct eb_src_task *t, uint8_t *out)
{
	size_t str = 0, off, i, len;

	for (i = 0; i < t->labels; i++)
		str += strlen(t->label_names[i]);
	off = 64 + 4 * ((size_t)t->labels + 1) + eb_align(str, 4);
	if (!out)
		return off + 4 * (size_t)t->lut_rows * t->lut_cols;
	memset(out, 0, off);
	len = strlen(t->name);
	memcpy(out, t->name, len < EB_TASK_NAME_MAX - 1 ? len : EB_TASK_NAME_MAX - 1);
	eb_put32(out + 32, t->labels);
	eb_putf(out + 36, t->threshold);
	eb_put32(out + 40, t->lut_rows);
	eb_put32(out + 44, t->lut_cols);
	eb_put32(out + 48, t->lut_layer);
	for (i = 0, str = 0; i < t->labels; i++) {
		eb_put32(out + 64 + 4 * i, (uint32_t)str);
		len = strlen(t->label_names[i]);
		memcpy(out + 64 + 4 * ((size_t)t->labels + 1) + str, t->label_names[i], len);
		str += len;
	}
	eb_put32(out + 64 + 4 * (size_t)t->labels, (uint32_t)str);
	for (i = 0; i < (size_t)t->lut_rows * t->lut_cols; i++)
		eb_putf(out + off + 4 * i, t->lut[i]);
	return off + 4 * (size_t)t->lut_rows * t->lut_cols;
}

static size_t vocab_size(const struct eb_src_model *s, uint8_t *out)
{
	uint32_t n = s->dims.vocab_size, i;
	size_t str = 0, len, table = 4 + 4 * ((size_t)n + 1);

	if (out)
		eb_put32(out, n);
	for (i = 0; i < n; i++) {
		len = strlen(s->vocab[i]);
		if (out) {
			eb_put32(out + 4 + 4 * (size_t)i, (uint32_t)str);
			memcpy(out + table + str, s->vocab[i], len);
		}
		str += len;
	}
	if (out)
		eb_put32(out + 4 + 4 * (size_t)n, (uint32_t)str);
	return table + str;
}

static void config_write(const struct eb_src_model *s, uint8_t *out)
{
	const struct eb_dims *d = &s->dims;

	memset(out, 0, 64);
	eb_put32(out, d->vocab_size);
	eb_put32(out + 4, d->max_position);
	eb_put32(out + 8, d->type_vocab_size);
	eb_put32(out + 12, d->embed_dim);
	eb_put32(out + 16, d->hidden);
	eb_put32(out + 20, d->heads);
	eb_put32(out + 24, d->ffn);
	eb_put32(out + 28, d->layers);
	eb_put32(out + 32, s->task_count);
	eb_putf(out + 36, s->ln_eps);
	eb_put32(out + 40, s->cls_id);
	eb_put32(out + 44, s->sep_id);
	eb_put32(out + 48, s->unk_id);
	eb_put32(out + 52, s->pad_id);
	eb_put32(out + 56, s->flags);
}

/* Section i: its type, task and bytes (written when out != NULL). */
static size_t section(const struct eb_src_model *s, uint32_t i, uint32_t *type,
		      uint32_t *task, uint8_t *out)
{
	const struct eb_src_task *t;

	*task = 0;
	switch (i) {
	case 0:
		*type = EB_SEC_CONFIG;
		if (out)
			config_write(s, out);
		return 64;
	case 1:
		*type = EB_SEC_VOCAB;
		return vocab_size(s, out);
	case 2:
		*type = EB_SEC_EMBEDDINGS;
		return eb_tensor_encode(s->word_emb, s->dims.vocab_size, s->dims.embed_dim,
					s->word_enc, -1, out);
	}
	*task = (i - 3) / 2;
	t = &s->tasks[*task];
	if ((i - 3) % 2 == 0) {
		*type = EB_SEC_TASK_META;
		return meta_size(t, out);
	}
	*type = EB_SEC_TASK_WEIGHTS;
	return eb_task_weights_encode(&s->dims, t, out);
}

size_t eb_ebm_write(const struct eb_src_model *s, uint8_t *out)
{
	uint32_t n = 3 + 2 * s->task_count, i, type, task;
	uint64_t off = eb_align(EB_EBM_HDR + (uint64_t)n * EB_EBM_ENTRY, EB_EBM_ALIGN);
	uint8_t *ent;
	size_t size;

	for (i = 0; i < n; i++) {
		size = section(s, i, &type, &task, NULL);
		if (out) {
			/* zero the alignment gap before this section */
			ent = out + EB_EBM_HDR + (size_t)i * EB_EBM_ENTRY;
			memset(ent, 0, EB_EBM_ENTRY);
			section(s, i, &type, &task, out + off);
			eb_put32(ent, type);
			eb_put32(ent + 4, task);
			eb_put64(ent + 8, off);
			eb_put64(ent + 16, size);
			eb_put32(ent + 24, eb_crc32(0, out + off, size));
			if (i + 1 < n)
				memset(out + off + size, 0,
				       eb_align(off + size, EB_EBM_ALIGN) - off - size);
		}
		/* the file ends with the last section: no trailing padding */
		off = i + 1 < n ? eb_align(off + size, EB_EBM_ALIGN) : off + size;
	}
	if (!out)
		return off;
	memset(out + EB_EBM_HDR + (size_t)n * EB_EBM_ENTRY, 0,
	       eb_align(EB_EBM_HDR + (uint64_t)n * EB_EBM_ENTRY, EB_EBM_ALIGN) -
	       EB_EBM_HDR - (size_t)n * EB_EBM_ENTRY);
	memset(out, 0, EB_EBM_HDR);
	memcpy(out, ebm_magic, sizeof(ebm_magic));
	eb_put16(out + 8, EB_EBM_VERSION_MAJOR);
	eb_put16(out + 10, EB_EBM_VERSION_MINOR);
	eb_put32(out + 12, EB_EBM_HDR);
	eb_put32(out + 16, n);
	eb_put64(out + 24, off);
	eb_put32(out + 32, eb_crc32(0, out + EB_EBM_HDR, (size_t)n * EB_EBM_ENTRY));
	eb_put32(out + 60, eb_crc32(0, out, 60));
	return off;
}
