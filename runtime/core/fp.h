/* SPDX-License-Identifier: MIT */
/*
 * Included first by every core file that does float arithmetic. The CPU
 * backend and the QEMU device must round alike, so a*b+c must never be
 * contracted into an FMA, whatever flags the including build uses (gnu11
 * defaults to -ffp-contract=fast). Both builds also pass -ffp-contract=off;
 * this makes the guarantee hold in the sources themselves.
 */
#ifndef EB_CORE_FP_H
#define EB_CORE_FP_H

#if defined(__clang__)
#pragma STDC FP_CONTRACT OFF
#elif defined(__GNUC__)
#pragma GCC optimize ("fp-contract=off")
#endif

#endif /* EB_CORE_FP_H */
