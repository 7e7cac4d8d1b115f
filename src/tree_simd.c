/*-------------------------------------------------------------------------
 * tree_simd.c
 *	  The rank walk of tree ensembles (tree.c) 32 trees at a time with
 *	  AVX-512BW, or 16 at a time with AVX2, chosen at run time by what the
 *	  CPU has (and mldb.simd).
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
 * most 32 features (one register of ranks).  The AVX2 walk (below) is the
 * same template with vector masks and a byte shuffle.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "tree.h"

int			mldb_simd = MLDB_SIMD_ON;

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define TREE_SIMD 1
#include <immintrin.h>
#endif

#define SIMD_BLOCK 32
#define SIMD_MAX_DEPTH 6
#define SIMD_MAX_DIM 32
#define AVX2_BLOCK 16
#define AVX2_MAX_DIM 16


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

static bool
cpu_has_avx2(void)
{
	static int	has = -1;

	if (has < 0)
	{
		__builtin_cpu_init();
		has = __builtin_cpu_supports("avx2");
	}
	return has;
}

#define SIMD_TARGET __attribute__((target("avx512f,avx512bw,avx512vl")))

/*
 * The walk of a block, in three widths: all 32 lanes, or the first 16 or
 * 8 for a last block with fewer trees, which then loads and blends a half
 * or a quarter of the bytes (the layout is the same).  The rank lookup is
 * the 512-bit permute in every width: a narrower vpermw indexes fewer
 * than 32 features.
 */
#define SW_NAME simd_walk32
#define SW_TARGET SIMD_TARGET
#define SW_STRIDE SIMD_BLOCK
#define SW_RANKS_T __m512i
#define SW_VEC __m512i
#define SW_MASK __mmask32
#define SW_LOAD(p) _mm512_loadu_si512((const void *) (p))
#define SW_BLEND(k, a, b) _mm512_mask_blend_epi16(k, a, b)
#define SW_GT(a, b) _mm512_cmpgt_epu16_mask(a, b)
#define SW_RANKS(v) _mm512_permutexvar_epi16(v, ranks)
#define SW_ADD(a, b) _mm512_add_epi16(a, b)
#define SW_MASK_ADD(s, k, a, b) _mm512_mask_add_epi16(s, k, a, b)
#define SW_ONE _mm512_set1_epi16(1)
#define SW_ZERO _mm512_setzero_si512()
#include "tree_simd_walk.h"

#define SW_NAME simd_walk16
#define SW_TARGET SIMD_TARGET
#define SW_STRIDE SIMD_BLOCK
#define SW_RANKS_T __m512i
#define SW_VEC __m256i
#define SW_MASK __mmask16
#define SW_LOAD(p) _mm256_loadu_si256((const __m256i *) (p))
#define SW_BLEND(k, a, b) _mm256_mask_blend_epi16(k, a, b)
#define SW_GT(a, b) _mm256_cmpgt_epu16_mask(a, b)
#define SW_RANKS(v) _mm512_castsi512_si256(_mm512_permutexvar_epi16(_mm512_castsi256_si512(v), ranks))
#define SW_ADD(a, b) _mm256_add_epi16(a, b)
#define SW_MASK_ADD(s, k, a, b) _mm256_mask_add_epi16(s, k, a, b)
#define SW_ONE _mm256_set1_epi16(1)
#define SW_ZERO _mm256_setzero_si256()
#include "tree_simd_walk.h"

#define SW_NAME simd_walk8
#define SW_TARGET SIMD_TARGET
#define SW_STRIDE SIMD_BLOCK
#define SW_RANKS_T __m512i
#define SW_VEC __m128i
#define SW_MASK __mmask8
#define SW_LOAD(p) _mm_loadu_si128((const __m128i *) (p))
#define SW_BLEND(k, a, b) _mm_mask_blend_epi16(k, a, b)
#define SW_GT(a, b) _mm_cmpgt_epu16_mask(a, b)
#define SW_RANKS(v) _mm512_castsi512_si128(_mm512_permutexvar_epi16(_mm512_castsi128_si512(v), ranks))
#define SW_ADD(a, b) _mm_add_epi16(a, b)
#define SW_MASK_ADD(s, k, a, b) _mm_mask_add_epi16(s, k, a, b)
#define SW_ONE _mm_set1_epi16(1)
#define SW_ZERO _mm_setzero_si128()
#include "tree_simd_walk.h"

/*
 * Block b's leaf positions, in its first lanes (the rest: 0): the
 * narrowest walk that covers the block's trees.
 */
static pg_attribute_always_inline SIMD_TARGET __m512i
simd_block(const Forest *f, int b, __m512i ranks)
{
	const uint16 *nb = f->snodes + (Size) b * ((1 << f->rdepth) - 1) * SIMD_BLOCK;
	int			n = f->ntrees - b * SIMD_BLOCK;

	if (n > 16)
		return simd_walk32(nb, f->rdepth, ranks);
	if (n > 8)
		return _mm512_zextsi256_si512(simd_walk16(nb, f->rdepth, ranks));
	return _mm512_zextsi128_si512(simd_walk8(nb, f->rdepth, ranks));
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
	const __m512i ranks = simd_ranks(f, x);
	const __m512i lane_lo = _mm512_loadu_si512((const void *) f->slane);
	const __m512i lane_hi = _mm512_loadu_si512((const void *) (f->slane + 16));
	__m512d		acc0 = _mm512_setzero_pd(),
				acc1 = _mm512_setzero_pd(),
				acc2 = _mm512_setzero_pd(),
				acc3 = _mm512_setzero_pd();

	for (int b = 0; b * SIMD_BLOCK < f->ntrees; b++)
	{
		__m512i		pos = simd_block(f, b, ranks);
		const double *v = f->rvalue + SIMD_ENTRY_BASE(f, b);
		__mmask32	ok = simd_valid(f, b);
		__m512i		lo = _mm512_add_epi32(_mm512_slli_epi32(_mm512_cvtepu16_epi32(_mm512_castsi512_si256(pos)), 3), lane_lo);
		__m512i		hi = _mm512_add_epi32(_mm512_slli_epi32(_mm512_cvtepu16_epi32(_mm512_extracti64x4_epi64(pos, 1)), 3), lane_hi);

		StaticAssertStmt(FOREST_BLOCK == 8, "an entry index is position * 8 + lane");
		/* lanes without a tree are not read at all */
		acc0 = _mm512_add_pd(acc0, SIMD_GATHER(ok, _mm512_castsi512_si256(lo), v));
		acc1 = _mm512_add_pd(acc1, SIMD_GATHER(ok >> 8, _mm512_extracti64x4_epi64(lo, 1), v));
		if (ok >> 16)
		{
			acc2 = _mm512_add_pd(acc2, SIMD_GATHER(ok >> 16, _mm512_castsi512_si256(hi), v));
			acc3 = _mm512_add_pd(acc3, SIMD_GATHER(ok >> 24, _mm512_extracti64x4_epi64(hi, 1), v));
		}
	}
	return _mm512_reduce_add_pd(_mm512_add_pd(_mm512_add_pd(acc0, acc1), _mm512_add_pd(acc2, acc3)));
}

SIMD_TARGET void
tree_simd_leaves(const Forest *f, const double *x, int *leaf)
{
	const __m512i ranks = simd_ranks(f, x);

	for (int b = 0; b * SIMD_BLOCK < f->ntrees; b++)
	{
		const int32 *e = f->rleaf + SIMD_ENTRY_BASE(f, b);
		uint16		pos[SIMD_BLOCK];

		_mm512_storeu_si512((void *) pos, simd_block(f, b, ranks));
		for (int k = 0; k < Min(SIMD_BLOCK, f->ntrees - b * SIMD_BLOCK); k++)
			leaf[b * SIMD_BLOCK + k] = e[f->slane[k] + pos[k] * FOREST_BLOCK];
	}
}

/*
 * The AVX2 walk, for CPUs without AVX-512: 16 trees a vector, on at most
 * 16 features.  AVX2 has no mask registers and no unsigned 16-bit compare,
 * and its byte shuffle looks up 16 entries: the nodes (anodes) are stored
 * with their top bit flipped, (rank << 8 | feature) ^ 0x8000, so that the
 * signed compare orders them as unsigned numbers; the table holds each
 * feature's rank ^ 0x80, and the shuffle, indexed by the feature moved to
 * the high byte (the low byte's index 0x80 gives 0), returns
 * (rank(x) << 8) ^ 0x8000 in each lane.  The ranks are tree.c's.
 */
#define AVX2_TARGET __attribute__((target("avx2")))

#define SW_NAME simd_walk_avx2
#define SW_TARGET AVX2_TARGET
#define SW_STRIDE AVX2_BLOCK
#define SW_RANKS_T __m256i
#define SW_VEC __m256i
#define SW_MASK __m256i
#define SW_LOAD(p) _mm256_loadu_si256((const __m256i *) (p))
#define SW_BLEND(k, a, b) _mm256_blendv_epi8(a, b, k)
#define SW_GT(a, b) _mm256_cmpgt_epi16(a, b)
#define SW_RANKS(v) _mm256_shuffle_epi8(ranks, _mm256_or_si256(_mm256_slli_epi16(v, 8), _mm256_set1_epi16(0x80)))
#define SW_ADD(a, b) _mm256_add_epi16(a, b)
#define SW_MASK_ADD(s, k, a, b) _mm256_add_epi16(a, _mm256_and_si256(k, b))
#define SW_ONE _mm256_set1_epi16(1)
#define SW_ZERO _mm256_setzero_si256()
#include "tree_simd_walk.h"

/* the shuffle table of the AVX2 walk: rank ^ 0x80 per feature, twice */
static pg_attribute_always_inline AVX2_TARGET __m256i
avx2_ranks(const Forest *f, const uint8 *rank)
{
	uint8		t[16] = {0};

	for (int j = 0; j < f->dim; j++)
		t[j] = rank[j] ^ 0x80;
	return _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *) t));
}

/* AVX2 block b's leaf positions (as simd_block) */
static pg_attribute_always_inline AVX2_TARGET __m256i
avx2_block(const Forest *f, int b, __m256i ranks)
{
	return simd_walk_avx2(f->anodes + (Size) b * ((1 << f->rdepth) - 1) * AVX2_BLOCK, f->rdepth, ranks);
}

/* four values v[idx] (0 where the 32-bit lanes of ok are 0) */
#define AVX2_GATHER(v, idx, ok) \
	_mm256_mask_i32gather_pd(_mm256_setzero_pd(), v, idx, _mm256_castsi256_pd(_mm256_cvtepi32_epi64(ok)), 8)

AVX2_TARGET double
tree_simd_sum_avx2(const Forest *f, const uint8 *rank)
{
	const __m256i ranks = avx2_ranks(f, rank);
	const __m256i lane_lo = _mm256_loadu_si256((const __m256i *) f->slane);
	const __m256i lane_hi = _mm256_loadu_si256((const __m256i *) (f->slane + 8));
	__m256d		acc = _mm256_setzero_pd();
	double		part[4];

	for (int b = 0; b * AVX2_BLOCK < f->ntrees; b++)
	{
		const double *v = f->rvalue + ((Size) b * AVX2_BLOCK << f->rdepth);
		__m256i		pos = avx2_block(f, b, ranks);
		int			n = Min(AVX2_BLOCK, f->ntrees - b * AVX2_BLOCK);
		__m256i		lo = _mm256_add_epi32(_mm256_slli_epi32(_mm256_cvtepu16_epi32(_mm256_castsi256_si128(pos)), 3), lane_lo);
		__m256i		hi = _mm256_add_epi32(_mm256_slli_epi32(_mm256_cvtepu16_epi32(_mm256_extracti128_si256(pos, 1)), 3), lane_hi);
		__m256i		ok_lo = _mm256_cmpgt_epi32(_mm256_set1_epi32(n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
		__m256i		ok_hi = _mm256_cmpgt_epi32(_mm256_set1_epi32(n), _mm256_setr_epi32(8, 9, 10, 11, 12, 13, 14, 15));

		/* four lanes a gather; lanes without a tree are masked off, not read */
		acc = _mm256_add_pd(acc, AVX2_GATHER(v, _mm256_castsi256_si128(lo), _mm256_castsi256_si128(ok_lo)));
		acc = _mm256_add_pd(acc, AVX2_GATHER(v, _mm256_extracti128_si256(lo, 1), _mm256_extracti128_si256(ok_lo, 1)));
		acc = _mm256_add_pd(acc, AVX2_GATHER(v, _mm256_castsi256_si128(hi), _mm256_castsi256_si128(ok_hi)));
		acc = _mm256_add_pd(acc, AVX2_GATHER(v, _mm256_extracti128_si256(hi, 1), _mm256_extracti128_si256(ok_hi, 1)));
	}
	_mm256_storeu_pd(part, acc);
	return (part[0] + part[1]) + (part[2] + part[3]);
}

AVX2_TARGET void
tree_simd_leaves_avx2(const Forest *f, const uint8 *rank, int *leaf)
{
	const __m256i ranks = avx2_ranks(f, rank);

	for (int b = 0; b * AVX2_BLOCK < f->ntrees; b++)
	{
		const int32 *e = f->rleaf + ((Size) b * AVX2_BLOCK << f->rdepth);
		uint16		pos[AVX2_BLOCK];

		_mm256_storeu_si256((__m256i *) pos, avx2_block(f, b, ranks));
		for (int k = 0; k < Min(AVX2_BLOCK, f->ntrees - b * AVX2_BLOCK); k++)
			leaf[b * AVX2_BLOCK + k] = e[f->slane[k] + pos[k] * FOREST_BLOCK];
	}
}

/*
 * Tree t's node at perfect position p as the vector walks hold it, rank <<
 * 8 | feature, from the scalar rank walk's (a tree past the last: padding,
 * always left).
 */
static uint16
simd_node(const Forest *f, int t, int p)
{
	const int	ninner = (1 << f->rdepth) - 1;
	const RankNode *n;

	if (t >= f->ntrees)
		return RANK_ALWAYS_LEFT << 8;
	n = &f->rnodes[(Size) (t / FOREST_BLOCK) * ninner * FOREST_BLOCK + (Size) p * FOREST_BLOCK +
				   t % FOREST_BLOCK];
	return (uint16) (n->rank << 8 | n->feature);
}

/* The nodes in blocks of 'block' trees, position by position, xor flip. */
static uint16 *
simd_layout(const Forest *f, int block, uint16 flip)
{
	const int	ninner = (1 << f->rdepth) - 1;
	int			nblocks = (f->ntrees + block - 1) / block;
	uint16	   *out = palloc(sizeof(uint16) * (Size) nblocks * block * ninner);

	for (int t = 0; t < nblocks * block; t++)
		for (int p = 0; p < ninner; p++)
			out[(Size) (t / block) * ninner * block + (Size) p * block + t % block] =
				simd_node(f, t, p) ^ flip;
	return out;
}
#endif

/*
 * Lay the rank walk's nodes out for this file's walks, those the forest
 * fits (see above: depth, features) and the CPU can run.  The scalar
 * walk's arrays stay: leaves and values come from them, and the scalar
 * walk remains the one where mldb.simd is off.  Where the CPU has AVX-512
 * the AVX2 layout is built too, for mldb.simd = avx2.
 */
void
tree_simd_prepare(Forest *f)
{
	f->snodes = NULL;
	f->anodes = NULL;
#ifdef TREE_SIMD
	if (f->rdepth == 0 || f->rdepth > SIMD_MAX_DEPTH)
		return;
	for (int k = 0; k < SIMD_BLOCK; k++)
		f->slane[k] = (k / FOREST_BLOCK) * (FOREST_BLOCK << f->rdepth) + k % FOREST_BLOCK;
	if (f->dim <= SIMD_MAX_DIM && cpu_has_avx512bw())
		f->snodes = simd_layout(f, SIMD_BLOCK, 0);
	if (f->dim <= AVX2_MAX_DIM && cpu_has_avx2())
		f->anodes = simd_layout(f, AVX2_BLOCK, 0x8000);
#endif
}

#ifndef TREE_SIMD
/* Not on this platform: the layouts are never built, so never called. */
#define SIMD_UNBUILT elog(ERROR, "the vector tree walk is not built on this platform")

double
tree_simd_sum(const Forest *f, const double *x) { SIMD_UNBUILT; return 0; }
void
tree_simd_leaves(const Forest *f, const double *x, int *leaf) { SIMD_UNBUILT; }
double
tree_simd_sum_avx2(const Forest *f, const uint8 *rank) { SIMD_UNBUILT; return 0; }
void
tree_simd_leaves_avx2(const Forest *f, const uint8 *rank, int *leaf) { SIMD_UNBUILT; }
#endif
