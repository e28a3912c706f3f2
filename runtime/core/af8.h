/* SPDX-License-Identifier: MIT */
/*
 * AdaptivFloat8 (DESIGN §5, docs/model-format.md §5): the byte [s|eee|mmmm]
 * is (-1)^s * 2^(e + b - 10) * (1 + m/16) for a per-tensor bias b in 0..7;
 * 0x00 and 0x80 are zero, there are no denormals.
 */
#ifndef EB_CORE_AF8_H
#define EB_CORE_AF8_H

#include <stddef.h>
#include <stdint.h>

#define EB_AF8_MAX_BIAS	7

/* Smallest and largest nonzero magnitude at a bias (codes 0x01, 0x7f). */
float eb_af8_min(unsigned int bias);
float eb_af8_max(unsigned int bias);

float eb_af8_decode(uint8_t code, unsigned int bias);

/*
 * Round to nearest, ties to the even mantissa; |x| < min/2 -> 0,
 * min/2 <= |x| < min -> min, |x| > max -> max; NaN -> 0.
 */
uint8_t eb_af8_encode(float x, unsigned int bias);

/* AdaptivFloat's bias: the top exponent holds max|x|. 0 for all zeros. */
unsigned int eb_af8_choose_bias(const float *x, size_t n);

/* All 256 decoded values of a bias: kernels decode through this table. */
void eb_af8_lut(unsigned int bias, float lut[256]);

static inline int eb_af8_is_zero(uint8_t code)
{
	return (code & 0x7f) == 0;
}

/* Bitmask sparse encoding: bit i of the row-major tensor, LSB first. */
static inline int eb_bit_get(const uint8_t *mask, size_t i)
{
	return mask[i >> 3] >> (i & 7) & 1;
}

/* Set bits in [first, first + n). */
size_t eb_bits_count(const uint8_t *mask, size_t first, size_t n);

/* CRC-32 (IEEE 802.3, as zlib's crc32()); crc is 0 for a fresh sum. */
uint32_t eb_crc32(uint32_t crc, const void *buf, size_t len);

#endif /* EB_CORE_AF8_H */
