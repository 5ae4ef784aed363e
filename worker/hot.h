/* hot: compiler settings for the worker's hot loops, included by the modules
 * that hold them (kernels.c, optim.c) after their other headers. -O2 vectorizes
 * only loops of known length, so the including file is compiled at O3; and
 * SIMD_HOT functions are compiled twice, for AVX2 and for the baseline ISA,
 * picked at load time. Both clones do the same IEEE operations in the same
 * order (no FMA contraction under -std=c11, no reassociation), so results do
 * not depend on which one runs. sqrtf vectorizes only with -fno-math-errno,
 * which worker/meson.build passes (a pragma cannot set it). */
#ifndef CAVIAR_HOT_H
#define CAVIAR_HOT_H

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("O3")
#endif
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && \
    !defined(__SANITIZE_ADDRESS__)
#define SIMD_HOT __attribute__((target_clones("avx2", "default")))
#else
#define SIMD_HOT
#endif

#endif
