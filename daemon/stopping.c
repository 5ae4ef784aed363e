/* stopping: the median and ASHA early-stopping rules, MO-ASHA among them
 * (see stopping.h). */
#include "stopping.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

/* Several objectives or a constraint: MO-ASHA's vectors. */
static void init_goals(struct stopping *s, const struct spec *spec)
{
	s->m = spec->n_objectives;
	s->n_goals = spec->n_objectives + spec->n_constraints;
	s->metric = xcalloc((size_t)s->n_goals, sizeof *s->metric);
	for (int j = 0; j < s->m; j++) {
		s->metric[j] = xstrdup(spec->objectives[j].metric);
		s->sense[j] = spec->objectives[j].max ? PARETO_MAX : PARETO_MIN;
	}
	for (int c = 0; c < spec->n_constraints; c++) {
		s->metric[s->m + c] = xstrdup(spec->constraints[c].metric);
		s->lo[c] = spec->constraints[c].lo;
		s->hi[c] = spec->constraints[c].hi;
	}
}

void stopping_init(struct stopping *s, const struct spec *spec)
{
	int j = spec->early_stop == EARLY_STOP_MEDIAN ? spec->es_objective : 0;

	memset(s, 0, sizeof *s);
	s->kind = spec->early_stop;
	s->warmup = spec->es_warmup;
	s->min_epochs = spec->es_min_epochs;
	s->eta = spec->es_eta;
	s->min_trials = spec->es_min_trials;
	if (s->kind == EARLY_STOP_ASHA && spec_has_goals(spec)) {
		init_goals(s, spec);
		return;
	}
	s->m = s->n_goals = 1;
	s->of_several = spec->n_objectives > 1;
	s->metric = xcalloc(1, sizeof *s->metric);
	if (j > 0 && j < spec->n_objectives) {
		s->metric[0] = xstrdup(spec->objectives[j].metric);
		s->sense[0] = spec->objectives[j].max ? PARETO_MAX : PARETO_MIN;
	} else {
		s->metric[0] = xstrdup(spec->objective_metric ? spec->objective_metric : "");
		s->sense[0] = spec->objective_max ? PARETO_MAX : PARETO_MIN;
	}
}

void stopping_finish(struct stopping *s)
{
	for (int i = 0; i < s->n_at; i++)
		free(s->at[i].e);
	for (int i = 0; i < s->n_trials; i++)
		free(s->trials[i].values);
	for (int j = 0; j < s->n_goals && s->metric; j++)
		free(s->metric[j]);
	free(s->metric);
	free(s->at);
	free(s->trials);
	memset(s, 0, sizeof *s);
}

/* Whether a is better than b in the one judged objective. */
static int better(const struct stopping *s, double a, double b)
{
	return s->sense[0] == PARETO_MAX ? a > b : a < b;
}

/* Grows an array of `size`-byte items to hold index i, zeroing new items. */
static void *grow(void *p, int *n, int i, size_t size)
{
	if (i < *n)
		return p;
	p = xrealloc(p, (size_t)(i + 1) * size);
	memset((char *)p + (size_t)*n * size, 0, (size_t)(i + 1 - *n) * size);
	*n = i + 1;
	return p;
}

/* Sets number's entry in list l (adding it when new). */
static void list_set(struct stop_list *l, int number, double value)
{
	for (int i = 0; i < l->n; i++)
		if (l->e[i].number == number) {
			l->e[i].value = value;
			return;
		}
	if (l->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 16;
		l->e = xrealloc(l->e, (size_t)l->cap * sizeof *l->e);
	}
	l->e[l->n].number = number;
	l->e[l->n++].value = value;
}

/* Records goal j's value at epoch for the trial. */
static void remember(struct stopping *s, int number, int epoch, int j, double value)
{
	struct stop_trial *t;
	size_t g = (size_t)s->n_goals;

	s->trials = grow(s->trials, &s->n_trials, number, sizeof *s->trials);
	t = &s->trials[number];
	if (epoch > t->n) {
		t->values = xrealloc(t->values, (size_t)epoch * g * sizeof *t->values);
		for (size_t v = (size_t)t->n * g; v < (size_t)epoch * g; v++)
			t->values[v] = NAN;
		t->n = epoch;
	}
	t->values[(size_t)(epoch - 1) * g + (size_t)j] = value;
	if (j == 0)
		t->due = epoch;
}

/* Goal j's value at epoch: the last reported at that epoch or before; NAN: none. */
static double value_at(const struct stopping *s, const struct stop_trial *t, int epoch, int j)
{
	for (int e = (epoch < t->n ? epoch : t->n); e >= 1; e--) {
		double v = t->values[(size_t)(e - 1) * (size_t)s->n_goals + (size_t)j];

		if (!isnan(v))
			return v;
	}
	return NAN;
}

/* The best value and the running average of the judged objective's first
 * `epoch` values. */
static void summarize(const struct stopping *s, const struct stop_trial *t, int epoch,
		      double *best, double *mean)
{
	double sum = 0;
	int count = 0;

	*best = NAN;
	for (int e = 0; e < epoch && e < t->n; e++) {
		double v = t->values[(size_t)e * (size_t)s->n_goals];

		if (isnan(v))
			continue;
		sum += v;
		count++;
		if (isnan(*best) || better(s, v, *best))
			*best = v;
	}
	*mean = count ? sum / count : NAN;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static int median_rule(struct stopping *s, int number, int epoch, const struct stop_trial *t,
		       char *reason, size_t n)
{
	struct stop_list *l;
	double best, mean, median, *others;
	int k = 0, stop;

	summarize(s, t, epoch, &best, &mean);
	s->at = grow(s->at, &s->n_at, epoch - 1, sizeof *s->at);
	l = &s->at[epoch - 1];
	list_set(l, number, mean);
	if (epoch <= s->warmup || l->n - 1 < s->min_trials)
		return 0;
	others = xmalloc((size_t)l->n * sizeof *others);
	for (int i = 0; i < l->n; i++)
		if (l->e[i].number != number)
			others[k++] = l->e[i].value;
	qsort(others, (size_t)k, sizeof *others, cmp_double);
	median = k % 2 ? others[k / 2] : (others[k / 2 - 1] + others[k / 2]) / 2;
	free(others);
	stop = better(s, median, best);
	if (stop)
		snprintf(reason, n,
			 "pruned at epoch %d: best %.6g is worse than the median %.6g of %d other "
			 "trials' running averages%s%s",
			 epoch, best, median, k, s->of_several ? " of " : "",
			 s->of_several ? s->metric[0] : "");
	return stop;
}

/* The rung index of epoch (min_epochs * eta^k == epoch), or -1. */
static int rung_of(const struct stopping *s, int epoch)
{
	long r = s->min_epochs;

	for (int k = 0; r <= epoch; k++, r *= s->eta)
		if (r == epoch)
			return k;
	return -1;
}

/* How many of the n trials at a rung go on: the top max(1, floor(n / eta)). */
static int rung_keep(const struct stopping *s, int n)
{
	return n / s->eta > 1 ? n / s->eta : 1;
}

static int asha_rule(struct stopping *s, int number, int epoch, const struct stop_trial *t,
		     char *reason, size_t n)
{
	int k = rung_of(s, epoch), rank = 0, keep;
	double best, mean;
	struct stop_list *l;

	if (k < 0)
		return 0;
	summarize(s, t, epoch, &best, &mean);
	s->at = grow(s->at, &s->n_at, k, sizeof *s->at);
	l = &s->at[k];
	list_set(l, number, best);
	for (int i = 0; i < l->n; i++)
		if (l->e[i].number != number && better(s, l->e[i].value, best))
			rank++;
	keep = rung_keep(s, l->n);
	if (rank < keep)
		return 0;
	snprintf(reason, n,
		 "pruned at epoch %d: best %.6g ranks %d of %d at rung %d, only the top %d go on",
		 epoch, best, rank + 1, l->n, k, keep);
	return 1;
}

/* Whether the trial has a value of every goal at epoch. */
static int complete_at(const struct stopping *s, const struct stop_trial *t, int epoch)
{
	for (int j = 0; j < s->n_goals; j++)
		if (isnan(value_at(s, t, epoch, j)))
			return 0;
	return 1;
}

/* The goal vectors at epoch of the n trials of list l: objectives into vals
 * (n x m), each one's constraint violation into viol. */
static void rung_vectors(const struct stopping *s, const struct stop_list *l, int epoch,
			 double *vals, double *viol)
{
	int m = s->m, k = s->n_goals - s->m;
	double con[SPEC_MAX_CONSTRAINTS];

	for (int i = 0; i < l->n; i++) {
		const struct stop_trial *t = &s->trials[l->e[i].number];

		for (int j = 0; j < m; j++)
			vals[(size_t)i * (size_t)m + (size_t)j] = value_at(s, t, epoch, j);
		for (int c = 0; c < k; c++)
			con[c] = value_at(s, t, epoch, m + c);
		viol[i] = pareto_violation(con, s->lo, s->hi, (size_t)k);
	}
}

/* MO-ASHA: the trial goes on when fewer than `keep` others at its rung come
 * before it by (Pareto rank, larger crowding). */
static int moasha_rule(struct stopping *s, int number, int epoch, char *reason, size_t n)
{
	int k = rung_of(s, epoch), me = 0, place = 0, keep, *rank;
	struct stop_list *l;
	double *vals, *viol, *crowd;
	size_t nl;

	if (k < 0)
		return 0;
	s->at = grow(s->at, &s->n_at, k, sizeof *s->at);
	l = &s->at[k];
	list_set(l, number, 0);
	nl = (size_t)l->n;
	vals = xmalloc(nl * (size_t)s->m * sizeof *vals);
	viol = xmalloc(nl * sizeof *viol);
	crowd = xmalloc(nl * sizeof *crowd);
	rank = xmalloc(nl * sizeof *rank);
	rung_vectors(s, l, epoch, vals, viol);
	pareto_rank(vals, viol, nl, (size_t)s->m, s->sense, rank);
	pareto_crowding(vals, rank, nl, (size_t)s->m, crowd);
	while (l->e[me].number != number)
		me++;
	for (int i = 0; i < l->n; i++)
		place += i != me &&
			 (rank[i] < rank[me] || (rank[i] == rank[me] && crowd[i] > crowd[me]));
	keep = rung_keep(s, l->n);
	if (place >= keep) {
		int len = snprintf(reason, n,
				   "pruned at epoch %d: Pareto rank %d (crowding %.3g) places %d "
				   "of %d at rung %d, only the top %d go on",
				   epoch, rank[me], crowd[me], place + 1, l->n, k, keep);

		if (viol[me] > 0 && len >= 0 && (size_t)len < n)
			snprintf(reason + len, n - (size_t)len, " (infeasible by %.3g)", viol[me]);
	}
	free(vals);
	free(viol);
	free(crowd);
	free(rank);
	return place >= keep;
}

void stopping_note(struct stopping *s, int number, int epoch, const char *metric, double value)
{
	if (s->kind == EARLY_STOP_NONE || number < 0 || epoch < 1 || !metric || !isfinite(value))
		return;
	for (int j = 0; j < s->n_goals; j++)
		if (strcmp(s->metric[j], metric) == 0)
			remember(s, number, epoch, j, value);
}

int stopping_judge(struct stopping *s, int number, int epoch, int last, char *reason, size_t n)
{
	struct stop_trial *t;
	int stop;

	if (s->kind == EARLY_STOP_NONE || number < 0 || number >= s->n_trials || epoch < 1)
		return 0;
	t = &s->trials[number];
	if (t->due != epoch)
		return 0;
	if (s->n_goals > 1 && rung_of(s, epoch) >= 0 && !complete_at(s, t, epoch))
		return 0; /* a goal may still come on a later line of this epoch */
	t->due = 0;
	if (s->kind == EARLY_STOP_MEDIAN)
		stop = median_rule(s, number, epoch, t, reason, n);
	else if (s->n_goals > 1)
		stop = moasha_rule(s, number, epoch, reason, n);
	else
		stop = asha_rule(s, number, epoch, t, reason, n);
	return stop && !(last > 0 && epoch >= last);
}

int stopping_report(struct stopping *s, int number, int epoch, int last, double value,
		   char *reason, size_t n)
{
	if (s->kind == EARLY_STOP_NONE)
		return 0;
	stopping_note(s, number, epoch, s->metric[0], value);
	return stopping_judge(s, number, epoch, last, reason, n);
}
