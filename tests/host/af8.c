// SPDX-License-Identifier: MIT
/* AdaptivFloat8, the bitmask encoding, CRC-32 and tensor records. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"
#include "core/af8.h"
#include "core/simd.h"
#include "core/tensor.h"

/* Every nonzero code decodes and re-encodes to itself, at every bias. */
START_TEST(round_trip_every_code)
{
	unsigned int b = (unsigned int)_i, c;

	for (c = 0; c < 256; c++) {
		float v = eb_af8_decode((uint8_t)c, b);

		if (eb_af8_is_zero((uint8_t)c))
			ck_assert(v == 0.0f);
		else
			ck_assert_uint_eq(eb_af8_encode(v, b), c);
	}
	ck_assert(eb_af8_decode(0x01, b) == eb_af8_min(b));
	ck_assert(eb_af8_decode(0x7f, b) == eb_af8_max(b));
	ck_assert(eb_af8_min(b) == ldexpf(17.0f / 16, (int)b - 10));
	ck_assert(eb_af8_max(b) == ldexpf(31.0f / 16, (int)b - 3));
}
END_TEST

START_TEST(edges)
{
	unsigned int b = (unsigned int)_i;
	float lo = eb_af8_min(b), hi = eb_af8_max(b);

	ck_assert_uint_eq(eb_af8_encode(0.0f, b), 0x00);
	ck_assert_uint_eq(eb_af8_encode(-0.0f, b), 0x00);
	ck_assert_uint_eq(eb_af8_encode(NAN, b), 0x00);
	/* below min/2 flushes to zero, [min/2, min) goes to min */
	ck_assert_uint_eq(eb_af8_encode(nextafterf(lo / 2, 0), b), 0x00);
	ck_assert_uint_eq(eb_af8_encode(-nextafterf(lo / 2, 0), b), 0x00);
	ck_assert_uint_eq(eb_af8_encode(lo / 2, b), 0x01);
	ck_assert_uint_eq(eb_af8_encode(-lo / 2, b), 0x81);
	ck_assert_uint_eq(eb_af8_encode(nextafterf(lo, 0), b), 0x01);
	/* saturation */
	ck_assert_uint_eq(eb_af8_encode(hi, b), 0x7f);
	ck_assert_uint_eq(eb_af8_encode(hi * 100, b), 0x7f);
	ck_assert_uint_eq(eb_af8_encode(-hi * 100, b), 0xff);
	ck_assert_uint_eq(eb_af8_encode(INFINITY, b), 0x7f);
	ck_assert_uint_eq(eb_af8_encode(-INFINITY, b), 0xff);
}
END_TEST

/* Round to nearest, ties to the even mantissa, carry into the exponent. */
START_TEST(rounding)
{
	/* bias 7: codes with e=7 are 2^4 * (1 + m/16) = 16 + m */
	ck_assert_uint_eq(eb_af8_encode(16.4f, 7), 0x70);
	ck_assert_uint_eq(eb_af8_encode(16.6f, 7), 0x71);
	ck_assert_uint_eq(eb_af8_encode(16.5f, 7), 0x70);	/* tie -> m even */
	ck_assert_uint_eq(eb_af8_encode(17.5f, 7), 0x72);	/* tie -> m even */
	ck_assert_uint_eq(eb_af8_encode(-17.5f, 7), 0xf2);
	/* e=6: 8 + m/2; 15.8 rounds to m=16 -> carries to 16 (e=7, m=0) */
	ck_assert_uint_eq(eb_af8_encode(15.8f, 7), 0x70);
	ck_assert_uint_eq(eb_af8_encode(15.7f, 7), 0x6f);
	/* a value of 1.0 at bias 3: exponent 0 + 3 - 10 ... e = 7 */
	ck_assert_uint_eq(eb_af8_encode(1.0f, 3), 0x70);
	ck_assert(eb_af8_decode(0x70, 3) == 1.0f);
}
END_TEST

START_TEST(bias_choice)
{
	float x[3] = { 0.1f, -1.0f, 0.5f };
	float z[2] = { 0.0f, -0.0f };
	unsigned int b;

	/* max 1.0 = 2^0: 7 + b - 10 = 0 */
	ck_assert_uint_eq(eb_af8_choose_bias(x, 3), 3);
	x[1] = 1.9f;
	ck_assert_uint_eq(eb_af8_choose_bias(x, 3), 3);
	x[1] = 1000.0f;
	ck_assert_uint_eq(eb_af8_choose_bias(x, 3), 7);
	x[1] = 0.001f;
	x[0] = x[2] = 0.0f;
	ck_assert_uint_eq(eb_af8_choose_bias(x, 3), 0);
	ck_assert_uint_eq(eb_af8_choose_bias(z, 2), 0);
	/* the chosen bias represents max|x| within half an ulp */
	for (b = 0; b < 8; b++) {
		float m = ldexpf(1.5f, (int)b - 3);

		ck_assert_uint_eq(eb_af8_choose_bias(&m, 1), b);
		ck_assert(eb_af8_decode(eb_af8_encode(m, b), b) == m);
	}
}
END_TEST

START_TEST(bits_and_crc)
{
	const uint8_t mask[3] = { 0xa5, 0xff, 0x01 };

	ck_assert_int_eq(eb_bit_get(mask, 0), 1);
	ck_assert_int_eq(eb_bit_get(mask, 1), 0);
	ck_assert_int_eq(eb_bit_get(mask, 7), 1);
	ck_assert_int_eq(eb_bit_get(mask, 16), 1);
	ck_assert_int_eq(eb_bit_get(mask, 17), 0);
	ck_assert_uint_eq(eb_bits_count(mask, 0, 24), 13);
	ck_assert_uint_eq(eb_bits_count(mask, 3, 10), 7);
	ck_assert_uint_eq(eb_bits_count(mask, 5, 0), 0);
	/* zlib's check value */
	ck_assert_uint_eq(eb_crc32(0, "123456789", 9), 0xcbf43926);
	ck_assert_uint_eq(eb_crc32(eb_crc32(0, "1234", 4), "56789", 5), 0xcbf43926);
}
END_TEST

/* Packing: row-major bits LSB first, values in order, row_ptr per row. */
START_TEST(sparse_record)
{
	const float x[3 * 5] = {
		0, 1, 0, 0, -2,
		0, 0, 0, 0, 0,
		4, 0, 0.5f, 0, 1e-9f,	/* 1e-9 encodes to zero: not stored */
	};
	_Alignas(8) uint8_t buf[128];
	struct eb_tensor t;
	struct eb_msg m = eb_msg_init(NULL, 0);
	size_t size, used;
	float row[5], lut[256];
	uint32_t r, c;

	size = eb_tensor_encode(x, 3, 5, EB_ENC_AF8_SPARSE, -1, NULL);
	ck_assert_uint_le(size, sizeof(buf));
	ck_assert_uint_eq(eb_tensor_encode(x, 3, 5, EB_ENC_AF8_SPARSE, -1, buf), size);
	ck_assert_int_eq(eb_tensor_parse(buf, size, &t, &used, &m), 0);
	ck_assert_uint_eq(used, size);
	ck_assert_uint_eq(size % 8, 0);
	ck_assert_uint_eq(t.nnz, 4);
	ck_assert_uint_eq(t.zeros, 11);
	/* bits 1, 4, 10, 12 */
	ck_assert_uint_eq(t.mask[0], 0x12);
	ck_assert_uint_eq(t.mask[1], 0x14);
	ck_assert_uint_eq(t.row_ptr[0], 0);
	ck_assert_uint_eq(t.row_ptr[1], 2);
	ck_assert_uint_eq(t.row_ptr[2], 2);
	ck_assert_uint_eq(t.row_ptr[3], 4);
	ck_assert_uint_eq(t.codes[0], eb_af8_encode(1, t.bias));
	ck_assert_uint_eq(t.codes[1], eb_af8_encode(-2, t.bias));
	eb_af8_lut(t.bias, lut);
	for (r = 0; r < 3; r++) {
		eb_tensor_row(&t, lut, r, row);
		for (c = 0; c < 5; c++)
			ck_assert(row[c] == (x[r * 5 + c] == 1e-9f ? 0.0f : x[r * 5 + c]));
	}
	/* corruptions the parser must catch */
	buf[16 + 4 + 16 + 1] |= 0x80;		/* bit 15: padding of the mask */
	ck_assert_int_eq(eb_tensor_parse(buf, size, &t, &used, &m), -EINVAL);
	buf[16 + 4 + 16 + 1] &= 0x7f;
	buf[16 + 4 + 16] ^= 0x01;		/* a bit without a value */
	ck_assert_int_eq(eb_tensor_parse(buf, size, &t, &used, &m), -EINVAL);
	buf[16 + 4 + 16] ^= 0x01;
	ck_assert_int_eq(eb_tensor_parse(buf, size - 8, &t, &used, &m), -EOVERFLOW);
	ck_assert_int_eq(eb_tensor_parse(buf, 10, &t, &used, &m), -EOVERFLOW);
	ck_assert_int_eq(eb_tensor_parse(buf + 2, size, &t, &used, &m), -EINVAL);
}
END_TEST

/* eb_linear equals a plain double-checked dot product for every encoding. */
START_TEST(linear_all_encodings)
{
	enum { N = 13, K = 300, T = 6 };
	static float w[N * K], x[T * K], y[T * N], bias[N];
	float *ws = malloc(eb_linear_ws_floats(K) * sizeof(float));
	static _Alignas(8) uint8_t buf[16 + 4 * N * K + 64];
	float lut[256], row[K];
	struct eb_msg m = eb_msg_init(NULL, 0);
	struct eb_tensor t;
	unsigned int enc, i, j, k;
	size_t used;

	for (i = 0; i < N * K; i++)
		w[i] = (i * 7919 % 13 == 0) ? 0.0f : sinf((float)i) * 0.3f;
	for (i = 0; i < T * K; i++)
		x[i] = cosf((float)i * 0.37f);
	for (i = 0; i < N; i++)
		bias[i] = (float)i * 0.01f;
	for (enc = EB_ENC_F32; enc <= EB_ENC_AF8_SPARSE; enc++) {
		eb_tensor_encode(w, N, K, enc, -1, buf);
		ck_assert_int_eq(eb_tensor_parse(buf, sizeof(buf), &t, &used, &m), 0);
		eb_af8_lut(t.bias, lut);
		/* T rows at once and one at a time give identical bits */
		eb_linear(&t, bias, x, K, T, y, N, ws);
		for (i = 0; i < T; i++) {
			float one[N];

			eb_linear(&t, bias, x + i * K, K, 1, one, N, ws);
			ck_assert_mem_eq(one, y + i * N, sizeof(one));
			for (j = 0; j < N; j++) {
				double ref = bias[j];

				eb_tensor_row(&t, lut, j, row);
				for (k = 0; k < K; k++)
					ref += (double)x[i * K + k] * row[k];
				ck_assert_double_eq_tol(y[i * N + j], ref, 1e-4);
			}
		}
	}
	free(ws);
}
END_TEST

/*
 * Baseline and AVX2 kernels give the same bits on random data, for tile
 * and panel tails, every encoding and column ranges (as threads use them).
 */
START_TEST(linear_paths_bitwise)
{
	enum { N = 45, K = 517, T = 15 };
	static float w[N * K], x[T * K], y0[T * N], y1[T * N], bias[N];
	static _Alignas(8) uint8_t buf[16 + 4 * N * K + 64];
	float *ws = malloc(eb_linear_ws_floats(K) * sizeof(float));
	struct eb_msg m = eb_msg_init(NULL, 0);
	uint32_t seed = 12345, i, t, b, e, p;
	struct eb_tensor tn;
	unsigned int enc;
	size_t used;

	for (i = 0; i < N * K; i++) {
		seed = seed * 1103515245u + 12345u;
		w[i] = (seed >> 8 & 3) ? ((float)(seed >> 9) / 8388608.0f - 1.0f) * 0.1f : 0.0f;
	}
	for (i = 0; i < T * K; i++) {
		seed = seed * 1103515245u + 12345u;
		x[i] = (float)(seed >> 9) / 4194304.0f - 1.0f;
	}
	for (i = 0; i < N; i++)
		bias[i] = x[i] * 0.5f;
	for (enc = EB_ENC_F32; enc <= EB_ENC_AF8_SPARSE; enc++) {
		eb_tensor_encode(w, N, K, enc, -1, buf);
		ck_assert_int_eq(eb_tensor_parse(buf, sizeof(buf), &tn, &used, &m), 0);
		for (t = 1; t <= T; t += 7) {
			eb_simd_force(EB_SIMD_GENERIC);
			eb_linear(&tn, bias, x, K, t, y0, N, ws);
			eb_simd_force(EB_SIMD_AUTO);
			for (p = 0; p < 3; p++) {
				eb_split(N, p, 3, t == 8 ? 1 : EB_LINEAR_ALIGN, &b, &e);
				eb_linear_cols(&tn, bias, x, K, t, y1, N, ws, b, e);
			}
			ck_assert_mem_eq(y0, y1, (size_t)t * N * sizeof(float));
		}
	}
	free(ws);
}
END_TEST

Suite *eb_test_suite(void)
{
	Suite *s = suite_create("af8");
	TCase *tc = tcase_create("af8");

	tcase_add_loop_test(tc, round_trip_every_code, 0, 8);
	tcase_add_loop_test(tc, edges, 0, 8);
	tcase_add_test(tc, rounding);
	tcase_add_test(tc, bias_choice);
	tcase_add_test(tc, bits_and_crc);
	tcase_add_test(tc, sparse_record);
	tcase_add_test(tc, linear_all_encodings);
	tcase_add_test(tc, linear_paths_bitwise);
	suite_add_tcase(s, tc);
	return s;
}
