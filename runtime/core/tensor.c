// SPDX-License-Identifier: MIT
/*
 * Tensor records (docs/model-format.md §6) and the one matrix kernel,
 * eb_linear(), that every projection of the graph goes through.
 */
#include <errno.h>
#include <string.h>

#include "fp.h"
#include "af8.h"
#include "le.h"
#include "simd.h"
#include "tensor.h"

static uint64_t payload_size(uint32_t rows, uint32_t cols, unsigned int enc,
			     uint32_t nnz)
{
	uint64_t n = (uint64_t)rows * cols;

	switch (enc) {
	case EB_ENC_F32:
		return n * 4;
	case EB_ENC_AF8:
		return n;
	default:
		return 4 + 4 * ((uint64_t)rows + 1) + (n + 7) / 8 + nnz;
	}
}

static int check_sparse(struct eb_tensor *t, struct eb_msg *m)
{
	uint64_t n = (uint64_t)t->rows * t->cols, i;
	const uint32_t *rp = t->row_ptr;
	uint32_t r;

	if (rp[0] != 0 || rp[t->rows] != t->nnz)
		return eb_msg_fail(m, -EINVAL, "sparse row_ptr does not span nnz");
	for (r = 0; r < t->rows; r++)
		if (rp[r + 1] < rp[r] || rp[r + 1] - rp[r] !=
		    eb_bits_count(t->mask, (size_t)r * t->cols, t->cols))
			return eb_msg_fail(m, -EINVAL,
					   "sparse row_ptr disagrees with the bitmask");
	for (i = n; i < (n + 7) / 8 * 8; i++)
		if (eb_bit_get(t->mask, i))
			return eb_msg_fail(m, -EINVAL, "bitmask padding bits set");
	for (i = 0; i < t->nnz; i++)
		if (eb_af8_is_zero(t->codes[i]))
			return eb_msg_fail(m, -EINVAL, "sparse value is a zero code");
	t->zeros = n - t->nnz;
	return 0;
}

int eb_tensor_parse(const uint8_t *p, size_t len, struct eb_tensor *t,
		    size_t *used, struct eb_msg *m)
{
	uint64_t n, want, size;
	uint32_t psize, i;
	const uint8_t *d = p + EB_TENSOR_HDR;

	memset(t, 0, sizeof(*t));
	if ((uintptr_t)p & 3)
		return eb_msg_fail(m, -EINVAL, "tensor record not 4-byte aligned");
	if (len < EB_TENSOR_HDR)
		return eb_msg_fail(m, -EOVERFLOW, "tensor header truncated");
	t->rows = eb_get32(p);
	t->cols = eb_get32(p + 4);
	t->enc = p[8];
	t->bias = p[9];
	psize = eb_get32(p + 12);
	n = (uint64_t)t->rows * t->cols;
	if (!t->rows || !t->cols || n > (1u << 30))
		return eb_msg_fail(m, -EINVAL, "tensor shape out of range");
	if (t->enc > EB_ENC_AF8_SPARSE)
		return eb_msg_fail(m, -EINVAL, "unknown tensor encoding");
	if (t->bias > EB_AF8_MAX_BIAS || (t->enc == EB_ENC_F32 && t->bias) ||
	    eb_get16(p + 10))
		return eb_msg_fail(m, -EINVAL, "bad AF8 bias or reserved field");
	if (t->enc == EB_ENC_AF8_SPARSE) {
		if (t->cols > EB_SPARSE_MAX_COLS)
			return eb_msg_fail(m, -EINVAL, "sparse tensor wider than 4096");
		if (psize < 4 || len - EB_TENSOR_HDR < 4)
			return eb_msg_fail(m, -EOVERFLOW, "sparse tensor truncated");
		t->nnz = eb_get32(d);
		if (t->nnz > n)
			return eb_msg_fail(m, -EINVAL, "sparse nnz exceeds the shape");
	}
	want = payload_size(t->rows, t->cols, t->enc, t->nnz);
	if (psize != want)
		return eb_msg_fail(m, -EINVAL, "tensor payload size does not match its shape");
	size = eb_align(EB_TENSOR_HDR + want, 8);
	if (size > len)
		return eb_msg_fail(m, -EOVERFLOW, "tensor data truncated");
	*used = size;

	switch (t->enc) {
	case EB_ENC_F32:
		t->f32 = (const float *)d;
		for (i = 0; i < n; i++)
			t->zeros += t->f32[i] == 0.0f;
		return 0;
	case EB_ENC_AF8:
		t->codes = d;
		for (i = 0; i < n; i++)
			t->zeros += eb_af8_is_zero(t->codes[i]);
		return 0;
	default:
		t->row_ptr = (const uint32_t *)(d + 4);
		t->mask = d + 4 + 4 * ((size_t)t->rows + 1);
		t->codes = t->mask + (n + 7) / 8;
		return check_sparse(t, m);
	}
}

size_t eb_tensor_encode(const float *x, uint32_t rows, uint32_t cols,
			enum eb_encoding enc, int bias, uint8_t *out)
{
	size_t n = (size_t)rows * cols, i, nnz = 0, size;
	unsigned int b = 0;
	uint8_t *d, *mask, *vals;
	uint8_t c;

	if (enc != EB_ENC_F32)
		b = bias < 0 ? eb_af8_choose_bias(x, n) : (unsigned int)bias;
	if (enc == EB_ENC_AF8_SPARSE)
		for (i = 0; i < n; i++)
			nnz += !eb_af8_is_zero(eb_af8_encode(x[i], b));
	size = eb_align(EB_TENSOR_HDR + payload_size(rows, cols, enc, (uint32_t)nnz), 8);
	if (!out)
		return size;

	memset(out, 0, size);
	eb_put32(out, rows);
	eb_put32(out + 4, cols);
	out[8] = (uint8_t)enc;
	out[9] = (uint8_t)b;
	eb_put32(out + 12, (uint32_t)payload_size(rows, cols, enc, (uint32_t)nnz));
	d = out + EB_TENSOR_HDR;
	switch (enc) {
	case EB_ENC_F32:
		for (i = 0; i < n; i++)
			eb_putf(d + 4 * i, x[i]);
		break;
	case EB_ENC_AF8:
		for (i = 0; i < n; i++)
			d[i] = eb_af8_encode(x[i], b);
		break;
	default:
		eb_put32(d, (uint32_t)nnz);
		mask = d + 4 + 4 * ((size_t)rows + 1);
		vals = mask + (n + 7) / 8;
		for (i = 0, nnz = 0; i < n; i++) {
			if (i % cols == 0)
				eb_put32(d + 4 + 4 * (i / cols), (uint32_t)nnz);
			c = eb_af8_encode(x[i], b);
			if (eb_af8_is_zero(c))
				continue;
			mask[i >> 3] |= (uint8_t)(1u << (i & 7));
			vals[nnz++] = c;
		}
		eb_put32(d + 4 + 4 * (size_t)rows, (uint32_t)nnz);
		break;
	}
	return size;
}

/*
 * Branchless: random masks defeat branch prediction. The row's codes are
 * copied next to a 0 sentinel so codes[k] is always in bounds, and a clear
 * bit selects code 0, which decodes to 0.
 */
static void sparse_row(const struct eb_tensor *t, const float *lut, uint32_t r,
		       float *out)
{
	uint8_t codes[EB_SPARSE_MAX_COLS + 1];
	uint32_t n = t->row_ptr[r + 1] - t->row_ptr[r], j, k = 0, b;
	size_t bit = (size_t)r * t->cols;

	memcpy(codes, t->codes + t->row_ptr[r], n);
	codes[n] = 0;
	for (j = 0; j < t->cols; j++, bit++) {
		b = (uint32_t)eb_bit_get(t->mask, bit);
		out[j] = lut[codes[k] & (uint8_t)-b];
		k += b;
	}
}

void eb_tensor_row(const struct eb_tensor *t, const float *lut, uint32_t r,
		   float *out)
{
	size_t bit = (size_t)r * t->cols;
	const uint8_t *c;
	uint32_t j;

	switch (t->enc) {
	case EB_ENC_F32:
		memcpy(out, t->f32 + bit, t->cols * sizeof(*out));
		return;
	case EB_ENC_AF8:
		c = t->codes + bit;
		for (j = 0; j < t->cols; j++)
			out[j] = lut[c[j]];
		return;
	default:
		sparse_row(t, lut, r, out);
		return;
	}
}

static enum eb_simd simd_forced = EB_SIMD_AUTO;

static enum eb_simd simd_best(void)
{
#ifdef EB_HAVE_AVX2
	if (__builtin_cpu_supports("avx2"))
		return EB_SIMD_AVX2;
#endif
	return EB_SIMD_GENERIC;
}

enum eb_simd eb_simd_level(void)
{
	enum eb_simd best = simd_best();

	return simd_forced == EB_SIMD_AUTO || simd_forced > best ? best : simd_forced;
}

enum eb_simd eb_simd_force(enum eb_simd level)
{
	simd_forced = level;
	return eb_simd_level();
}

/*
 * Blocking: NB output features are decoded once into a k-major panel that
 * every input row reuses. The panel is walked in KB-long slices (16 KB,
 * in L1) and for each slice all rows of a TB-row chunk stream through it
 * in MR-row tiles, whose MR x NB sums stay in 12 vector registers (AVX2
 * has 16). Sums carry over slices in acc[], so each output is still one
 * float sum in k order from 0, plus the bias at the end.
 */
#define NB	EB_LINEAR_ALIGN	/* panel width: two AVX vectors */
#define MR	6
#define KB	256
#define TB	128

size_t eb_linear_ws_floats(uint32_t k)
{
	return 256 + (size_t)NB * k + k + (size_t)TB * NB;
}

/*
 * acc[r][0..NB) += sum over the slice of x[r][k] * p[k][0..NB), k ascending,
 * in vectors V of L lanes: 8 for AVX2; 4 where GCC would split 8-lane
 * vectors into halves through the stack.
 */
#define TILE(V, L)							\
EB_INLINE void tile##L(const float *restrict p, uint32_t kb,		\
		       const float *restrict x, size_t ldx,		\
		       float *restrict acc, const unsigned int mr)	\
{									\
	V a[MR][NB / L], b[NB / L];					\
	unsigned int r, u;						\
	uint32_t k;							\
									\
	_Pragma("GCC unroll 6")						\
	for (r = 0; r < mr; r++)					\
		_Pragma("GCC unroll 4")					\
		for (u = 0; u < NB / L; u++)				\
			a[r][u] = *(const V *)(acc + r * NB + u * L);	\
	for (k = 0; k < kb; k++, p += NB) {				\
		_Pragma("GCC unroll 4")					\
		for (u = 0; u < NB / L; u++)				\
			b[u] = *(const V *)(p + u * L);			\
		_Pragma("GCC unroll 6")					\
		for (r = 0; r < mr; r++)				\
			_Pragma("GCC unroll 4")				\
			for (u = 0; u < NB / L; u++)			\
				a[r][u] += x[r * ldx + k] * b[u];	\
	}								\
	_Pragma("GCC unroll 6")						\
	for (r = 0; r < mr; r++)					\
		_Pragma("GCC unroll 4")					\
		for (u = 0; u < NB / L; u++)				\
			*(V *)(acc + r * NB + u * L) = a[r][u];		\
}

TILE(eb_v4u, 4)
TILE(eb_v8u, 8)

/*
 * acc[T][NB] = x[T][0..K) times the panel; T <= TB. Tiles are mr rows:
 * 6 x 2 AVX registers of sums, or 2 x 4 SSE/NEON ones.
 */
EB_INLINE void panel_gemm(const float *panel, uint32_t K, const float *x,
			  size_t ldx, uint32_t T, float *acc, const unsigned int mr,
			  const unsigned int lanes)
{
	uint32_t k0, kb, t;

	memset(acc, 0, (size_t)T * NB * sizeof(*acc));
	for (k0 = 0; k0 < K; k0 += KB) {
		kb = K - k0 < KB ? K - k0 : KB;
		for (t = 0; t < T; t += t + mr <= T ? mr : 1) {
			const float *pk = panel + (size_t)k0 * NB, *xt = x + t * ldx + k0;

			if (lanes == 8 && t + mr <= T)
				tile8(pk, kb, xt, ldx, acc + (size_t)t * NB, mr);
			else if (lanes == 8)
				tile8(pk, kb, xt, ldx, acc + (size_t)t * NB, 1);
			else if (t + mr <= T)
				tile4(pk, kb, xt, ldx, acc + (size_t)t * NB, mr);
			else
				tile4(pk, kb, xt, ldx, acc + (size_t)t * NB, 1);
		}
	}
}

static void panel_gemm_generic(const float *panel, uint32_t K, const float *x,
			       size_t ldx, uint32_t T, float *acc)
{
	panel_gemm(panel, K, x, ldx, T, acc, 2, 4);
}

#ifdef EB_HAVE_AVX2
EB_TARGET_AVX2
static void panel_gemm_avx2(const float *panel, uint32_t K, const float *x,
			    size_t ldx, uint32_t T, float *acc)
{
	panel_gemm(panel, K, x, ldx, T, acc, MR, 8);
}
#endif

/* Decode output features n0.. (nr of them) into panel[k][NB], zero-padded. */
static void pack_panel(const struct eb_tensor *w, const float *lut,
		       uint32_t n0, uint32_t nr, float *row, float *panel)
{
	uint32_t K = w->cols, j, k;
	const uint8_t *c;

	for (j = 0; j < NB; j++) {
		if (j < nr && w->enc == EB_ENC_AF8) {
			/* dense codes straight through the LUT, no row copy */
			c = w->codes + (size_t)(n0 + j) * K;
			for (k = 0; k < K; k++)
				panel[(size_t)k * NB + j] = lut[c[k]];
			continue;
		}
		if (j < nr)
			eb_tensor_row(w, lut, n0 + j, row);
		else
			memset(row, 0, K * sizeof(*row));
		for (k = 0; k < K; k++)
			panel[(size_t)k * NB + j] = row[k];
	}
}

void eb_linear_cols(const struct eb_tensor *w, const float *bias,
		    const float *x, size_t ldx, uint32_t T, float *y, size_t ldy,
		    float *ws, uint32_t n_begin, uint32_t n_end)
{
	uint32_t K = w->cols, n0, nr, t0, tb, t, j;
	float *lut = ws, *panel = ws + 256, *row = panel + (size_t)NB * K;
	float *acc = row + K;
	void (*gemm)(const float *, uint32_t, const float *, size_t, uint32_t,
		     float *) = panel_gemm_generic;

#ifdef EB_HAVE_AVX2
	if (eb_simd_level() == EB_SIMD_AVX2)
		gemm = panel_gemm_avx2;
#endif
	if (w->enc != EB_ENC_F32)
		eb_af8_lut(w->bias, lut);
	for (n0 = n_begin; n0 < n_end; n0 += NB) {
		nr = n_end - n0 < NB ? n_end - n0 : NB;
		pack_panel(w, lut, n0, nr, row, panel);
		for (t0 = 0; t0 < T; t0 += TB) {
			tb = T - t0 < TB ? T - t0 : TB;
			gemm(panel, K, x + (size_t)t0 * ldx, ldx, tb, acc);
			for (t = 0; t < tb; t++)
				for (j = 0; j < nr; j++)
					y[(size_t)(t0 + t) * ldy + n0 + j] =
						acc[t * NB + j] + (bias ? bias[n0 + j] : 0.0f);
		}
	}
}

void eb_linear(const struct eb_tensor *w, const float *bias, const float *x,
	       size_t ldx, uint32_t T, float *y, size_t ldy, float *ws)
{
	eb_linear_cols(w, bias, x, ldx, T, y, ldy, ws, 0, w->rows);
}

void eb_split(uint32_t n, uint32_t part, uint32_t parts, uint32_t align,
	      uint32_t *begin, uint32_t *end)
{
	uint32_t blocks = (n + align - 1) / align;

	*begin = (uint32_t)((uint64_t)blocks * part / parts) * align;
	*end = (uint32_t)((uint64_t)blocks * (part + 1) / parts) * align;
	if (*begin > n)
		*begin = n;
	if (*end > n)
		*end = n;
}
