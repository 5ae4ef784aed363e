/* fanova: the variance decomposition of each tree of a forest (see fanova.h).
 *
 * A tree is a partition of the box into leaves, each a sub-box with a constant
 * value v. With every dimension's measure normalised to 1, a leaf's volume is
 * the product of its widths w_k, the tree's mean is sum v vol, and its
 * variance V = sum vol (v - mean)^2. The marginal over a set S of dimensions
 * (the others averaged out) is, at a point x_S,
 *     f_S(x_S) = sum over leaves l whose box contains x_S of v_l vol_l / prod_{k in S} w_lk,
 * a piecewise-constant function on the grid of the tree's split points along
 * S. Main effects are exact: each leaf adds its term to the run of cells it
 * covers along dimension i (a difference array), O(leaves x dims) per tree.
 * Interactions V_ij = Var(f_ij) - V_i - V_j are computed with f_ij, f_i and
 * f_j averaged within PAIR_BINS equal bins per numeric dimension (categories
 * stay whole): the exact 2-D grid of a fully grown tree on 10,000 trials has
 * millions of cells per pair, the binned one 1,024; each leaf adds its term,
 * times its coverage of each bin, to a 2-D difference array.
 */
#include "fanova.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "errbuf.h"
#include "xalloc.h"

/* One tree's leaves. Along numeric dimension k the tree's split points cut
 * [0, 1] into cells[k] cells (measures len[k][c]); leaf l covers cells
 * [a, b) there and has width w. A categorical dimension's cells are its
 * categories; a leaf covers those in its mask. For pairs, numeric dimensions
 * are also binned into PAIR_BINS equal bins; leaf l covers [lo, hi). */
#define PAIR_BINS 32

struct leaves {
	int n, cap, d;
	double *v, *vol;  /* value, volume */
	double *w;        /* n x d widths */
	double *lo, *hi;  /* n x d bounds in [0, 1] (numeric) */
	int *a, *b;       /* n x d cell ranges (numeric) */
	uint64_t *mask;   /* n x d category sets (categorical) */
	int *cells;       /* d: cells per dimension */
	double **cut;     /* d: the cells' bounds, cells[k] + 1 of them (numeric) */
	int *cut_cap;
	int *at;          /* per node: its threshold's index in its dimension's cuts */
	int at_cap;
};

static void leaves_grow(struct leaves *L)
{
	size_t d = (size_t)L->d;

	L->cap = L->cap ? 2 * L->cap : 256;
	L->v = xrealloc(L->v, (size_t)L->cap * sizeof *L->v);
	L->vol = xrealloc(L->vol, (size_t)L->cap * sizeof *L->vol);
	L->w = xrealloc(L->w, (size_t)L->cap * d * sizeof *L->w);
	L->lo = xrealloc(L->lo, (size_t)L->cap * d * sizeof *L->lo);
	L->hi = xrealloc(L->hi, (size_t)L->cap * d * sizeof *L->hi);
	L->a = xrealloc(L->a, (size_t)L->cap * d * sizeof *L->a);
	L->b = xrealloc(L->b, (size_t)L->cap * d * sizeof *L->b);
	L->mask = xrealloc(L->mask, (size_t)L->cap * d * sizeof *L->mask);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* The index of v in the sorted cuts c[0..n-1]. */
static int cut_index(const double *c, int n, double v)
{
	int lo = 0, hi = n - 1;

	while (lo < hi) {
		int mid = (lo + hi) / 2;

		if (c[mid] < v)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* A split's threshold in [0, 1]. */
static double unit(const struct forest *f, const struct forest_node *nd)
{
	const struct forest_dim *fd = &f->dims[nd->dim];

	return fmin(1, fmax(0, (nd->thr - fd->lo) / (fd->hi - fd->lo)));
}

/* Each numeric dimension's cuts: 0, 1 and the tree's thresholds on it,
 * sorted and distinct; and each split node's threshold's index. */
static void cuts(struct leaves *L, const struct forest *f, const struct forest_tree *t)
{
	int d = L->d;

	for (int k = 0; k < d; k++) {
		L->cells[k] = 0;
		if (f->dims[k].cats)
			L->cells[k] = f->dims[k].cats;
	}
	if (L->at_cap < t->n_nodes) {
		L->at_cap = t->n_nodes;
		L->at = xrealloc(L->at, (size_t)L->at_cap * sizeof *L->at);
	}
	for (int pass = 0; pass < 2; pass++) {
		for (int k = 0; k < d; k++)
			if (!f->dims[k].cats) {
				if (pass == 0 && L->cut_cap[k] < t->n_nodes + 2) {
					L->cut_cap[k] = t->n_nodes + 2;
					L->cut[k] = xrealloc(L->cut[k], (size_t)L->cut_cap[k] * sizeof **L->cut);
				}
				if (pass == 0) {
					L->cut[k][0] = 0;
					L->cut[k][1] = 1;
					L->cells[k] = 2; /* cuts so far */
				}
			}
		for (int i = 0; i < t->n_nodes; i++) {
			const struct forest_node *nd = &t->nodes[i];

			if (nd->dim < 0 || f->dims[nd->dim].cats)
				continue;
			if (pass == 0)
				L->cut[nd->dim][L->cells[nd->dim]++] = unit(f, nd);
			else
				L->at[i] = cut_index(L->cut[nd->dim], L->cells[nd->dim] + 1, unit(f, nd));
		}
		for (int k = 0; pass == 0 && k < d; k++) {
			int m = 0;

			if (f->dims[k].cats)
				continue;
			qsort(L->cut[k], (size_t)L->cells[k], sizeof **L->cut, cmp_double);
			for (int i = 0; i < L->cells[k]; i++)
				if (m == 0 || L->cut[k][i] > L->cut[k][m - 1])
					L->cut[k][m++] = L->cut[k][i];
			L->cells[k] = m - 1;
		}
	}
}

/* Records the leaf at the frame's box. */
static void add_leaf(struct leaves *L, const struct forest *f, double value, const int *a,
		     const int *b, const uint64_t *m)
{
	size_t at;
	double vol = 1;

	if (L->n == L->cap)
		leaves_grow(L);
	at = (size_t)L->n * L->d;
	for (int k = 0; k < L->d; k++) {
		double w;

		if (f->dims[k].cats) {
			w = (double)__builtin_popcountll(m[k]) / f->dims[k].cats;
		} else {
			L->lo[at + k] = L->cut[k][a[k]];
			L->hi[at + k] = L->cut[k][b[k]];
			w = L->hi[at + k] - L->lo[at + k];
		}
		L->a[at + k] = a[k];
		L->b[at + k] = b[k];
		L->mask[at + k] = m[k];
		L->w[at + k] = w;
		vol *= w;
	}
	L->v[L->n] = value;
	L->vol[L->n++] = vol;
}

/* Walks the tree depth first (an explicit stack of frames: a node and its box
 * as cell ranges and category sets), recording every leaf. */
static void collect(struct leaves *L, const struct forest *f, const struct forest_tree *t)
{
	int d = L->d, cap = 64, top = 0;
	int *node = xmalloc((size_t)cap * sizeof *node);
	int *a = xmalloc((size_t)cap * d * sizeof *a), *b = xmalloc((size_t)cap * d * sizeof *b);
	uint64_t *mask = xmalloc((size_t)cap * d * sizeof *mask);

	cuts(L, f, t);
	L->n = 0;
	for (int k = 0; k < d; k++) {
		a[k] = 0;
		b[k] = f->dims[k].cats ? 0 : L->cells[k];
		mask[k] = f->dims[k].cats >= 64 ? ~0ULL : (1ULL << f->dims[k].cats) - 1;
	}
	node[top++] = 0;
	while (top > 0) {
		int s = --top, k, *sa, *sb;
		const struct forest_node *nd = &t->nodes[node[s]];
		uint64_t *sm;

		if (nd->dim < 0) {
			add_leaf(L, f, nd->value, a + (size_t)s * d, b + (size_t)s * d,
				 mask + (size_t)s * d);
			continue;
		}
		if (s + 2 > cap) {
			cap *= 2;
			node = xrealloc(node, (size_t)cap * sizeof *node);
			a = xrealloc(a, (size_t)cap * d * sizeof *a);
			b = xrealloc(b, (size_t)cap * d * sizeof *b);
			mask = xrealloc(mask, (size_t)cap * d * sizeof *mask);
		}
		/* the right child takes frame s + 1, the left frame s (popped first) */
		sa = a + (size_t)s * d;
		sb = b + (size_t)s * d;
		sm = mask + (size_t)s * d;
		memcpy(sa + d, sa, (size_t)d * sizeof *a);
		memcpy(sb + d, sb, (size_t)d * sizeof *b);
		memcpy(sm + d, sm, (size_t)d * sizeof *mask);
		k = nd->dim;
		node[s + 1] = nd->right;
		node[s] = nd->left;
		if (f->dims[k].cats) {
			sm[d + k] &= ~nd->mask;
			sm[k] &= nd->mask;
		} else {
			int c = L->at[nd - t->nodes];

			sa[d + k] = c > sa[k] ? c : sa[k];
			sb[k] = c < sb[k] ? c : sb[k];
		}
		top = s + 2;
	}
	free(node);
	free(a);
	free(b);
	free(mask);
}

/* Var(f_k) for one tree, exact: the main effect of dimension k. Each leaf
 * adds its term to the cells it covers (a difference array, numeric). Also
 * *binned: the variance of f_k averaged within PAIR_BINS equal bins (the
 * pairs' resolution; a categorical dimension's categories are its bins). */
static double main_effect(const struct leaves *L, const struct forest *f, int k, double mean,
			  double *diff, double *binned)
{
	int cells = L->cells[k], cats = f->dims[k].cats;
	double run = 0, var = 0, bin[PAIR_BINS] = {0};

	memset(diff, 0, ((size_t)cells + 1) * sizeof *diff);
	for (int l = 0; l < L->n; l++) {
		size_t at = (size_t)l * L->d + k;
		double c;

		if (!(L->w[at] > 0))
			continue;
		c = L->v[l] * L->vol[l] / L->w[at];
		if (cats) {
			for (int j = 0; j < cats; j++)
				if ((L->mask[at] >> j) & 1)
					diff[j] += c;
		} else {
			diff[L->a[at]] += c;
			diff[L->b[at]] -= c;
		}
	}
	for (int c = 0; c < cells; c++) {
		double a = cats ? 0 : L->cut[k][c], b = cats ? 0 : L->cut[k][c + 1];
		double len = cats ? 1.0 / cats : b - a;

		run = cats ? diff[c] : run + diff[c];
		var += len * (run - mean) * (run - mean);
		for (int j = (int)(a * PAIR_BINS); !cats && j < PAIR_BINS && j < b * PAIR_BINS; j++)
			bin[j] += run * (fmin(b, (j + 1.0) / PAIR_BINS) - fmax(a, (double)j / PAIR_BINS)) *
				  PAIR_BINS;
	}
	*binned = var;
	if (!cats) {
		*binned = 0;
		for (int j = 0; j < PAIR_BINS; j++)
			*binned += (bin[j] - mean) * (bin[j] - mean) / PAIR_BINS;
	}
	return var;
}

/* A box's coverage of dimension k's pair bins, as at most three runs of
 * constant coverage (first bin, whole bins, last bin; or one per category):
 * from[r], to[r] (exclusive) and share[r]. Returns the number of runs. */
static int coverage(const struct forest *f, int k, double lo, double hi, uint64_t mask, int *from,
		    int *to, double *share)
{
	int n = 0, b0, b1;

	if (f->dims[k].cats) {
		for (int j = 0; j < f->dims[k].cats; j++)
			if ((mask >> j) & 1) {
				from[n] = j;
				to[n] = j + 1;
				share[n++] = 1;
			}
		return n;
	}
	lo *= PAIR_BINS;
	hi *= PAIR_BINS;
	b0 = (int)floor(lo);
	b1 = (int)ceil(hi);
	b0 = b0 < 0 ? 0 : b0 >= PAIR_BINS ? PAIR_BINS - 1 : b0;
	b1 = b1 > PAIR_BINS ? PAIR_BINS : b1 <= b0 ? b0 + 1 : b1;
	if (b1 == b0 + 1) {
		from[0] = b0, to[0] = b1, share[0] = hi - lo;
		return 1;
	}
	from[n] = b0, to[n] = b0 + 1, share[n++] = b0 + 1 - lo;
	if (b1 - 1 > b0 + 1)
		from[n] = b0 + 1, to[n] = b1 - 1, share[n++] = 1;
	from[n] = b1 - 1, to[n] = b1, share[n++] = hi - (b1 - 1);
	return n;
}

static int bins(const struct forest *f, int k)
{
	return f->dims[k].cats ? f->dims[k].cats : PAIR_BINS;
}

/* What the pair traversal needs per node: S = sum of v vol over the leaves
 * below (so that a subtree whose box along i and j no longer matters adds
 * S / (w_i w_j) at once: the binned marginal is linear in the volumes), and
 * the dimensions split below it (bit k; all set with more than 64). */
struct below {
	double *S;
	uint64_t *dims;
	int cap;
};

static void below_fill(struct below *B, const struct forest *f, const struct forest_tree *t,
		       const struct leaves *L)
{
	if (B->cap < t->n_nodes) {
		B->cap = t->n_nodes;
		B->S = xrealloc(B->S, (size_t)B->cap * sizeof *B->S);
		B->dims = xrealloc(B->dims, (size_t)B->cap * sizeof *B->dims);
	}
	/* a child always comes after its parent (forest.c appends them) */
	for (int n = t->n_nodes - 1; n >= 0; n--) {
		const struct forest_node *nd = &t->nodes[n];

		if (nd->dim < 0) {
			B->S[n] = 0;
			B->dims[n] = 0;
			continue;
		}
		B->dims[n] = B->dims[nd->left] | B->dims[nd->right] |
			     (f->n_dims > 64 ? ~0ULL : 1ULL << nd->dim);
		B->S[n] = 0;
	}
	(void)L;
}

/* The leaves' v vol summed into S bottom-up (leaf volumes from L, in the
 * order collect() met them: depth first, left before right). */
static void below_sums(struct below *B, const struct forest_tree *t, const struct leaves *L)
{
	int *stack = xmalloc(((size_t)t->n_nodes + 1) * sizeof *stack), top = 0, leaf = 0;

	stack[top++] = 0;
	while (top > 0) {
		int n = stack[--top];

		if (t->nodes[n].dim < 0) {
			B->S[n] = L->v[leaf] * L->vol[leaf];
			leaf++;
			continue;
		}
		stack[top++] = t->nodes[n].left; /* the right first, as collect() */
		stack[top++] = t->nodes[n].right;
	}
	free(stack);
	for (int n = t->n_nodes - 1; n >= 0; n--)
		if (t->nodes[n].dim >= 0)
			B->S[n] = B->S[t->nodes[n].left] + B->S[t->nodes[n].right];
}

/* Whether a box along dimension k lies within one pair bin (or category). */
static int one_bin(const struct forest *f, int k, double lo, double hi, uint64_t mask)
{
	if (f->dims[k].cats)
		return __builtin_popcountll(mask) <= 1;
	return floor(lo * PAIR_BINS) >= ceil(hi * PAIR_BINS) - 1;
}

struct pbox {
	int node;
	double lo[2], hi[2];
	uint64_t mask[2];
};

/* Adds a box's term c times its coverage of each bin to the 2-D difference
 * array (dims[1] < 0: one dimension). */
static void add_box(const struct forest *f, const int *dims, const struct pbox *b, double c,
		    double *diff, int stride)
{
	int fi[FOREST_MAX_CATS], ti[FOREST_MAX_CATS], fj[FOREST_MAX_CATS], tj[FOREST_MAX_CATS];
	double si[FOREST_MAX_CATS], sj[FOREST_MAX_CATS];
	int ri = coverage(f, dims[0], b->lo[0], b->hi[0], b->mask[0], fi, ti, si), rj = 1;

	fj[0] = 0, tj[0] = 1, sj[0] = 1;
	if (dims[1] >= 0)
		rj = coverage(f, dims[1], b->lo[1], b->hi[1], b->mask[1], fj, tj, sj);
	for (int x = 0; x < ri; x++)
		for (int y = 0; y < rj; y++) {
			double v = c * si[x] * sj[y];

			diff[(size_t)fi[x] * stride + fj[y]] += v;
			diff[(size_t)ti[x] * stride + fj[y]] -= v;
			diff[(size_t)fi[x] * stride + tj[y]] -= v;
			diff[(size_t)ti[x] * stride + tj[y]] += v;
		}
}

/* The bin (or category) of a box within one bin along dimension k. */
static int bin_of(const struct forest *f, int k, double lo, uint64_t mask)
{
	int b;

	if (f->dims[k].cats)
		return mask ? __builtin_ctzll(mask) : 0;
	b = (int)floor(lo * PAIR_BINS);
	return b < 0 ? 0 : b >= PAIR_BINS ? PAIR_BINS - 1 : b;
}

static uint64_t full_mask(const struct forest *f, int k)
{
	return f->dims[k].cats >= 64 ? ~0ULL : (1ULL << f->dims[k].cats) - 1;
}

static double box_width(const struct forest *f, int k, const struct pbox *b, int s)
{
	return f->dims[k].cats ? (double)__builtin_popcountll(b->mask[s]) / f->dims[k].cats
			       : b->hi[s] - b->lo[s];
}

/* Var(g) for g the marginal over dimensions i and j averaged within their
 * pair bins (j < 0: over dimension i alone). The tree is walked from the
 * root, splits on other dimensions going both ways; a subtree stops the walk
 * when nothing below it splits on i or j, or when its box lies within one
 * bin of each: it then adds S / (w_i w_j) times its coverage of the bins. */
static double binned_variance(const struct forest *f, const struct forest_tree *t,
			      const struct below *B, int i, int j, double mean, double *diff,
			      struct pbox **stack, int *cap)
{
	int dims[2] = {i, j}, ni = bins(f, i), nj = j < 0 ? 1 : bins(f, j), stride = nj + 1, top = 0;
	uint64_t want = f->n_dims > 64 ? ~0ULL : (1ULL << i) | (j < 0 ? 0 : 1ULL << j);
	double var = 0;

	double *cell = diff + ((size_t)ni + 1) * stride;

	memset(diff, 0, (((size_t)ni + 1) * stride + (size_t)ni * nj) * sizeof *diff);
	(*stack)[top++] = (struct pbox){0, {0, 0}, {1, 1}, {full_mask(f, i), j < 0 ? 0 : full_mask(f, j)}};
	while (top > 0) {
		struct pbox b = (*stack)[--top];
		const struct forest_node *nd = &t->nodes[b.node];
		int s = nd->dim == i ? 0 : nd->dim == j ? 1 : -1;

		if (nd->dim < 0 || !(B->dims[b.node] & want) ||
		    (one_bin(f, i, b.lo[0], b.hi[0], b.mask[0]) &&
		     (j < 0 || one_bin(f, j, b.lo[1], b.hi[1], b.mask[1])))) {
			double w = box_width(f, i, &b, 0) * (j < 0 ? 1 : box_width(f, j, &b, 1));

			if (!(w > 0))
				continue;
			if (one_bin(f, i, b.lo[0], b.hi[0], b.mask[0]) &&
			    (j < 0 || one_bin(f, j, b.lo[1], b.hi[1], b.mask[1]))) {
				/* within one cell: its share of the cell is w times the cells */
				cell[bin_of(f, i, b.lo[0], b.mask[0]) * nj +
				     (j < 0 ? 0 : bin_of(f, j, b.lo[1], b.mask[1]))] +=
					B->S[b.node] * ni * nj;
				continue;
			}
			add_box(f, dims, &b, B->S[b.node] / w, diff, stride);
			continue;
		}
		if (top + 2 > *cap) {
			*cap *= 2;
			*stack = xrealloc(*stack, (size_t)*cap * sizeof **stack);
		}
		(*stack)[top] = b;
		(*stack)[top].node = nd->right;
		(*stack)[top + 1] = b;
		(*stack)[top + 1].node = nd->left;
		if (s >= 0 && f->dims[nd->dim].cats) {
			(*stack)[top].mask[s] &= ~nd->mask;
			(*stack)[top + 1].mask[s] &= nd->mask;
		} else if (s >= 0) {
			double u = unit(f, nd);

			(*stack)[top].lo[s] = fmax(b.lo[s], u);
			(*stack)[top + 1].hi[s] = fmin(b.hi[s], u);
		}
		top += 2;
	}
	for (int x = 0; x < ni; x++) {
		double *row = diff + (size_t)x * stride, run = 0;

		for (int y = 0; y < nj; y++) {
			double v;

			run += row[y];
			row[y] = run + (x ? row[y - stride] : 0); /* the prefix sum itself */
			v = row[y] + cell[x * nj + y] - mean;
			var += v * v / ((double)ni * nj);
		}
	}
	return var;
}

static void alloc_result(struct fanova *r, int d, int pairs)
{
	r->n_dims = d;
	r->frac = xcalloc((size_t)d, sizeof *r->frac);
	r->frac_std = xcalloc((size_t)d, sizeof *r->frac_std);
	r->share = xcalloc((size_t)d, sizeof *r->share);
	r->share_std = xcalloc((size_t)d, sizeof *r->share_std);
	if (pairs) {
		r->pair = xcalloc((size_t)d * d, sizeof *r->pair);
		r->pair_std = xcalloc((size_t)d * d, sizeof *r->pair_std);
	}
}

/* Sums of each fraction and of its square, over trees, into s1 and s2
 * (d main effects, then d x d pairs). Returns the trees used. */
static int decompose(const struct forest *f, int pairs, double *s1, double *s2)
{
	int d = f->n_dims, used = 0;
	struct leaves L = {.d = d};
	double *vi = xmalloc((size_t)d * sizeof *vi), *bi = xmalloc((size_t)d * sizeof *bi);
	double *diff = NULL;
	size_t diff_n = 0;
	struct below B = {0};
	int cap = 256;
	struct pbox *stack = xmalloc((size_t)cap * sizeof *stack);

	L.cells = xcalloc((size_t)d, sizeof *L.cells);
	L.cut = xcalloc((size_t)d, sizeof *L.cut);
	L.cut_cap = xcalloc((size_t)d, sizeof *L.cut_cap);
	for (int t = 0; t < f->n_trees; t++) {
		double mean = 0, var = 0;

		collect(&L, f, &f->trees[t]);
		for (int l = 0; l < L.n; l++)
			mean += L.v[l] * L.vol[l];
		for (int l = 0; l < L.n; l++)
			var += L.vol[l] * (L.v[l] - mean) * (L.v[l] - mean);
		if (!(var > 1e-300 * (mean * mean + 1)))
			continue; /* a constant tree: skipped, as Optuna does */
		used++;
		for (int k = 0; k < d; k++) {
			size_t need = (size_t)L.cells[k] + 1;

			if (need < (size_t)(FOREST_MAX_CATS + 1) * 3)
				need = (size_t)(FOREST_MAX_CATS + 1) * 3;
			if (diff_n < need)
				diff = xrealloc(diff, (diff_n = need) * sizeof *diff);
			vi[k] = main_effect(&L, f, k, mean, diff, &bi[k]);
			s1[k] += vi[k] / var;
			s2[k] += (vi[k] / var) * (vi[k] / var);
		}
		if (pairs) {
			below_fill(&B, f, &f->trees[t], &L);
			below_sums(&B, &f->trees[t], &L);
		}
		for (int i = 0; pairs && i < d; i++)
			for (int j = i + 1; j < d; j++) {
				size_t need = ((size_t)bins(f, i) + 1) * ((size_t)bins(f, j) + 1) +
					      (size_t)bins(f, i) * bins(f, j);
				double fr;

				if (diff_n < need)
					diff = xrealloc(diff, (diff_n = need) * sizeof *diff);
				fr = binned_variance(f, &f->trees[t], &B, i, j, mean, diff, &stack, &cap);
				fr = fmax(0, fr - bi[i] - bi[j]) / var;
				s1[d + (size_t)i * d + j] += fr;
				s2[d + (size_t)i * d + j] += fr * fr;
			}
	}
	for (int k = 0; k < d; k++)
		free(L.cut[k]);
	free(L.cut);
	free(L.cut_cap);
	free(L.cells);
	free(L.at);
	free(L.v);
	free(L.vol);
	free(L.w);
	free(L.lo);
	free(L.hi);
	free(L.a);
	free(L.b);
	free(L.mask);
	free(vi);
	free(bi);
	free(diff);
	free(B.S);
	free(B.dims);
	free(stack);
	return used;
}

static void mean_std(double s1, double s2, int n, double *mean, double *std)
{
	*mean = s1 / n;
	*std = sqrt(fmax(0, s2 / n - *mean * *mean)); /* population std, as numpy's */
}

int fanova_compute(struct fanova *r, const struct forest *f, int pairs, char *err, size_t errlen)
{
	int d = f->n_dims, used;
	size_t n = (size_t)d + (size_t)d * d;
	double *s1 = xcalloc(n, sizeof *s1), *s2 = xcalloc(n, sizeof *s2), total = 0;

	memset(r, 0, sizeof *r);
	used = decompose(f, pairs, s1, s2);
	if (used == 0) {
		free(s1);
		free(s2);
		return err_set(err, errlen, "the objective does not vary: nothing to share");
	}
	alloc_result(r, d, pairs);
	r->trees = used;
	for (int k = 0; k < d; k++) {
		mean_std(s1[k], s2[k], used, &r->frac[k], &r->frac_std[k]);
		total += r->frac[k];
	}
	for (int k = 0; k < d; k++) {
		r->share[k] = total > 0 ? r->frac[k] / total : 0;
		r->share_std[k] = total > 0 ? r->frac_std[k] / total : 0;
	}
	for (int i = 0; pairs && i < d; i++)
		for (int j = i + 1; j < d; j++) {
			size_t at = (size_t)i * d + j;

			mean_std(s1[d + at], s2[d + at], used, &r->pair[at], &r->pair_std[at]);
			r->pair[(size_t)j * d + i] = r->pair[at];
			r->pair_std[(size_t)j * d + i] = r->pair_std[at];
		}
	free(s1);
	free(s2);
	return 0;
}

void fanova_finish(struct fanova *r)
{
	if (!r)
		return;
	free(r->frac);
	free(r->frac_std);
	free(r->share);
	free(r->share_std);
	free(r->pair);
	free(r->pair_std);
	memset(r, 0, sizeof *r);
}
