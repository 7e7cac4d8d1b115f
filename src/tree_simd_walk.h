/*-------------------------------------------------------------------------
 * tree_simd_walk.h
 *	  The vector rank walk of one block of trees, as a template: included
 *	  by tree_simd.c once per vector width, after defining
 *
 *	  SW_NAME		the function's name
 *	  SW_TARGET		its target attribute (the instruction set)
 *	  SW_STRIDE		lanes between two candidate vectors in memory (the
 *					layout's block width)
 *	  SW_VEC		the vector type (its 16-bit lanes are trees)
 *	  SW_MASK		the mask type, a lane's decision
 *	  SW_RANKS_T	the type of the rank table argument 'ranks'
 *	  SW_LOAD(p)	a vector load
 *	  SW_BLEND(k, a, b)	b where k is set, else a
 *	  SW_GT(a, b)	the lanes where a > b, as the nodes are encoded
 *	  SW_RANKS(v)	each lane's feature's rank << 8 (from 'ranks'), encoded
 *					as the nodes are
 *	  SW_ADD(a, b), SW_MASK_ADD(src, k, a, b), SW_ONE, SW_ZERO
 *
 * (as PostgreSQL's lib/sort_template.h); it undefines them at the end.
 *
 * The function returns, in each lane, its tree's leaf position: 0 ..
 * 2^depth - 1, the path's decisions as bits, the first the highest.  A
 * level's candidates (2^d vectors at level d) are reduced by masked
 * blends, the oldest decision first, so only the last blend of a level
 * waits for the previous level's decision.
 *-------------------------------------------------------------------------
 */

/*
 * Candidate selection: SW_S0 loads the node vector at offset o (in
 * blocks of SW_STRIDE lanes); SW_Sd picks, lane by lane, among the 2^d
 * vectors o, o + s, ..., with the decisions a (oldest), b, ... in the
 * order they were made: the vectors that differ in the newest decision
 * are adjacent (stride s), so the newest mask is applied last.
 */
#define SW_S0(lv, o, s) SW_LOAD((lv) + (Size) (o) * SW_STRIDE)
#define SW_S1(lv, o, s, a) SW_BLEND(a, SW_S0(lv, o, 2 * (s)), SW_S0(lv, (o) + (s), 2 * (s)))
#define SW_S2(lv, o, s, a, b) SW_BLEND(b, SW_S1(lv, o, 2 * (s), a), SW_S1(lv, (o) + (s), 2 * (s), a))
#define SW_S3(lv, o, s, a, b, c) SW_BLEND(c, SW_S2(lv, o, 2 * (s), a, b), SW_S2(lv, (o) + (s), 2 * (s), a, b))
#define SW_S4(lv, o, s, a, b, c, d) SW_BLEND(d, SW_S3(lv, o, 2 * (s), a, b, c), SW_S3(lv, (o) + (s), 2 * (s), a, b, c))
#define SW_S5(lv, o, s, a, b, c, d, e) SW_BLEND(e, SW_S4(lv, o, 2 * (s), a, b, c, d), SW_S4(lv, (o) + (s), 2 * (s), a, b, c, d))

/* level d's candidates start after 2^d - 1 positions */
#define SW_LEVEL(nb, d) ((nb) + (Size) ((1 << (d)) - 1) * SW_STRIDE)

/* a decision: rank(x) > rank exactly when (rank(x) << 8) > (rank << 8 | feature) */
#define SW_DECIDE(node) SW_GT(SW_RANKS(node), node)
#define SW_BIT(m) (pos = SW_MASK_ADD(SW_ADD(pos, pos), m, SW_ADD(pos, pos), SW_ONE))

static pg_attribute_always_inline SW_TARGET SW_VEC
SW_NAME(const uint16 *nb, int depth, SW_RANKS_T ranks)
{
	SW_VEC		pos = SW_ZERO;
	SW_VEC		node;
	SW_MASK		m0,
				m1,
				m2,
				m3,
				m4,
				m5;

	node = SW_S0(SW_LEVEL(nb, 0), 0, 1);
	m0 = SW_DECIDE(node);
	SW_BIT(m0);
	if (depth == 1)
		return pos;
	node = SW_S1(SW_LEVEL(nb, 1), 0, 1, m0);
	m1 = SW_DECIDE(node);
	SW_BIT(m1);
	if (depth == 2)
		return pos;
	node = SW_S2(SW_LEVEL(nb, 2), 0, 1, m0, m1);
	m2 = SW_DECIDE(node);
	SW_BIT(m2);
	if (depth == 3)
		return pos;
	node = SW_S3(SW_LEVEL(nb, 3), 0, 1, m0, m1, m2);
	m3 = SW_DECIDE(node);
	SW_BIT(m3);
	if (depth == 4)
		return pos;
	node = SW_S4(SW_LEVEL(nb, 4), 0, 1, m0, m1, m2, m3);
	m4 = SW_DECIDE(node);
	SW_BIT(m4);
	if (depth == 5)
		return pos;
	node = SW_S5(SW_LEVEL(nb, 5), 0, 1, m0, m1, m2, m3, m4);
	m5 = SW_DECIDE(node);
	SW_BIT(m5);
	return pos;
}

#undef SW_S0
#undef SW_S1
#undef SW_S2
#undef SW_S3
#undef SW_S4
#undef SW_S5
#undef SW_LEVEL
#undef SW_DECIDE
#undef SW_BIT
#undef SW_NAME
#undef SW_TARGET
#undef SW_STRIDE
#undef SW_RANKS_T
#undef SW_VEC
#undef SW_MASK
#undef SW_LOAD
#undef SW_BLEND
#undef SW_GT
#undef SW_RANKS
#undef SW_ADD
#undef SW_MASK_ADD
#undef SW_ONE
#undef SW_ZERO
