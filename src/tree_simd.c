/*-------------------------------------------------------------------------
 * tree_simd.c
 *	  The rank walk of tree ensembles (tree.c) 32 trees at a time, with
 *	  AVX-512BW, chosen at run time where the CPU has it.
 *
 * The scalar rank walk follows one node a tree and level: a dependent load
 * and a compare, about 2.5 cycles a visit however the walks of a block
 * overlap.  Here the 32 trees of a block are the 32 sixteen-bit lanes of
 * a vector, and a level's node of each tree is selected without loading
 * through an index: the level's candidate nodes (2^d per tree at level d)
 * are read as 2^d whole vectors and reduced by masked blends, the oldest
 * decision first, so that all but the last blend of a level are done
 * before the previous level's decision is known.  One permute looks the
 * 32 features' ranks up in a register, one compare decides.  A level of
 * depth d costs 2^d - 1 blends: worth it up to depth 6 (57 blends for 32
 * trees' 192 visits); deeper forests keep the scalar walk.  The leaf
 * values are gathered from the scalar walk's own arrays (rvalue, rleaf),
 * so the only new data is the node vectors (2 bytes a node).
 *
 * A node is rank << 8 | feature, and the rank register holds rank << 8 in
 * the lane of each feature: vpermw uses the low five bits of each lane as
 * the index (the feature), and (rank(x) << 8) > (rank << 8 | feature)
 * exactly when rank(x) > rank, so neither side needs unpacking.  Hence at
 * most 32 features (one register of ranks).
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "tree.h"

bool		mldb_simd = true;

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define TREE_SIMD 1
#include <immintrin.h>
#endif

#define SIMD_BLOCK 32
#define SIMD_MAX_DEPTH 6
#define SIMD_MAX_DIM 32

#ifdef TREE_SIMD

static bool
cpu_has_avx512bw(void)
{
	static int	has = -1;

	/* libgcc's check includes the OS's support for the zmm state (XCR0) */
	if (has < 0)
	{
		__builtin_cpu_init();
		has = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
			__builtin_cpu_supports("avx512vl");
	}
	return has;
}

#define SIMD_TARGET __attribute__((target("avx512f,avx512bw,avx512vl")))

/*
 * Candidate selection at a level: S0 loads the node vector at offset o (in
 * blocks of 32 lanes); Sd picks, for each lane, among the 2^d vectors o,
 * o + s, ..., with the decisions a (oldest), b, ... in the order they were
 * made: the vectors that differ in the newest decision are adjacent
 * (stride s), so the newest mask is applied last.
 */
#define S_LD(lv, o) _mm512_loadu_si512((const void *) ((lv) + (Size) (o) * SIMD_BLOCK))
#define S_BL(k, x, y) _mm512_mask_blend_epi16(k, x, y)
#define S0(lv, o, s) S_LD(lv, o)
#define S1(lv, o, s, a) S_BL(a, S0(lv, o, 2 * (s)), S0(lv, (o) + (s), 2 * (s)))
#define S2(lv, o, s, a, b) S_BL(b, S1(lv, o, 2 * (s), a), S1(lv, (o) + (s), 2 * (s), a))
#define S3(lv, o, s, a, b, c) S_BL(c, S2(lv, o, 2 * (s), a, b), S2(lv, (o) + (s), 2 * (s), a, b))
#define S4(lv, o, s, a, b, c, d) S_BL(d, S3(lv, o, 2 * (s), a, b, c), S3(lv, (o) + (s), 2 * (s), a, b, c))
#define S5(lv, o, s, a, b, c, d, e) S_BL(e, S4(lv, o, 2 * (s), a, b, c, d), S4(lv, (o) + (s), 2 * (s), a, b, c, d))

/* level d's candidates start after 2^d - 1 positions */
#define S_LEVEL(nb, d) ((nb) + (Size) ((1 << (d)) - 1) * SIMD_BLOCK)

/*
 * The 32 trees of the block whose nodes start at nb: each one's leaf
 * position (0 .. 2^depth - 1, the path's decisions as bits, the first the
 * highest) in its lane.
 */
static pg_attribute_always_inline SIMD_TARGET __m512i
simd_walk(const uint16 *nb, int depth, __m512i ranks)
{
	const __m512i one = _mm512_set1_epi16(1);
	__m512i		pos = _mm512_setzero_si512();
	__m512i		node;
	__mmask32	m0,
				m1,
				m2,
				m3,
				m4,
				m5;

#define S_DECIDE(node) _mm512_cmpgt_epu16_mask(_mm512_permutexvar_epi16(node, ranks), node)
#define S_BIT(m) (pos = _mm512_mask_add_epi16(_mm512_add_epi16(pos, pos), m, _mm512_add_epi16(pos, pos), one))
	node = S0(S_LEVEL(nb, 0), 0, 1);
	m0 = S_DECIDE(node);
	S_BIT(m0);
	if (depth == 1)
		return pos;
	node = S1(S_LEVEL(nb, 1), 0, 1, m0);
	m1 = S_DECIDE(node);
	S_BIT(m1);
	if (depth == 2)
		return pos;
	node = S2(S_LEVEL(nb, 2), 0, 1, m0, m1);
	m2 = S_DECIDE(node);
	S_BIT(m2);
	if (depth == 3)
		return pos;
	node = S3(S_LEVEL(nb, 3), 0, 1, m0, m1, m2);
	m3 = S_DECIDE(node);
	S_BIT(m3);
	if (depth == 4)
		return pos;
	node = S4(S_LEVEL(nb, 4), 0, 1, m0, m1, m2, m3);
	m4 = S_DECIDE(node);
	S_BIT(m4);
	if (depth == 5)
		return pos;
	node = S5(S_LEVEL(nb, 5), 0, 1, m0, m1, m2, m3, m4);
	m5 = S_DECIDE(node);
	S_BIT(m5);
#undef S_DECIDE
#undef S_BIT
	return pos;
}

/*
 * The ranks of features j0 .. j0 + 7 (rank_of_row in tree.c, the same
 * buckets and the same two compares, eight features at a time); a bucket
 * with more than two thresholds is counted lane by lane.  x has no NaN.
 */
static pg_attribute_always_inline SIMD_TARGET __m256i
simd_rank8(const Forest *f, const double *x, int j0)
{
	const __mmask8 in = f->dim - j0 >= 8 ? 0xff : (__mmask8) ((1 << (f->dim - j0)) - 1);
	const __m256i stride = _mm256_set_epi32(7, 6, 5, 4, 3, 2, 1, 0);
	const __m512d v = _mm512_maskz_loadu_pd(in, x + j0);
	__m512d		b;
	__m256i		se,
				s,
				n,
				at,
				r;
	__mmask8	c0,
				c1,
				more;

	/*
	 * The bucket, as rank_bucket: max() gives its second operand, 0, for
	 * a NaN (an infinite x times a zero scale) as well as for b <= 0.
	 */
	b = _mm512_mul_pd(_mm512_sub_pd(v, _mm512_maskz_loadu_pd(in, f->rlo + j0)),
					  _mm512_maskz_loadu_pd(in, f->rscale + j0));
	b = _mm512_min_pd(_mm512_max_pd(b, _mm512_setzero_pd()), _mm512_set1_pd(RANK_BUCKETS - 1));
	/* the bucket's first and end thresholds: two bytes of rstart */
	se = _mm256_mmask_i32gather_epi32(_mm256_setzero_si256(), in,
									  _mm256_add_epi32(_mm512_cvttpd_epi32(b),
													   _mm256_mullo_epi32(_mm256_add_epi32(stride, _mm256_set1_epi32(j0)),
																		  _mm256_set1_epi32(RANK_BUCKETS + 1))),
									  f->rstart, 1);
	s = _mm256_and_si256(se, _mm256_set1_epi32(0xff));
	n = _mm256_sub_epi32(_mm256_and_si256(_mm256_srli_epi32(se, 8), _mm256_set1_epi32(0xff)), s);
	at = _mm256_add_epi32(_mm256_maskz_loadu_epi32(in, f->roff + j0), s);
	c0 = _mm256_cmpgt_epi32_mask(n, _mm256_setzero_si256()) &
		_mm512_mask_cmp_pd_mask(in, _mm512_mask_i32gather_pd(_mm512_setzero_pd(), in, at, f->rthr, 8), v, _CMP_LT_OQ);
	c1 = _mm256_cmpgt_epi32_mask(n, _mm256_set1_epi32(1)) &
		_mm512_mask_cmp_pd_mask(in, _mm512_mask_i32gather_pd(_mm512_setzero_pd(), in,
															  _mm256_add_epi32(at, _mm256_set1_epi32(1)), f->rthr, 8),
								v, _CMP_LT_OQ);
	r = _mm256_mask_add_epi32(s, c0, s, _mm256_set1_epi32(1));
	r = _mm256_mask_add_epi32(r, c1, r, _mm256_set1_epi32(1));
	more = _mm256_mask_cmpgt_epi32_mask(in, n, _mm256_set1_epi32(2));
	if (unlikely(more != 0))
	{
		int32		rr[8],
					ee[8];

		_mm256_storeu_si256((__m256i *) rr, s);
		_mm256_storeu_si256((__m256i *) ee, _mm256_add_epi32(s, n));
		for (int k = 0; k < 8; k++)
			if (more & (1 << k))
			{
				const double *u = f->rthr + f->roff[j0 + k];

				while (rr[k] < ee[k] && u[rr[k]] < x[j0 + k])
					rr[k]++;
			}
		r = _mm256_mask_loadu_epi32(r, more, rr);
	}
	return r;
}

/* each feature's rank << 8 in its lane (lanes past dim: 0, never read) */
static pg_attribute_always_inline SIMD_TARGET __m512i
simd_ranks(const Forest *f, const double *x)
{
	const __m256i zero = _mm256_setzero_si256();
	__m256i		lo,
				hi = zero;

	lo = _mm512_cvtepi32_epi16(_mm512_inserti64x4(_mm512_castsi256_si512(simd_rank8(f, x, 0)),
												  f->dim > 8 ? simd_rank8(f, x, 8) : zero, 1));
	if (f->dim > 16)
		hi = _mm512_cvtepi32_epi16(_mm512_inserti64x4(_mm512_castsi256_si512(simd_rank8(f, x, 16)),
													  f->dim > 24 ? simd_rank8(f, x, 24) : zero, 1));
	return _mm512_slli_epi16(_mm512_inserti64x4(_mm512_castsi256_si512(lo), hi, 1), 8);
}

/* lanes of block b that hold a tree: the last block's may not */
static inline __mmask32
simd_valid(const Forest *f, int b)
{
	int			n = f->ntrees - b * SIMD_BLOCK;

	return n >= SIMD_BLOCK ? (__mmask32) 0xffffffff : (__mmask32) ((1U << n) - 1);
}

/*
 * Tree 32 b + k's entry for leaf position p in the scalar walk's arrays
 * (blocks of FOREST_BLOCK trees, interleaved): b * 32 * 2^depth +
 * slane[k] + p * FOREST_BLOCK.
 */
#define SIMD_ENTRY_BASE(f, b) ((Size) (b) * SIMD_BLOCK << (f)->rdepth)

/* eight lanes' values (0 where the mask is off) */
#define SIMD_GATHER(m, idx, v) \
	_mm512_mask_i32gather_pd(_mm512_setzero_pd(), (__mmask8) (m), idx, v, 8)

SIMD_TARGET double
tree_simd_sum(const Forest *f, const double *x)
{
	const int	ninner = (1 << f->rdepth) - 1;
	const __m512i ranks = simd_ranks(f, x);
	const __m512i lane_lo = _mm512_loadu_si512((const void *) f->slane);
	const __m512i lane_hi = _mm512_loadu_si512((const void *) (f->slane + 16));
	__m512d		acc0 = _mm512_setzero_pd(),
				acc1 = _mm512_setzero_pd(),
				acc2 = _mm512_setzero_pd(),
				acc3 = _mm512_setzero_pd();

	for (int b = 0; b * SIMD_BLOCK < f->ntrees; b++)
	{
		__m512i		pos = simd_walk(f->snodes + (Size) b * ninner * SIMD_BLOCK, f->rdepth, ranks);
		const double *v = f->rvalue + SIMD_ENTRY_BASE(f, b);
		__mmask32	ok = simd_valid(f, b);
		__m512i		lo = _mm512_add_epi32(_mm512_slli_epi32(_mm512_cvtepu16_epi32(_mm512_castsi512_si256(pos)), 3), lane_lo);
		__m512i		hi = _mm512_add_epi32(_mm512_slli_epi32(_mm512_cvtepu16_epi32(_mm512_extracti64x4_epi64(pos, 1)), 3), lane_hi);

		StaticAssertStmt(FOREST_BLOCK == 8, "an entry index is position * 8 + lane");
		/* the masked-off lanes of the last block are not read at all */
		acc0 = _mm512_add_pd(acc0, SIMD_GATHER(ok, _mm512_castsi512_si256(lo), v));
		acc1 = _mm512_add_pd(acc1, SIMD_GATHER(ok >> 8, _mm512_extracti64x4_epi64(lo, 1), v));
		acc2 = _mm512_add_pd(acc2, SIMD_GATHER(ok >> 16, _mm512_castsi512_si256(hi), v));
		acc3 = _mm512_add_pd(acc3, SIMD_GATHER(ok >> 24, _mm512_extracti64x4_epi64(hi, 1), v));
	}
	return _mm512_reduce_add_pd(_mm512_add_pd(_mm512_add_pd(acc0, acc1), _mm512_add_pd(acc2, acc3)));
}

SIMD_TARGET void
tree_simd_leaves(const Forest *f, const double *x, int *leaf)
{
	const int	ninner = (1 << f->rdepth) - 1;
	const __m512i ranks = simd_ranks(f, x);

	for (int b = 0; b * SIMD_BLOCK < f->ntrees; b++)
	{
		const int32 *e = f->rleaf + SIMD_ENTRY_BASE(f, b);
		uint16		pos[SIMD_BLOCK];

		_mm512_storeu_si512((void *) pos,
							simd_walk(f->snodes + (Size) b * ninner * SIMD_BLOCK, f->rdepth, ranks));
		for (int k = 0; k < Min(SIMD_BLOCK, f->ntrees - b * SIMD_BLOCK); k++)
			leaf[b * SIMD_BLOCK + k] = e[f->slane[k] + pos[k] * FOREST_BLOCK];
	}
}

#endif							/* TREE_SIMD */

/*
 * Lay the rank walk's nodes out for this file's walk, when it can take
 * them (see the top of the file) and the CPU can run it.  The scalar
 * walk's arrays stay: leaves and values come from them, and the scalar
 * walk remains the one where mldb.simd is off.
 */
void
tree_simd_prepare(Forest *f)
{
	f->snodes = NULL;
#ifdef TREE_SIMD
	if (f->rdepth == 0 || f->rdepth > SIMD_MAX_DEPTH || f->dim > SIMD_MAX_DIM ||
		!cpu_has_avx512bw())
		return;
	{
		const int	ninner = (1 << f->rdepth) - 1;
		int			nblocks = (f->ntrees + SIMD_BLOCK - 1) / SIMD_BLOCK;

		f->snodes = palloc(sizeof(uint16) * (Size) nblocks * SIMD_BLOCK * ninner);
		for (int t = 0; t < nblocks * SIMD_BLOCK; t++)
			for (int p = 0; p < ninner; p++)
			{
				uint16		node = RANK_ALWAYS_LEFT << 8;	/* a padding tree */

				if (t < f->ntrees)
				{
					const RankNode *n = &f->rnodes[(Size) (t / FOREST_BLOCK) * ninner * FOREST_BLOCK +
												   (Size) p * FOREST_BLOCK + t % FOREST_BLOCK];

					Assert(n->feature < SIMD_MAX_DIM);
					node = (uint16) (n->rank << 8 | n->feature);
				}
				f->snodes[(Size) (t / SIMD_BLOCK) * ninner * SIMD_BLOCK + (Size) p * SIMD_BLOCK +
						  t % SIMD_BLOCK] = node;
			}
		for (int k = 0; k < SIMD_BLOCK; k++)
			f->slane[k] = (k / FOREST_BLOCK) * (FOREST_BLOCK << f->rdepth) + k % FOREST_BLOCK;
	}
#endif
}

#ifndef TREE_SIMD
double
tree_simd_sum(const Forest *f, const double *x)
{
	elog(ERROR, "the vector tree walk is not built on this platform");
	return 0;
}

void
tree_simd_leaves(const Forest *f, const double *x, int *leaf)
{
	elog(ERROR, "the vector tree walk is not built on this platform");
}
#endif
