// SPDX-License-Identifier: MIT
/*
 * The EdgeBERT forward pass, written to be read next to
 * docs/model-format.md §9 and tools/ref/reference.py. Every reduction runs
 * in a fixed order (sums of many terms in double), so the result is a pure
 * function of the inputs: the device and the CPU backend agree bit for bit.
 */
#include <errno.h>
#include <math.h>
#include <string.h>

#include "fp.h"
#include "af8.h"
#include "graph.h"
#include "simd.h"

static uint32_t max3(uint32_t a, uint32_t b, uint32_t c)
{
	uint32_t m = a > b ? a : b;

	return m > c ? m : c;
}

/* Keys are padded to whole vectors in the attention scratch. */
static uint32_t round8(uint32_t n)
{
	return (n + 7) & ~7u;
}

size_t eb_part_ws_floats(const struct eb_dims *d, uint32_t seq)
{
	size_t lin = eb_linear_ws_floats(max3(d->embed_dim, d->hidden, d->ffn));
	size_t att = (size_t)(d->hidden / d->heads + 1) * round8(seq) + seq;

	return lin > att ? lin : att;
}

size_t eb_graph_ws_floats(const struct eb_dims *d, uint32_t seq)
{
	size_t T = seq, H = d->hidden;

	return 4 * T * H				/* q, k, v, ctx */
	       + T * (d->ffn > d->embed_dim ? d->ffn : d->embed_dim) /* ffn / e */
	       + eb_part_ws_floats(d, seq);		/* one part's scratch */
}

/* x = LayerNorm(x + add) over n features, add may be NULL. */
static void layernorm(float *x, const float *add, const float *g,
		      const float *b, uint32_t n, float eps)
{
	double mean = 0.0, var = 0.0, t;
	float inv, mu;
	uint32_t i;

	if (add)
		for (i = 0; i < n; i++)
			x[i] += add[i];
	for (i = 0; i < n; i++)
		mean += x[i];
	mean /= n;
	for (i = 0; i < n; i++) {
		t = x[i] - mean;
		var += t * t;
	}
	inv = (float)(1.0 / sqrt(var / n + eps));
	mu = (float)mean;
	for (i = 0; i < n; i++)
		x[i] = (x[i] - mu) * inv * g[i] + b[i];
}

int eb_embed(const struct eb_dims *d, float ln_eps, const struct eb_tensor *word,
	     const struct eb_task_weights *tw, const uint32_t *ids,
	     const uint32_t *types, uint32_t seq, float *x, float *ws)
{
	const uint32_t E = d->embed_dim, H = d->hidden;
	float *e = ws, *row = e + (size_t)seq * E, *lin = row + E;
	float lut[256], lut_p[256], lut_t[256];
	uint32_t i, j, type;

	if (!seq || seq > d->max_position)
		return -EINVAL;
	for (i = 0; i < seq; i++)
		if (ids[i] >= d->vocab_size || (types && types[i] >= d->type_vocab_size))
			return -EINVAL;
	eb_af8_lut(word->bias, lut);
	eb_af8_lut(tw->pos_emb.bias, lut_p);
	eb_af8_lut(tw->type_emb.bias, lut_t);
	for (i = 0; i < seq; i++) {
		float *ei = e + (size_t)i * E;

		type = types ? types[i] : 0;
		eb_tensor_row(word, lut, ids[i], ei);
		eb_tensor_row(&tw->pos_emb, lut_p, i, row);
		for (j = 0; j < E; j++)
			ei[j] += row[j];
		eb_tensor_row(&tw->type_emb, lut_t, type, row);
		for (j = 0; j < E; j++)
			ei[j] += row[j];
		layernorm(ei, NULL, tw->emb_ln_g.f32, tw->emb_ln_b.f32, E, ln_eps);
	}
	eb_linear(&tw->proj_w, tw->proj_b.f32, e, E, seq, x, H, lin);
	return 0;
}

/*
 * Span mask of a head by distance, mask[δ] for δ < seq; returns the window
 * (distances with m > 0), 0 when the head is skipped (span z·S_max = 0).
 */
static uint32_t span_mask(const struct eb_task_weights *tw, uint32_t h,
			  uint32_t seq, float *mask)
{
	float span = tw->span_z[h] * (float)tw->span_max, m;
	uint32_t n = seq < tw->span_max ? seq : tw->span_max, w;

	if (!(span > 0.0f))
		return 0;
	for (w = 0; w < n; w++) {
		m = (span - (float)w) / tw->span_ramp + 1.0f;
		if (!(m > 0.0f))
			break;
		if (mask)
			mask[w] = m < 1.0f ? m : 1.0f;
	}
	return w;
}

void eb_span_keys(const struct eb_dims *d, const struct eb_task_weights *tw,
		  uint32_t seq, uint32_t *keys)
{
	uint32_t h, w;

	for (h = 0; h < d->heads; h++) {
		w = span_mask(tw, h, seq, NULL);
		keys[h] = w ? (2 * w - 1 < seq ? 2 * w - 1 : seq) : 0;
	}
}

/* s[j..j+8nv) = q · kᵀ[.][j..], each sum in c order from 0. */
EB_INLINE void dots(const float *q, const float *kt, size_t ldk, uint32_t dh,
		    float *s, const unsigned int nv)
{
	eb_v8 a[4] = { 0 };
	unsigned int u;
	uint32_t c;

	for (c = 0; c < dh; c++)
#pragma GCC unroll 4
		for (u = 0; u < nv; u++)
			a[u] += q[c] * eb_ld8(kt + c * ldk + 8 * u);
#pragma GCC unroll 4
	for (u = 0; u < nv; u++)
		eb_st8(s + 8 * u, a[u]);
}

/* out[0..8nv) = sum over j in [j0, j1) of a[j] * v[j][0..8nv), j ascending. */
EB_INLINE void mix(const float *a, const float *v, size_t ldv, uint32_t j0,
		   uint32_t j1, float *out, const unsigned int nv)
{
	eb_v8 o[4] = { 0 };
	unsigned int u;
	uint32_t j;

	for (j = j0; j < j1; j++)
#pragma GCC unroll 4
		for (u = 0; u < nv; u++)
			o[u] += a[j] * eb_ld8(v + j * ldv + 8 * u);
#pragma GCC unroll 4
	for (u = 0; u < nv; u++)
		eb_st8(out + 8 * u, o[u]);
}

struct attn {
	uint32_t T, H, dh, w;
	float scale;
	const float *q, *k, *v, *mask;
	float *ctx;
};

/*
 * Queries [i0, i1) of one head: softmax(q·kᵀ/√d) · mask, renormalised,
 * times v; only keys inside the span window are computed. kt and s are
 * scratch of dh x round8(T) and round8(T) floats.
 */
EB_INLINE void attn_rows(const struct attn *a, uint32_t i0, uint32_t i1,
			 float *kt, float *s)
{
	const uint32_t T = a->T, H = a->H, dh = a->dh, w = a->w, ldk = round8(T);
	uint32_t i, j, j0, j1, c, kb, ke;
	double sum;
	float mx;

	/* kᵀ of the keys these queries see, so the score loop runs along keys */
	kb = (i0 + 1 > w ? i0 + 1 - w : 0) & ~7u;
	ke = round8(i1 - 1 + w < T ? i1 - 1 + w : T);
	for (j = kb; j < ke; j++)
		for (c = 0; c < dh; c++)
			kt[(size_t)c * ldk + j] = j < T ? a->k[(size_t)j * H + c] : 0.0f;
	for (i = i0; i < i1; i++) {
		const float *qi = a->q + (size_t)i * H;
		float *out = a->ctx + (size_t)i * H;

		j0 = i + 1 > w ? i + 1 - w : 0;
		j1 = i + w < T ? i + w : T;
		for (j = j0 & ~7u; j + 32 <= round8(j1); j += 32)
			dots(qi, kt + j, ldk, dh, s + j, 4);
		for (; j < j1; j += 8)
			dots(qi, kt + j, ldk, dh, s + j, 1);
		mx = -INFINITY;
		for (j = j0; j < j1; j++) {
			s[j] *= a->scale;
			mx = s[j] > mx ? s[j] : mx;
		}
		sum = 0.0;
		for (j = j0; j < j1; j++) {
			s[j] = expf(s[j] - mx) * a->mask[j > i ? j - i : i - j];
			sum += s[j];
		}
		for (j = j0; j < j1; j++)
			s[j] = (float)(s[j] / sum);
		for (c = 0; c + 32 <= dh; c += 32)
			mix(s, a->v + c, H, j0, j1, out + c, 4);
		for (; c + 8 <= dh; c += 8)
			mix(s, a->v + c, H, j0, j1, out + c, 1);
		for (; c < dh; c++) {
			out[c] = 0.0f;
			for (j = j0; j < j1; j++)
				out[c] += s[j] * a->v[(size_t)j * H + c];
		}
	}
}

static void attn_rows_generic(const struct attn *a, uint32_t i0, uint32_t i1,
			      float *kt, float *s)
{
	attn_rows(a, i0, i1, kt, s);
}

#ifdef EB_HAVE_AVX2
EB_TARGET_AVX2
static void attn_rows_avx2(const struct attn *a, uint32_t i0, uint32_t i1,
			   float *kt, float *s)
{
	attn_rows(a, i0, i1, kt, s);
}
#endif

/*
 * The work of a layer in stages; within a stage every output is computed
 * whole by one part, so the bits do not depend on how many parts there are.
 */
enum stage { QKV, ATTN, OPROJ, LN1, FFN1, FFN2, LN2 };

#define ATTN_QB	32	/* queries per attention work item */

struct layer {
	const struct eb_dims *d;
	const struct eb_task_weights *tw;
	float eps;
	uint32_t T;
	float *x, *q, *k, *v, *ctx, *f;
	const struct eb_par *par;
	enum stage stage;
};

static float gelu(float x)
{
	return 0.5f * x * (1.0f + erff(x * 0.70710678118654752f));
}

/* Work items head x query block, dealt round-robin to the parts. */
static void attention_part(const struct layer *l, uint32_t p, float *ws)
{
	const uint32_t H = l->d->hidden, dh = H / l->d->heads, T = l->T;
	const uint32_t qb = (T + ATTN_QB - 1) / ATTN_QB;
	float *kt = ws, *s = kt + (size_t)dh * round8(T), *mask = s + round8(T);
	void (*rows)(const struct attn *, uint32_t, uint32_t, float *, float *) =
		attn_rows_generic;
	struct attn a = {
		.T = T, .H = H, .dh = dh, .scale = 1.0f / sqrtf((float)dh),
		.mask = mask,
	};
	uint32_t it, h, i0, i1, i;

#ifdef EB_HAVE_AVX2
	if (eb_simd_level() == EB_SIMD_AVX2)
		rows = attn_rows_avx2;
#endif
	for (it = p; it < l->d->heads * qb; it += l->par->parts) {
		h = it / qb;
		i0 = it % qb * ATTN_QB;
		i1 = i0 + ATTN_QB < T ? i0 + ATTN_QB : T;
		a.w = span_mask(l->tw, h, T, mask);
		a.q = l->q + h * dh;
		a.k = l->k + h * dh;
		a.v = l->v + h * dh;
		a.ctx = l->ctx + h * dh;
		if (a.w) {
			rows(&a, i0, i1, kt, s);
			continue;
		}
		for (i = i0; i < i1; i++)	/* skipped head */
			memset(a.ctx + (size_t)i * H, 0, dh * sizeof(float));
	}
}

static void layer_part(void *arg, uint32_t p)
{
	const struct layer *l = arg;
	const struct eb_task_weights *tw = l->tw;
	const uint32_t H = l->d->hidden, F = l->d->ffn, T = l->T;
	const uint32_t parts = l->par->parts;
	float *ws = l->par->ws[p];
	uint32_t b, e, t, n;

	switch (l->stage) {
	case QKV:
		eb_split(H, p, parts, EB_LINEAR_ALIGN, &b, &e);
		eb_linear_cols(&tw->q_w, tw->q_b.f32, l->x, H, T, l->q, H, ws, b, e);
		eb_linear_cols(&tw->k_w, tw->k_b.f32, l->x, H, T, l->k, H, ws, b, e);
		eb_linear_cols(&tw->v_w, tw->v_b.f32, l->x, H, T, l->v, H, ws, b, e);
		break;
	case ATTN:
		attention_part(l, p, ws);
		break;
	case OPROJ:	/* into q, free now */
		eb_split(H, p, parts, EB_LINEAR_ALIGN, &b, &e);
		eb_linear_cols(&tw->o_w, tw->o_b.f32, l->ctx, H, T, l->q, H, ws, b, e);
		break;
	case FFN1:
		eb_split(F, p, parts, EB_LINEAR_ALIGN, &b, &e);
		eb_linear_cols(&tw->ffn1_w, tw->ffn1_b.f32, l->x, H, T, l->f, F, ws, b, e);
		for (t = 0; t < T; t++)
			for (n = b; n < e; n++)
				l->f[(size_t)t * F + n] = gelu(l->f[(size_t)t * F + n]);
		break;
	case FFN2:
		eb_split(H, p, parts, EB_LINEAR_ALIGN, &b, &e);
		eb_linear_cols(&tw->ffn2_w, tw->ffn2_b.f32, l->f, F, T, l->q, H, ws, b, e);
		break;
	case LN1:
	case LN2:	/* residual from q, LayerNorm, by rows */
		eb_split(T, p, parts, 1, &b, &e);
		for (t = b; t < e; t++)
			layernorm(l->x + (size_t)t * H, l->q + (size_t)t * H,
				  l->stage == LN1 ? tw->ln1_g.f32 : tw->ln2_g.f32,
				  l->stage == LN1 ? tw->ln1_b.f32 : tw->ln2_b.f32, H, l->eps);
		break;
	}
}

void eb_encoder_layer_par(const struct eb_dims *d, float ln_eps,
			  const struct eb_task_weights *tw, uint32_t T, float *x,
			  float *ws, const struct eb_par *par)
{
	const size_t TH = (size_t)T * d->hidden;
	struct layer l = {
		.d = d, .tw = tw, .eps = ln_eps, .T = T, .x = x, .par = par,
		.q = ws, .k = ws + TH, .v = ws + 2 * TH, .ctx = ws + 3 * TH,
		.f = ws + 4 * TH,
	};

	for (l.stage = QKV; l.stage <= LN2; l.stage++)
		par->run(par->ctx, layer_part, &l);
}

static void run_serial(void *ctx, void (*fn)(void *arg, uint32_t part), void *arg)
{
	(void)ctx;
	fn(arg, 0);
}

void eb_encoder_layer(const struct eb_dims *d, float ln_eps,
		      const struct eb_task_weights *tw, uint32_t T, float *x,
		      float *ws)
{
	float *part = ws + 4 * (size_t)T * d->hidden +
		      (size_t)T * (d->ffn > d->embed_dim ? d->ffn : d->embed_dim);
	const struct eb_par serial = { .parts = 1, .run = run_serial, .ws = &part };

	eb_encoder_layer_par(d, ln_eps, tw, T, x, ws, &serial);
}

float eb_entropy(const float *logits, uint32_t n)
{
	double mx = -INFINITY, sum = 0.0, h = 0.0, p;
	uint32_t i;

	for (i = 0; i < n; i++)
		mx = logits[i] > mx ? logits[i] : mx;
	for (i = 0; i < n; i++)
		sum += exp(logits[i] - mx);
	for (i = 0; i < n; i++) {
		p = exp(logits[i] - mx) / sum;
		if (p > 0.0)
			h -= p * log(p);
	}
	return (float)h;
}

void eb_offramp(const struct eb_dims *d, const struct eb_task_weights *tw,
		uint32_t layer, const float *x, float *logits, float *entropy,
		float *ws)
{
	const struct eb_ramp_weights *r = &tw->ramp[layer];
	const uint32_t H = d->hidden;
	float *pooled = ws, *lin = ws + H;
	uint32_t i;

	eb_linear(&r->pool_w, r->pool_b.f32, x, H, 1, pooled, H, lin);
	for (i = 0; i < H; i++)
		pooled[i] = tanhf(pooled[i]);
	eb_linear(&r->cls_w, r->cls_b.f32, pooled, H, 1, logits, tw->labels, lin);
	*entropy = eb_entropy(logits, tw->labels);
}
