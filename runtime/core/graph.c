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

#include "af8.h"
#include "graph.h"

static uint32_t max3(uint32_t a, uint32_t b, uint32_t c)
{
	uint32_t m = a > b ? a : b;

	return m > c ? m : c;
}

size_t eb_graph_ws_floats(const struct eb_dims *d, uint32_t seq)
{
	size_t T = seq, H = d->hidden;

	return 4 * T * H				/* q, k, v, ctx */
	       + T * (d->ffn > d->embed_dim ? d->ffn : d->embed_dim) /* ffn / e */
	       + H / d->heads * T + 2 * T		/* kt, scores, span mask */
	       + 2 * (size_t)max3(d->embed_dim, H, d->ffn)	/* row temps */
	       + eb_linear_ws_floats(max3(d->embed_dim, H, d->ffn));
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

/*
 * ctx = per head softmax(q·kᵀ/√d) · mask, renormalised, times v; only keys
 * inside the span window are computed. Skipped heads leave zeros.
 */
static void attention(const struct eb_dims *d, const struct eb_task_weights *tw,
		      uint32_t T, const float *q, const float *k, const float *v,
		      float *ctx, float *kt, float *s, float *mask)
{
	const uint32_t H = d->hidden, dh = H / d->heads;
	const float scale = 1.0f / sqrtf((float)dh);
	uint32_t h, i, j, j0, j1, w, c;
	double sum;
	float mx, a;

	memset(ctx, 0, (size_t)T * H * sizeof(*ctx));
	for (h = 0; h < d->heads; h++) {
		w = span_mask(tw, h, T, mask);
		if (!w)
			continue;
		/* kᵀ of this head, so the score loop runs along keys */
		for (j = 0; j < T; j++)
			for (c = 0; c < dh; c++)
				kt[(size_t)c * T + j] = k[(size_t)j * H + h * dh + c];
		for (i = 0; i < T; i++) {
			const float *qi = q + (size_t)i * H + h * dh;
			float *out = ctx + (size_t)i * H + h * dh;

			j0 = i + 1 > w ? i + 1 - w : 0;
			j1 = i + w < T ? i + w : T;
			for (j = j0; j < j1; j++)
				s[j] = 0.0f;
			for (c = 0; c < dh; c++)
				for (j = j0; j < j1; j++)
					s[j] += qi[c] * kt[(size_t)c * T + j];
			mx = -INFINITY;
			for (j = j0; j < j1; j++) {
				s[j] *= scale;
				mx = s[j] > mx ? s[j] : mx;
			}
			sum = 0.0;
			for (j = j0; j < j1; j++) {
				s[j] = expf(s[j] - mx) * mask[j > i ? j - i : i - j];
				sum += s[j];
			}
			for (j = j0; j < j1; j++) {
				const float *vj = v + (size_t)j * H + h * dh;

				a = (float)(s[j] / sum);
				for (c = 0; c < dh; c++)
					out[c] += a * vj[c];
			}
		}
	}
}

static float gelu(float x)
{
	return 0.5f * x * (1.0f + erff(x * 0.70710678118654752f));
}

void eb_encoder_layer(const struct eb_dims *d, float ln_eps,
		      const struct eb_task_weights *tw, uint32_t T, float *x,
		      float *ws)
{
	const uint32_t H = d->hidden, F = d->ffn;
	const size_t TH = (size_t)T * H;
	float *q = ws, *k = q + TH, *v = k + TH, *ctx = v + TH;
	float *f = ctx + TH;
	float *kt = f + (size_t)T * (F > d->embed_dim ? F : d->embed_dim);
	float *s = kt + (size_t)(H / d->heads) * T, *mask = s + T;
	float *lin = mask + T + 2 * (size_t)max3(d->embed_dim, H, F);
	size_t i, t;

	eb_linear(&tw->q_w, tw->q_b.f32, x, H, T, q, H, lin);
	eb_linear(&tw->k_w, tw->k_b.f32, x, H, T, k, H, lin);
	eb_linear(&tw->v_w, tw->v_b.f32, x, H, T, v, H, lin);
	attention(d, tw, T, q, k, v, ctx, kt, s, mask);

	/* attention output projection, residual, LayerNorm (q is free now) */
	eb_linear(&tw->o_w, tw->o_b.f32, ctx, H, T, q, H, lin);
	for (t = 0; t < T; t++)
		layernorm(x + t * H, q + t * H, tw->ln1_g.f32, tw->ln1_b.f32, H, ln_eps);

	/* GELU feed-forward, residual, LayerNorm */
	eb_linear(&tw->ffn1_w, tw->ffn1_b.f32, x, H, T, f, F, lin);
	for (i = 0; i < (size_t)T * F; i++)
		f[i] = gelu(f[i]);
	eb_linear(&tw->ffn2_w, tw->ffn2_b.f32, f, F, T, q, H, lin);
	for (t = 0; t < T; t++)
		layernorm(x + t * H, q + t * H, tw->ln2_g.f32, tw->ln2_b.f32, H, ln_eps);
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
