// SPDX-License-Identifier: MIT
/*
 * Tensor records (docs/model-format.md §6) and the one matrix kernel,
 * eb_linear(), that every projection of the graph goes through.
 */
#include <errno.h>
#include <string.h>

#include "af8.h"
#include "le.h"
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

/*
 * Blocking: NR output features are decoded into a k-major panel, then
 * every group of MR input rows streams through it in KB-long slices that
 * stay in L1. The NR-wide inner loops are what the compiler vectorises.
 */
#define NR	8
#define MR	4
#define KB	256

size_t eb_linear_ws_floats(uint32_t k)
{
	return 256 + (size_t)NR * k + k;
}

/*
 * Four lanes as a GCC/Clang generic vector: 16 bytes is what every SIMD
 * unit (SSE, NEON) holds in one register, so the 8 accumulators of the
 * MR x NR tile stay in registers. Lane arithmetic is plain IEEE mul, add.
 */
typedef float v4 __attribute__((vector_size(16)));

static inline v4 LD(const float *p)
{
	v4 v;

	memcpy(&v, p, sizeof(v));
	return v;
}

/* acc[r][j] += sum over the slice of x[r][k] * p[k][j], k ascending. */
static void kernel(const float *restrict p, uint32_t kb,
		   const float *restrict x, size_t ldx, uint32_t mr,
		   float acc[MR][NR])
{
	v4 a00, a01, a10, a11, a20, a21, a30, a31, lo, hi;
	uint32_t k, j, r;

	if (mr < MR) {
		for (r = 0; r < mr; r++)
			for (k = 0; k < kb; k++)
				for (j = 0; j < NR; j++)
					acc[r][j] += x[r * ldx + k] * p[k * NR + j];
		return;
	}
	a00 = LD(acc[0]);
	a01 = LD(acc[0] + 4);
	a10 = LD(acc[1]);
	a11 = LD(acc[1] + 4);
	a20 = LD(acc[2]);
	a21 = LD(acc[2] + 4);
	a30 = LD(acc[3]);
	a31 = LD(acc[3] + 4);
	for (k = 0; k < kb; k++, p += NR) {
		lo = LD(p);
		hi = LD(p + 4);
		a00 += x[k] * lo;
		a01 += x[k] * hi;
		a10 += x[ldx + k] * lo;
		a11 += x[ldx + k] * hi;
		a20 += x[2 * ldx + k] * lo;
		a21 += x[2 * ldx + k] * hi;
		a30 += x[3 * ldx + k] * lo;
		a31 += x[3 * ldx + k] * hi;
	}
	memcpy(acc[0], &a00, 16);
	memcpy(acc[0] + 4, &a01, 16);
	memcpy(acc[1], &a10, 16);
	memcpy(acc[1] + 4, &a11, 16);
	memcpy(acc[2], &a20, 16);
	memcpy(acc[2] + 4, &a21, 16);
	memcpy(acc[3], &a30, 16);
	memcpy(acc[3] + 4, &a31, 16);
}

/* Decode output features n0.. (nr of them) into panel[k][NR], zero-padded. */
static void pack_panel(const struct eb_tensor *w, const float *lut,
		       uint32_t n0, uint32_t nr, float *row, float *panel)
{
	uint32_t K = w->cols, j, k;

	for (j = 0; j < NR; j++) {
		if (j < nr)
			eb_tensor_row(w, lut, n0 + j, row);
		else
			memset(row, 0, K * sizeof(*row));
		for (k = 0; k < K; k++)
			panel[(size_t)k * NR + j] = row[k];
	}
}

void eb_linear(const struct eb_tensor *w, const float *bias, const float *x,
	       size_t ldx, uint32_t T, float *y, size_t ldy, float *ws)
{
	uint32_t N = w->rows, K = w->cols, n0, nr, k0, kb, t, mr, r, j;
	float *lut = ws, *panel = ws + 256, *row = panel + (size_t)NR * K;
	float acc[MR][NR];

	if (w->enc != EB_ENC_F32)
		eb_af8_lut(w->bias, lut);
	for (n0 = 0; n0 < N; n0 += NR) {
		nr = N - n0 < NR ? N - n0 : NR;
		pack_panel(w, lut, n0, nr, row, panel);
		for (t = 0; t < T; t += MR) {
			mr = T - t < MR ? T - t : MR;
			memset(acc, 0, sizeof(acc));
			for (k0 = 0; k0 < K; k0 += KB) {
				kb = K - k0 < KB ? K - k0 : KB;
				kernel(panel + (size_t)k0 * NR, kb,
				       x + (size_t)t * ldx + k0, ldx, mr, acc);
			}
			for (r = 0; r < mr; r++)
				for (j = 0; j < nr; j++)
					y[(size_t)(t + r) * ldy + n0 + j] =
						acc[r][j] + (bias ? bias[n0 + j] : 0.0f);
		}
	}
}
