/*-------------------------------------------------------------------------
 * tree.h
 *	  Machinery shared by the tree learners (algo_tree.c): quantile bins
 *	  per encoded slot, the pass that materialises the binned training
 *	  matrix (PASS_TREE_DATA), histogram tree growth with histogram
 *	  subtraction, the flattened node arrays predict walks, and TreeSHAP.
 *-------------------------------------------------------------------------
 */
#ifndef MLDB_TREE_H
#define MLDB_TREE_H

#include <math.h>

#include "common/pg_prng.h"
#include "pass.h"

#define TREE_MAX_BINS 255
#define TREE_MAX_DEPTH 64		/* "unlimited" depth, and the stored bound */

/* GUC mldb.tree_memory, in kB */
extern int	mldb_tree_memory;
extern void mldb_tree_init(void);

/* palloc for arrays that may pass 1 GB (MCXT_ALLOC_HUGE) */
extern void *tree_alloc(Size size);

/* ---------------------------------------------------------------------
 * Bins: x goes to bin b when edge[b-1] < x <= edge[b] (scikit-learn's
 * HistGradientBoosting rule); slot j has nbins[j] bins and nbins[j] - 1
 * edges.  A missing value (NaN) goes to bin nbins[j], the missing bin;
 * histograms carry it for the slots that have missing training values.
 * ---------------------------------------------------------------------
 */
typedef struct TreeBinner
{
	int			dim;
	int		   *nbins;			/* dim */
	int		   *edge_off;		/* dim + 1: slot j's edges start here */
	double	   *edges;
	int		   *hist_off;		/* dim + 1: slot j's first histogram bin */
	bool	   *missing;		/* dim: slot j's training rows have missing
								 * values (its histogram has nbins[j] + 1
								 * bins); set by tree_data_finish */
} TreeBinner;

extern TreeBinner *tree_binner_build(const double *x, int n, int dim, int max_bins);
extern void tree_binner_write(StringInfo buf, const TreeBinner *b);
extern TreeBinner *tree_binner_read(BinReader *r, int dim);

static inline int
tree_bin_of(const TreeBinner *b, int j, double v)
{
	const double *e = b->edges + b->edge_off[j];
	int			lo = 0;
	int			hi = b->nbins[j] - 1;

	if (isnan(v))
		return b->nbins[j];		/* the missing bin */
	/* the first edge >= v */
	while (lo < hi)
	{
		int			mid = (lo + hi) >> 1;

		if (v <= e[mid])
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}

/* ---------------------------------------------------------------------
 * PASS_TREE_DATA: the binned training rows.  ctx->extra holds the binner
 * and the row budget; beyond the budget the pass keeps the rows with the
 * smallest sample keys (a uniform sample that merges exactly).
 * ---------------------------------------------------------------------
 */
typedef struct TreeDataAcc
{
	int			dim;			/* slots binned: the pass's, less indicators */
	int			nind;			/* missing-value indicators in the pass's rows */
	int		   *ind_slot;		/* nind: the indicator's slot */
	int		   *ind_value;		/* nind: the slot it flags (NaN when set) */
	int64		max_rows;
	int64		n;
	int64		cap;
	int64		seen;			/* training rows the pass saw */
	uint64		cutoff;			/* rows with a key >= cutoff are out */
	uint8	   *bins;			/* n x dim, row-major while accumulating */
	double	   *y;
	uint64	   *key;
	TreeBinner *binner;			/* decoded from the context */
	struct TreeDataAcc *holdout;	/* the hold-out rows, when kept (else NULL) */
} TreeDataAcc;

/*
 * The pass keeps up to max_rows training rows and, with max_holdout > 0
 * (the context must not skip hold-out rows), up to max_holdout hold-out
 * rows apart, binned alike, for early stopping.
 */
extern void tree_data_extra(PassCtx *ctx, const TreeBinner *b, int64 max_rows, int64 max_holdout);

/* The training matrix, column-major, rows in a deterministic order. */
typedef struct TreeData
{
	int			n;
	int			dim;
	uint8	   *bins;			/* bins[j * n + i] */
	double	   *y;
	const TreeBinner *binner;
	int			total_bins;
} TreeData;

extern TreeData *tree_data_finish(TreeDataAcc *acc);
/* The hold-out rows (call after tree_data_finish), or NULL. */
extern TreeData *tree_data_finish_holdout(TreeDataAcc *acc);

/* ---------------------------------------------------------------------
 * Forests: flattened node arrays.  An internal node sends x left when
 * x[feature] <= threshold; its children are adjacent (right = left + 1),
 * so a walk is node = left + (x > threshold).  Leaves have feature -1 and
 * nvalues values.  A missing x[feature] (NaN) goes left when the node's
 * missing_left flag is set, else right (forest_leaf); the fast walks
 * (forest_leaves, forest_sum) are for rows without NaN.
 * ---------------------------------------------------------------------
 */
typedef struct TreeNode
{
	double		threshold;
	int32		feature;
	int32		left;
} TreeNode;

/* A node of the rank walk (Forest.rnodes): x goes right when rank(x) > rank. */
typedef struct RankNode
{
	uint16		feature;
	uint8		rank;			/* RANK_ALWAYS_LEFT: padding below a leaf */
} RankNode;

#define RANK_ALWAYS_LEFT 255	/* a feature has at most 254 thresholds */
#define RANK_MAX_DEPTH 10		/* deeper forests walk the node array */
#define RANK_BUCKETS 256

typedef struct Forest
{
	int			nvalues;		/* values per leaf */
	int			ntrees;
	int			nnodes;
	int			max_depth;		/* deepest leaf, for TreeSHAP's path */
	int			dim;			/* features */
	int32	   *tree_start;		/* ntrees + 1 */
	TreeNode   *nodes;
	double	   *cover;			/* nnodes: training weight through the node */
	double	   *value;			/* nnodes x nvalues (leaves only meaningful) */
	uint8	   *missing_left;	/* nnodes: NaN goes to the left child */
	/* predict: leaves loop to themselves, so walks need no test (forest_leaves) */
	TreeNode   *walk;
	int32	   *tree_depth;

	/*
	 * predict, the rank walk, when every tree is at most RANK_MAX_DEPTH
	 * deep: each tree as the perfect binary tree of depth rdepth (children
	 * of position i at 2i+1 and 2i+2, no child pointers to load), a leaf
	 * above that depth padded with always-left nodes; a node compares
	 * small integers, not doubles: x[j] > threshold exactly when the
	 * number of feature j's distinct thresholds below x[j] (its rank,
	 * found once per feature and row: rank_of_row) exceeds the position
	 * of the threshold in that sorted list.  4 bytes a node, so a forest
	 * of 100 depth-6 trees walks 25 kB instead of 200 kB.  rdepth 0: not
	 * built.
	 */
	int			rdepth;
	RankNode   *rnodes;			/* per block of FOREST_BLOCK trees (the last
								 * padded), 2^rdepth - 1 positions x the
								 * block's trees, interleaved */
	int32	   *rleaf;			/* likewise 2^rdepth leaves: the node index */
	double	   *rvalue;			/* ... and its first value (forest_sum) */
	double	   *rthr;			/* each feature's distinct thresholds, ascending */
	int32	   *roff;			/* dim + 1: feature j's are rthr[roff[j] .. roff[j+1]) */
	/* finding a rank: RANK_BUCKETS equal-width buckets per feature (rank_of_row) */
	double	   *rlo;			/* dim: the first finite threshold (0: one bucket) */
	double	   *rscale;			/* dim: buckets per unit */
	uint8	   *rstart;			/* dim x (RANK_BUCKETS + 1): thresholds in earlier
								 * buckets (the last: all of the feature's) */
	/* the rank walk in vectors (tree_simd.c); NULL: not built */
	uint16	   *snodes;			/* AVX-512: blocks of 32 trees */
	uint16	   *anodes;			/* AVX2: blocks of 16 trees */
	int32		slane[32];		/* a lane's first entry in rvalue/rleaf */
	/* training only */
	uint8	   *split_bin;
	int			cap_nodes;
	int			cap_trees;
} Forest;

extern Forest *forest_create(int nvalues, int dim);
extern void forest_write(StringInfo buf, const Forest *f);
extern Forest *forest_read(BinReader *r, int dim, int nvalues);
extern void forest_prepare_walk(Forest *f);

/*
 * The leaf of every tree (leaf[ntrees], node indexes) for x, walked
 * FOREST_BLOCK trees in lockstep so that their dependent loads overlap
 * (or 32 / 16 at a time: tree_simd.c); x has dim values, no NaN.  forest_sum
 * adds the first leaf value of every tree.
 */
#define FOREST_BLOCK 8
extern void forest_leaves(const Forest *f, const double *x, int *leaf);
extern double forest_sum(const Forest *f, const double *x);

/*
 * tree_simd.c: forest_sum and forest_leaves with AVX-512 (from x) or AVX2
 * (from the ranks); mldb.simd chooses: on (the best built), avx2, off.
 */
#define MLDB_SIMD_OFF 0
#define MLDB_SIMD_AVX2 1
#define MLDB_SIMD_ON 2
extern int	mldb_simd;
extern void tree_simd_prepare(Forest *f);
extern double tree_simd_sum(const Forest *f, const double *x);
extern void tree_simd_leaves(const Forest *f, const double *x, int *leaf);
extern double tree_simd_sum_avx2(const Forest *f, const uint8 *rank);
extern void tree_simd_leaves_avx2(const Forest *f, const uint8 *rank, int *leaf);

extern int	forest_leaf_binned(const Forest *f, int t, const TreeData *d, int row);
/* The leaf of tree t for x (dim slots, NaN allowed), node by node. */
extern int	forest_leaf(const Forest *f, int t, const double *x);

/* ---------------------------------------------------------------------
 * Growing one tree on the histograms of C gradient channels: a split's
 * gain is sum_c GL_c^2/(HL+l2) + GR_c^2/(HR+l2) - G_c^2/(H+l2) and a
 * leaf's values are -scale * G_c/(H+l2).  With g = -w*y, h = w this is
 * squared-error reduction and the weighted mean; with g_c = -w*[y=c],
 * h = w it is the decrease of H * Gini impurity and the class
 * frequencies; with the loss's gradients and hessians it is Newton
 * boosting (XGBoost, LightGBM, scikit-learn's HistGradientBoosting).
 * ---------------------------------------------------------------------
 */
typedef struct TreeGrowParams
{
	int			max_depth;
	int			max_leaf_nodes;	/* > 0: best-first growth to this many leaves */
	int			min_samples_leaf;
	int			min_samples_split;
	double		l2;
	bool		entropy;		/* classes: entropy, not Gini (gain_term) */
	double		min_child_weight;	/* least hessian sum in a child */
	int			max_features;	/* features tried per split (<= dim) */
	bool		zero_gain_splits;	/* split impure nodes even at gain 0 (CART) */
	bool		cover_is_hessian;	/* TreeSHAP cover: H (weights) or row count */
	bool		unit_hessian;	/* every hessian is 1 (squared error, no weights) */
	double		scale;			/* leaf value multiplier (learning rate) */
} TreeGrowParams;

typedef struct TreeGrower TreeGrower;

extern TreeGrower *tree_grower_create(const TreeData *d, int nchannels);
extern void tree_grower_free(TreeGrower *g);

/*
 * Grow one tree into f from the rows (ascending indexes, each with its
 * gradients grad[row * C + c] and hessian hess[row]).  raw, when not
 * NULL, gets each row's leaf value 0 added at raw[row * raw_stride].
 * importance[feature] accumulates the split gains.  Growth is depth-first,
 * or with p->max_leaf_nodes > 0 best-first (the splittable leaf of the
 * largest gain next, as LightGBM and scikit-learn's HistGradientBoosting);
 * either way a node's two children are numbered after it, adjacently.
 */
extern void tree_grow(TreeGrower *g, Forest *f, const TreeGrowParams *p,
					  int32 *rows, int nrows, const double *grad, const double *hess,
					  double *raw, int raw_stride, double *importance,
					  pg_prng_state *rng);

/* ---------------------------------------------------------------------
 * TreeSHAP (Lundberg, Erion & Lee 2018, "Consistent individualized
 * feature attribution for tree ensembles", Algorithm 2): exact Shapley
 * values of one tree's value channel with the path-dependent
 * (cover-weighted) expectation.  phi[feature] += scale * contribution;
 * returns the tree's expected value (times scale).
 * ---------------------------------------------------------------------
 */
extern double tree_shap(const Forest *f, int t, int channel, const double *x,
						double scale, double *phi);

#endif
