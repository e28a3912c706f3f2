/* SPDX-License-Identifier: MIT */
/*
 * Little-endian field access for the model format. Payload arrays (f32,
 * u32 tables) are used in place, so the host must be little-endian too.
 */
#ifndef EB_CORE_LE_H
#define EB_CORE_LE_H

#include <stdint.h>
#include <string.h>

_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
	       "the .ebm payload is used in place: little-endian hosts only");

static inline uint16_t eb_get16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static inline uint32_t eb_get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static inline uint64_t eb_get64(const uint8_t *p)
{
	return eb_get32(p) | (uint64_t)eb_get32(p + 4) << 32;
}

static inline float eb_getf(const uint8_t *p)
{
	uint32_t u = eb_get32(p);
	float f;

	memcpy(&f, &u, sizeof(f));
	return f;
}

static inline void eb_put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static inline void eb_put32(uint8_t *p, uint32_t v)
{
	eb_put16(p, (uint16_t)v);
	eb_put16(p + 2, (uint16_t)(v >> 16));
}

static inline void eb_put64(uint8_t *p, uint64_t v)
{
	eb_put32(p, (uint32_t)v);
	eb_put32(p + 4, (uint32_t)(v >> 32));
}

static inline void eb_putf(uint8_t *p, float f)
{
	uint32_t u;

	memcpy(&u, &f, sizeof(u));
	eb_put32(p, u);
}

static inline uint64_t eb_align(uint64_t v, uint64_t a)
{
	return (v + a - 1) / a * a;
}

#endif /* EB_CORE_LE_H */
