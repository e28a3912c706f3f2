/* SPDX-License-Identifier: MIT */
/*
 * The core's vector code: one GCC/Clang generic-vector body per kernel,
 * always inlined into a baseline wrapper and an AVX2 wrapper. Lanes do
 * plain IEEE mul and add in the same order on every path, so the wrappers
 * give identical bits; AVX2 only makes them wider. No FMA anywhere: the
 * AVX2 target does not enable it, and fp.h keeps the compiler from fusing.
 */
#ifndef EB_CORE_SIMD_H
#define EB_CORE_SIMD_H

#include "fp.h"

/* Eight floats: one AVX register, two SSE/NEON registers. */
typedef float eb_v8 __attribute__((vector_size(32)));

#define EB_INLINE	static inline __attribute__((always_inline))

/* Unaligned, aliasing views for loads and stores: *(eb_v8u *)p. */
typedef float eb_v8u __attribute__((vector_size(32), aligned(4), may_alias));
typedef float eb_v4u __attribute__((vector_size(16), aligned(4), may_alias));

#define eb_ld8(p)	(*(const eb_v8u *)(p))
#define eb_st8(p, v)	(*(eb_v8u *)(p) = (v))

#if (defined(__x86_64__) || defined(__i386__)) && defined(__GNUC__)
#define EB_HAVE_AVX2	1
#define EB_TARGET_AVX2	__attribute__((target("avx2")))
#endif

enum eb_simd {
	EB_SIMD_AUTO = -1,
	EB_SIMD_GENERIC = 0,
	EB_SIMD_AVX2 = 1,
};

/* The path the kernels take now: the forced one, else the best the CPU has. */
enum eb_simd eb_simd_level(void);

/*
 * Tests and the benchmark force a path (EB_SIMD_AUTO undoes it); not for
 * use while kernels run. Returns the level in effect, which is lower than
 * asked if the CPU lacks it.
 */
enum eb_simd eb_simd_force(enum eb_simd level);

#endif /* EB_CORE_SIMD_H */
