// SPDX-License-Identifier: MIT
/*
 * AdaptivFloat8 encode/decode, bitmask helpers and CRC-32. The encoder works
 * on exact float arithmetic only (scaling by powers of two, rint), so it
 * gives the same bytes on every IEEE machine and in tools/ref/ebm.py.
 */
#include <math.h>

#include "af8.h"

float eb_af8_min(unsigned int bias)
{
	return ldexpf(17.0f / 16.0f, (int)bias - 10);
}

float eb_af8_max(unsigned int bias)
{
	return ldexpf(31.0f / 16.0f, (int)bias - 3);
}

float eb_af8_decode(uint8_t code, unsigned int bias)
{
	int e = code >> 4 & 7, m = code & 15;
	float v;

	if (eb_af8_is_zero(code))
		return 0.0f;
	v = ldexpf(1.0f + (float)m / 16.0f, e + (int)bias - 10);
	return code & 0x80 ? -v : v;
}

uint8_t eb_af8_encode(float x, unsigned int bias)
{
	float a = fabsf(x), lo = eb_af8_min(bias);
	uint8_t sign = signbit(x) ? 0x80 : 0;
	int e, code_e;
	float m;

	if (!(a >= lo * 0.5f))		/* also NaN */
		return 0;
	if (a < lo)
		return sign | 0x01;
	if (a >= eb_af8_max(bias))
		return sign | 0x7f;
	/* a = f * 2^e with f in [0.5, 1): the unbiased exponent is e - 1. */
	frexpf(a, &e);
	e -= 1;
	/* 16 * (a / 2^e - 1) is exact in binary32; rintf rounds half to even. */
	m = rintf(ldexpf(a, -e) * 16.0f - 16.0f);
	code_e = e - (int)bias + 10;
	if (m == 16.0f) {		/* carry; a < max keeps code_e <= 7 */
		m = 0.0f;
		code_e++;
	}
	return sign | (uint8_t)(code_e << 4) | (uint8_t)m;
}

unsigned int eb_af8_choose_bias(const float *x, size_t n)
{
	float mx = 0.0f;
	size_t i;
	int e;

	for (i = 0; i < n; i++)
		if (fabsf(x[i]) > mx)
			mx = fabsf(x[i]);
	if (!(mx > 0.0f))
		return 0;
	if (isinf(mx))
		return EB_AF8_MAX_BIAS;
	frexpf(mx, &e);
	/* top code exponent 7: 7 + b - 10 = floor(log2 mx) = e - 1 */
	e = e - 1 + 3;
	return e < 0 ? 0 : e > EB_AF8_MAX_BIAS ? EB_AF8_MAX_BIAS : (unsigned int)e;
}

void eb_af8_lut(unsigned int bias, float lut[256])
{
	unsigned int c;

	for (c = 0; c < 256; c++)
		lut[c] = eb_af8_decode((uint8_t)c, bias);
}

size_t eb_bits_count(const uint8_t *mask, size_t first, size_t n)
{
	size_t i = first, end = first + n, count = 0;

	for (; i < end && (i & 7); i++)
		count += eb_bit_get(mask, i);
	for (; i + 8 <= end; i += 8)
		count += (size_t)__builtin_popcount(mask[i >> 3]);
	for (; i < end; i++)
		count += eb_bit_get(mask, i);
	return count;
}

uint32_t eb_crc32(uint32_t crc, const void *buf, size_t len)
{
	/* Nibble-wise table: 64 bytes of constants, ~1 GB/s. */
	static const uint32_t tab[16] = {
		0x00000000, 0x1db71064, 0x3b6e20c8, 0x26d930ac,
		0x76dc4190, 0x6b6b51f4, 0x4db26158, 0x5005713c,
		0xedb88320, 0xf00f9344, 0xd6d6a3e8, 0xcb61b38c,
		0x9b64c2b0, 0x86d3d2d4, 0xa00ae278, 0xbdbdf21c,
	};
	const uint8_t *p = buf;

	crc = ~crc;
	while (len--) {
		crc ^= *p++;
		crc = (crc >> 4) ^ tab[crc & 15];
		crc = (crc >> 4) ^ tab[crc & 15];
	}
	return ~crc;
}
