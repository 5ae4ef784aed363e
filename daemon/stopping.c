/* stopping: the median and ASHA early-stopping rules (see stopping.h). */
#include "stopping.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

void stopping_init(struct stopping *s, const struct spec *spec)
{
	memset(s, 0, sizeof *s);
	s->kind = spec->early_stop;
	s->maximize = spec->objective_max;
	s->warmup = spec->es_warmup;
	s->min_epochs = spec->es_min_epochs;
	s->eta = spec->es_eta;
	s->min_trials = spec->es_min_trials;
}

void stopping_finish(struct stopping *s)
{
	for (int i = 0; i < s->n_at; i++)
		free(s->at[i].e);
	for (int i = 0; i < s->n_trials; i++)
		free(s->trials[i].values);
	free(s->at);
	free(s->trials);
	memset(s, 0, sizeof *s);
}

static int better(const struct stopping *s, double a, double b)
{
	return s->maximize ? a > b : a < b;
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

/* Records value at epoch for the trial; returns its history. */
static struct stop_trial *remember(struct stopping *s, int number, int epoch, double value)
{
	struct stop_trial *t;

	s->trials = grow(s->trials, &s->n_trials, number, sizeof *s->trials);
	t = &s->trials[number];
	if (epoch > t->n) {
		t->values = xrealloc(t->values, (size_t)epoch * sizeof *t->values);
		for (int e = t->n; e < epoch; e++)
			t->values[e] = NAN;
		t->n = epoch;
	}
	t->values[epoch - 1] = value;
	return t;
}

/* The best value and the running average of the first `epoch` values. */
static void summarize(const struct stopping *s, const struct stop_trial *t, int epoch,
		      double *best, double *mean)
{
	double sum = 0;
	int count = 0;

	*best = NAN;
	for (int e = 0; e < epoch && e < t->n; e++) {
		double v = t->values[e];

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
			 "trials' running averages",
			 epoch, best, median, k);
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
	keep = l->n / s->eta > 1 ? l->n / s->eta : 1;
	if (rank < keep)
		return 0;
	snprintf(reason, n,
		 "pruned at epoch %d: best %.6g ranks %d of %d at rung %d, only the top %d go on",
		 epoch, best, rank + 1, l->n, k, keep);
	return 1;
}

int stopping_report(struct stopping *s, int number, int epoch, int last, double value,
		   char *reason, size_t n)
{
	const struct stop_trial *t;
	int stop;

	if (s->kind == EARLY_STOP_NONE || number < 0 || epoch < 1 || !isfinite(value))
		return 0;
	t = remember(s, number, epoch, value);
	if (s->kind == EARLY_STOP_MEDIAN)
		stop = median_rule(s, number, epoch, t, reason, n);
	else
		stop = asha_rule(s, number, epoch, t, reason, n);
	return stop && !(last > 0 && epoch >= last);
}
