/* forest: random regression forests for fANOVA (see forest.h).
 *
 * Each tree is grown depth first on a bootstrap sample, kept as weights (a
 * sample drawn k times has weight k). A node's samples live in one allocation
 * (struct part): their ids and weights, and per dimension the node's samples
 * sorted by that dimension's value, so a split is found by one scan per
 * dimension and the children inherit sorted lists by a stable pass (no sort
 * below the root: O(dims x samples) per level, as in presorting CART). */
#include "forest.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "errbuf.h"
#include "rng.h"
#include "xalloc.h"

/* One node's samples (a single allocation). */
struct part {
	int n;          /* entries */
	int node;       /* its index in the tree */
	int depth;
	int *id;        /* n sample ids */
	double *w;      /* n weights */
	double *yv;     /* n values */
	int *ord;       /* per dimension k, at ord + k * n: local indices of the
			   entries where k is present, sorted by x[., k]; m[k] of them */
	double *val;    /* per dimension k, at val + k * n: those entries' x[., k] */
	int *m;
	double *lo, *hi; /* the node's box, numeric dimensions */
	uint64_t *mask;  /* the node's box, categorical dimensions */
};

/* What one fit shares. */
struct fit {
	const struct forest_dim *dims;
	int d;
	const double *x, *y;
	struct rng rng;
	int max_depth;
	int *perm;       /* d: dimensions in a random order per node */
	struct forest_tree *tree;
};

struct split {
	int dim;
	double thr, gain;
	uint64_t mask;
};

static struct part *part_new(int n, int d)
{
	size_t sz = sizeof(struct part) + ((size_t)2 * n + (size_t)d * n) * sizeof(double) +
		    2 * (size_t)d * sizeof(double) + (size_t)d * sizeof(uint64_t) +
		    ((size_t)n + (size_t)d * n + d) * sizeof(int);
	struct part *p = xmalloc(sz);
	char *c = (char *)(p + 1);

	p->n = n;
	p->w = (double *)c;
	p->yv = p->w + n;
	p->val = p->yv + n;
	p->lo = p->val + (size_t)d * n;
	p->hi = p->lo + d;
	p->mask = (uint64_t *)(p->hi + d);
	p->id = (int *)(p->mask + d);
	p->ord = p->id + n;
	p->m = p->ord + (size_t)d * n;
	return p;
}

static double X(const struct fit *F, int id, int k)
{
	return F->x[(size_t)id * F->d + k];
}

static int tree_node(struct forest_tree *t)
{
	if (t->n_nodes == t->cap) {
		t->cap = t->cap ? 2 * t->cap : 64;
		t->nodes = xrealloc(t->nodes, (size_t)t->cap * sizeof *t->nodes);
	}
	t->nodes[t->n_nodes] = (struct forest_node){.dim = -1};
	return t->n_nodes++;
}

/* The best threshold on numeric dimension k among the present samples. */
static void split_numeric(const struct fit *F, const struct part *p, int k, struct split *best)
{
	const int *o = p->ord + (size_t)k * p->n;
	const double *val = p->val + (size_t)k * p->n;
	int m = p->m[k];
	double W = 0, S = 0, wl = 0, sl = 0;

	(void)F;
	for (int i = 0; i < m; i++) {
		W += p->w[o[i]];
		S += p->w[o[i]] * p->yv[o[i]];
	}
	for (int i = 0; i + 1 < m; i++) {
		double a = val[i], b = val[i + 1], gain, thr;

		wl += p->w[o[i]];
		sl += p->w[o[i]] * p->yv[o[i]];
		if (!(b > a) || wl <= 0 || W - wl <= 0)
			continue;
		gain = sl * sl / wl + (S - sl) * (S - sl) / (W - wl) - S * S / W;
		if (gain > best->gain) {
			thr = a + (b - a) / 2;
			*best = (struct split){.dim = k, .thr = thr > a ? thr : b, .gain = gain};
		}
	}
}

/* Categorical dimension k: the categories seen, ordered by their mean; the
 * best prefix goes left (Breiman's ordering, optimal for squared error). */
static void split_categorical(const struct fit *F, const struct part *p, int k,
			      struct split *best)
{
	const int *o = p->ord + (size_t)k * p->n;
	double cw[FOREST_MAX_CATS] = {0}, cs[FOREST_MAX_CATS] = {0}, W = 0, S = 0, wl = 0, sl = 0;
	int seen[FOREST_MAX_CATS], ns = 0;
	uint64_t mask = 0;

	for (int i = 0; i < p->m[k]; i++) {
		int c = (int)p->val[(size_t)k * p->n + i];

		cw[c] += p->w[o[i]];
		cs[c] += p->w[o[i]] * p->yv[o[i]];
	}
	for (int c = 0; c < F->dims[k].cats; c++)
		if (cw[c] > 0) {
			int j = ns++;

			for (; j > 0 && cs[seen[j - 1]] / cw[seen[j - 1]] > cs[c] / cw[c]; j--)
				seen[j] = seen[j - 1];
			seen[j] = c;
			W += cw[c];
			S += cs[c];
		}
	for (int j = 0; j + 1 < ns; j++) {
		double gain;

		wl += cw[seen[j]];
		sl += cs[seen[j]];
		mask |= 1ULL << seen[j];
		gain = sl * sl / wl + (S - sl) * (S - sl) / (W - wl) - S * S / W;
		if (gain > best->gain)
			*best = (struct split){.dim = k, .mask = mask, .gain = gain};
	}
}

/* Finds the best split of p, trying the dimensions in a random order (ties
 * go to the first). Returns 0 when p must be a leaf. */
static int best_split(struct fit *F, const struct part *p, struct split *s)
{
	double sw = 0, swy = 0, swy2 = 0;

	if (p->n < 2 || p->depth >= F->max_depth)
		return 0;
	for (int i = 0; i < p->n; i++) {
		double y = p->yv[i];

		sw += p->w[i];
		swy += p->w[i] * y;
		swy2 += p->w[i] * y * y;
	}
	if (swy2 - swy * swy / sw <= 1e-12 * swy2)
		return 0; /* every value equal */
	for (int k = F->d - 1; k > 0; k--) {
		int j = (int)rng_below(&F->rng, (uint64_t)k + 1), t = F->perm[k];

		F->perm[k] = F->perm[j];
		F->perm[j] = t;
	}
	*s = (struct split){.dim = -1, .gain = 1e-12 * (swy2 - swy * swy / sw)};
	for (int i = 0; i < F->d; i++) {
		int k = F->perm[i];

		if (F->dims[k].cats)
			split_categorical(F, p, k, s);
		else
			split_numeric(F, p, k, s);
	}
	return s->dim >= 0;
}

/* The share of p's box along s's dimension that goes left. */
static double left_share(const struct fit *F, const struct part *p, const struct split *s)
{
	int k = s->dim;

	if (F->dims[k].cats) {
		int all = __builtin_popcountll(p->mask[k]);

		return all ? (double)__builtin_popcountll(p->mask[k] & s->mask) / all : 0.5;
	}
	if (!(p->hi[k] > p->lo[k]))
		return 0.5;
	return fmin(1, fmax(0, (s->thr - p->lo[k]) / (p->hi[k] - p->lo[k])));
}

/* 0 left, 1 right, 2 both (the value is absent). */
static int side_of(const struct fit *F, int id, const struct split *s)
{
	double v = X(F, id, s->dim);

	if (isnan(v))
		return 2;
	if (F->dims[s->dim].cats)
		return (s->mask >> (int)v) & 1 ? 0 : 1;
	return v < s->thr ? 0 : 1;
}

/* Both children of p: their entries, weights, sorted lists and boxes, in
 * one pass over p's lists. map is scratch of 2 p->n ints. */
static void split_part(const struct fit *F, const struct part *p, const struct split *s,
		       const unsigned char *sides, int *map, struct part **out)
{
	double share = left_share(F, p, s);
	int n[2] = {0, 0}, d = F->d;
	int *lmap = map, *rmap = map + p->n;

	for (int i = 0; i < p->n; i++) {
		n[0] += sides[i] != 1;
		n[1] += sides[i] != 0;
	}
	for (int c = 0; c < 2; c++) {
		out[c] = part_new(n[c], d);
		out[c]->depth = p->depth + 1;
		n[c] = 0;
	}
	for (int i = 0; i < p->n; i++) {
		lmap[i] = rmap[i] = -1;
		for (int c = 0; c < 2; c++) {
			struct part *q = out[c];

			if (sides[i] == 1 - c)
				continue;
			q->id[n[c]] = p->id[i];
			q->yv[n[c]] = p->yv[i];
			q->w[n[c]] = p->w[i] * (sides[i] == 2 ? (c ? 1 - share : share) : 1);
			(c ? rmap : lmap)[i] = n[c]++;
		}
	}
	for (int k = 0; k < d; k++) {
		const int *po = p->ord + (size_t)k * p->n;
		const double *pv = p->val + (size_t)k * p->n;
		int *lo = out[0]->ord + (size_t)k * out[0]->n, *ro = out[1]->ord + (size_t)k * out[1]->n;
		double *lv = out[0]->val + (size_t)k * out[0]->n;
		double *rv = out[1]->val + (size_t)k * out[1]->n;
		int ml = 0, mr = 0;

		for (int i = 0; i < p->m[k]; i++) {
			int e = po[i];

			if (lmap[e] >= 0) {
				lo[ml] = lmap[e];
				lv[ml++] = pv[i];
			}
			if (rmap[e] >= 0) {
				ro[mr] = rmap[e];
				rv[mr++] = pv[i];
			}
		}
		out[0]->m[k] = ml;
		out[1]->m[k] = mr;
	}
	for (int c = 0; c < 2; c++) {
		struct part *q = out[c];

		memcpy(q->lo, p->lo, (size_t)d * sizeof *q->lo);
		memcpy(q->hi, p->hi, (size_t)d * sizeof *q->hi);
		memcpy(q->mask, p->mask, (size_t)d * sizeof *q->mask);
		if (F->dims[s->dim].cats)
			q->mask[s->dim] &= c ? ~s->mask : s->mask;
		else if (c)
			q->lo[s->dim] = s->thr;
		else
			q->hi[s->dim] = s->thr;
	}
}

static void make_leaf(struct fit *F, struct part *p)
{
	double sw = 0, swy = 0;

	for (int i = 0; i < p->n; i++) {
		sw += p->w[i];
		swy += p->w[i] * p->yv[i];
	}
	F->tree->nodes[p->node].dim = -1;
	F->tree->nodes[p->node].value = sw > 0 ? swy / sw : 0;
}

/* Grows the tree from root (taken over), depth first. */
static void grow(struct fit *F, struct part *root)
{
	struct part **stack = xmalloc(((size_t)F->max_depth + 2) * 2 * sizeof *stack);
	int top = 0, cap = 0;
	unsigned char *sides = NULL;
	int *map = NULL;

	stack[top++] = root;
	while (top > 0) {
		struct part *p = stack[--top], *ch[2], *l, *r;
		struct split s;
		struct forest_node *nd;

		if (!best_split(F, p, &s)) {
			make_leaf(F, p);
			free(p);
			continue;
		}
		if (p->n > cap) {
			cap = p->n;
			sides = xrealloc(sides, (size_t)cap);
			map = xrealloc(map, 2 * (size_t)cap * sizeof *map);
		}
		for (int i = 0; i < p->n; i++)
			sides[i] = (unsigned char)side_of(F, p->id[i], &s);
		split_part(F, p, &s, sides, map, ch);
		l = ch[0];
		r = ch[1];
		l->node = tree_node(F->tree);
		r->node = tree_node(F->tree);
		nd = &F->tree->nodes[p->node];
		*nd = (struct forest_node){.dim = s.dim, .thr = s.thr, .mask = s.mask,
					   .left = l->node, .right = r->node};
		free(p);
		stack[top++] = r;
		stack[top++] = l;
	}
	free(stack);
	free(sides);
	free(map);
}

/* The root of tree t: a bootstrap sample of the n samples, as weights; sorted
 * lists filtered from the global ones (order[k]: every sample with k
 * present, sorted by x[., k]; present[k] of them). */
static struct part *root_part(struct fit *F, int n, int *const *order, const int *present,
			      int *count, int *local)
{
	struct part *p;
	int m = 0;

	memset(count, 0, (size_t)n * sizeof *count);
	for (int i = 0; i < n; i++)
		count[rng_below(&F->rng, (uint64_t)n)]++;
	for (int i = 0; i < n; i++)
		m += count[i] > 0;
	p = part_new(m, F->d);
	p->depth = 0;
	m = 0;
	for (int i = 0; i < n; i++) {
		local[i] = count[i] > 0 ? m : -1;
		if (count[i] > 0) {
			p->id[m] = i;
			p->yv[m] = F->y[i];
			p->w[m++] = count[i];
		}
	}
	for (int k = 0; k < F->d; k++) {
		int *o = p->ord + (size_t)k * p->n, j = 0;

		double *v = p->val + (size_t)k * p->n;

		for (int i = 0; i < present[k]; i++)
			if (local[order[k][i]] >= 0) {
				v[j] = X(F, order[k][i], k);
				o[j++] = local[order[k][i]];
			}
		p->m[k] = j;
		p->lo[k] = F->dims[k].lo;
		p->hi[k] = F->dims[k].hi;
		p->mask[k] = F->dims[k].cats >= 64 ? ~0ULL : (1ULL << F->dims[k].cats) - 1;
	}
	return p;
}

static int check_input(const struct forest_dim *dims, int d, const double *x, const double *y,
		       int n, char *err, size_t errlen)
{
	if (n < 1 || d < 1)
		return err_set(err, errlen, "no samples or no dimensions");
	for (int k = 0; k < d; k++) {
		if (dims[k].cats < 0 || dims[k].cats > FOREST_MAX_CATS)
			return err_set(err, errlen, "dimension %d: %d categories (at most %d)", k,
				       dims[k].cats, FOREST_MAX_CATS);
		if (!dims[k].cats && !(dims[k].lo < dims[k].hi))
			return err_set(err, errlen, "dimension %d: empty range", k);
	}
	for (int i = 0; i < n; i++) {
		if (!isfinite(y[i]))
			return err_set(err, errlen, "sample %d: the value is not finite", i);
		for (int k = 0; k < d; k++) {
			double v = x[(size_t)i * d + k];

			if (dims[k].cats && !isnan(v) && !(v >= 0 && v < dims[k].cats && v == floor(v)))
				return err_set(err, errlen, "sample %d, dimension %d: not a category",
					       i, k);
			if (!dims[k].cats && isinf(v))
				return err_set(err, errlen, "sample %d, dimension %d: infinite", i, k);
		}
	}
	return 0;
}

/* qsort_r is not C11: sort (value, id) pairs instead. */
struct keyed {
	double v;
	int id;
};

static int keyed_cmp(const void *a, const void *b)
{
	const struct keyed *p = a, *q = b;

	return p->v < q->v ? -1 : p->v > q->v ? 1 : p->id - q->id;
}

/* order[k]: the samples with dimension k present, sorted by it. */
static void presort(const double *x, int n, int d, int **order, int *present)
{
	struct keyed *kv = xmalloc((size_t)n * sizeof *kv);

	for (int k = 0; k < d; k++) {
		int m = 0;

		for (int i = 0; i < n; i++)
			if (!isnan(x[(size_t)i * d + k]))
				kv[m++] = (struct keyed){x[(size_t)i * d + k], i};
		qsort(kv, (size_t)m, sizeof *kv, keyed_cmp);
		order[k] = xmalloc(((size_t)m + 1) * sizeof **order);
		for (int i = 0; i < m; i++)
			order[k][i] = kv[i].id;
		present[k] = m;
	}
	free(kv);
}

int forest_fit(struct forest *f, const struct forest_dim *dims, int n_dims, const double *x,
	       const double *y, int n, const struct forest_opts *o, char *err, size_t errlen)
{
	struct fit F = {.dims = dims, .d = n_dims, .x = x, .y = y};
	int **order, *present, *count, *local;

	memset(f, 0, sizeof *f);
	if (check_input(dims, n_dims, x, y, n, err, errlen) < 0)
		return -1;
	F.max_depth = o->max_depth > 0 ? o->max_depth : 64;
	f->n_dims = n_dims;
	f->dims = xmalloc((size_t)n_dims * sizeof *f->dims);
	memcpy(f->dims, dims, (size_t)n_dims * sizeof *dims);
	f->n_trees = o->trees > 0 ? o->trees : 64;
	f->trees = xcalloc((size_t)f->n_trees, sizeof *f->trees);
	order = xmalloc((size_t)n_dims * sizeof *order);
	present = xmalloc((size_t)n_dims * sizeof *present);
	F.perm = xmalloc((size_t)n_dims * sizeof *F.perm);
	count = xmalloc((size_t)n * sizeof *count);
	local = xmalloc((size_t)n * sizeof *local);
	presort(x, n, n_dims, order, present);
	for (int t = 0; t < f->n_trees; t++) {
		struct part *root;

		rng_seed(&F.rng, rng_derive(o->seed, (uint64_t)t));
		for (int k = 0; k < n_dims; k++)
			F.perm[k] = k;
		F.tree = &f->trees[t];
		root = root_part(&F, n, order, present, count, local);
		root->node = tree_node(F.tree);
		grow(&F, root);
	}
	for (int k = 0; k < n_dims; k++)
		free(order[k]);
	free(order);
	free(present);
	free(F.perm);
	free(count);
	free(local);
	return 0;
}

double forest_predict(const struct forest *f, const double *x)
{
	double sum = 0;

	for (int t = 0; t < f->n_trees; t++) {
		const struct forest_node *nd = f->trees[t].nodes;

		while (nd->dim >= 0) {
			int k = nd->dim, left = f->dims[k].cats ? (int)((nd->mask >> (int)x[k]) & 1)
								: x[k] < nd->thr;

			nd = &f->trees[t].nodes[left ? nd->left : nd->right];
		}
		sum += nd->value;
	}
	return f->n_trees ? sum / f->n_trees : 0;
}

void forest_finish(struct forest *f)
{
	if (!f)
		return;
	for (int t = 0; t < f->n_trees && f->trees; t++)
		free(f->trees[t].nodes);
	free(f->trees);
	free(f->dims);
	memset(f, 0, sizeof *f);
}
