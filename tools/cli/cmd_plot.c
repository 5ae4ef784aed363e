/* cmd_plot: `caviar plot SWEEP -o FILE.svg|FILE.png [-k K]`, a figure of a
 * sweep drawn with cairo, titled with the sweep's id and name: on the left the
 * objective's learning curves of every trial (the best K in colour, the rest
 * faint grey, pruned ones dashed, a one-epoch curve a dot), with a legend of
 * the best K by their leaderboard rank (as `caviar top`) in the corner the
 * curves leave freest; on the right one small panel per sampled parameter, the
 * objective against that parameter on the parameter's own scale (log for log
 * and log_int; 1-x on a log axis for reverse_log; one evenly spaced slot per
 * value of a choice), the scale read from the sweep's spec. Integer axes
 * (epochs, int parameters) get integer ticks. --json reports what was drawn
 * (title, legend, each panel's ticks). Reads the database only (store.h). */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cairo-svg.h>
#include <cairo.h>
#include <fontconfig/fontconfig.h>

#include "cli.h"
#include "errbuf.h"
#include "hparams.h"
#include "importance.h"
#include "lineage.h"
#include "spec.h"
#include "cli_store.h"
#include "xalloc.h"

#define WIDTH 1200.0
#define HEIGHT 640.0
#define TOP 30.0       /* the figure's title band */
#define MAX_TICKS 64
#define LEGEND_ROWS 10 /* legend entries shown; more are counted in a last line */

/* Best-K colours (matplotlib's tab10). */
static const double palette[][3] = {
	{0.122, 0.467, 0.706}, {1.000, 0.498, 0.055}, {0.173, 0.627, 0.173},
	{0.839, 0.153, 0.157}, {0.580, 0.404, 0.741}, {0.549, 0.337, 0.294},
	{0.890, 0.467, 0.761}, {0.737, 0.741, 0.133}, {0.090, 0.745, 0.812},
};
#define N_COLOURS (sizeof palette / sizeof palette[0])

enum plot_kind { PLOT_SWEEP, PLOT_IMPORTANCE, PLOT_PARALLEL, PLOT_PAIR, PLOT_LINEAGE };

struct plot_opts {
	const char *db, *out;
	long long k;
	enum plot_kind kind;
};

struct plot {
	const char *metric;
	cJSON *curves;      /* QUERY_METRIC rows: trial_id, number, epoch, value */
	cJSON *trials;      /* QUERY_TRIALS rows */
	long long top[64];  /* trial ids of the best K, best first */
	int rank[64];       /* their leaderboard ranks (ties share one, as in `caviar top`) */
	int n_top;
	long long sweep;    /* the sweep's id */
	char *name;         /* and its name (malloc'd) */
	struct spec spec;
	cJSON *report;      /* what was drawn, for --json */
	enum plot_kind kind;
	struct importance imp; /* --importance, --pair */
	cJSON *lineage;        /* --lineage: lineage_load's */
	cJSON *adjustments[64]; /* QUERY_ADJUSTMENTS rows of top[i] (owned) */
};

/* A data range mapped to a pixel range. A categorical axis (cats: the
 * values of a choice) has one slot per value, at 0 .. n-1. */
struct axis {
	double lo, hi;
	int log;
	int integer;       /* ticks at integers only */
	const cJSON *cats; /* not owned */
	double p0, p1;
};

static double axis_map(const struct axis *a, double v)
{
	double t = a->log ? (log10(v) - log10(a->lo)) / (log10(a->hi) - log10(a->lo))
			  : (v - a->lo) / (a->hi - a->lo);

	return a->p0 + t * (a->p1 - a->p0);
}

/* A categorical axis: a slot per value of cats, half a slot of margin. */
static void axis_fit_cats(struct axis *a, const cJSON *cats)
{
	a->cats = cats;
	a->log = 0;
	a->lo = -0.5;
	a->hi = cJSON_GetArraySize(cats) - 0.5;
}

/* Sets the range to [lo, hi] with a margin. */
static void axis_fit(struct axis *a, double lo, double hi, int log_scale)
{
	a->log = log_scale;
	if (!(lo <= hi) || (log_scale && !(lo > 0))) {
		lo = log_scale ? 0.1 : 0;
		hi = 1;
	}
	if (log_scale) {
		double f = lo == hi ? 2 : pow(hi / lo, 0.05);

		a->lo = lo / f;
		a->hi = hi * f;
	} else {
		double pad = lo == hi ? (fabs(lo) > 0 ? fabs(lo) * 0.1 : 0.5) : (hi - lo) * 0.05;

		a->lo = lo - pad;
		a->hi = hi + pad;
	}
}

static void tick_label(char *buf, size_t n, double v, int decimals)
{
	if (decimals < 0)
		snprintf(buf, n, "%g", v);
	else
		snprintf(buf, n, "%.*f", decimals, v);
}

/* A choice's value as a tick label. */
static void cat_label(char *buf, size_t n, const cJSON *v)
{
	if (cJSON_IsString(v))
		snprintf(buf, n, "%s", v->valuestring);
	else if (cJSON_IsNumber(v))
		snprintf(buf, n, "%g", v->valuedouble);
	else
		snprintf(buf, n, "%s", cJSON_IsTrue(v) ? "true" : "false");
}

/* A linear axis's tick step: 1, 2 or 5 times a power of ten, at least 1 on
 * an integer axis; and the decimals its labels need. */
static double tick_step(const struct axis *a, int *decimals)
{
	double raw = (a->hi - a->lo) / 5, mag = pow(10, floor(log10(raw)));
	double step = raw / mag < 1.5 ? mag : raw / mag < 3.5 ? 2 * mag : raw / mag < 7.5 ? 5 * mag : 10 * mag;

	if (a->integer && step < 1)
		step = 1;
	*decimals = step >= 1 ? 0 : (int)ceil(-log10(step) - 1e-9);
	return step;
}

/* Tick positions in the range and their labels; returns how many. */
static int axis_ticks(const struct axis *a, double *t, char (*label)[32])
{
	int n = 0, dec;

	if (a->cats) {
		for (const cJSON *v = a->cats->child; v && n < MAX_TICKS; v = v->next, n++) {
			t[n] = n;
			cat_label(label[n], sizeof label[n], v);
		}
		return n;
	}
	if (a->log) {
		int e0 = (int)floor(log10(a->lo)), e1 = (int)ceil(log10(a->hi));
		int few = e1 - e0 <= 2;

		for (int e = e0; e <= e1 && n < MAX_TICKS - 3; e++)
			for (int m = 1; m <= 5; m += m == 1 ? 1 : 3)
				if ((m == 1 || few) && pow(10, e) * m >= a->lo &&
				    pow(10, e) * m <= a->hi) {
					t[n] = pow(10, e) * m;
					tick_label(label[n], sizeof label[n], t[n], -1);
					n++;
				}
		return n;
	}
	double step = tick_step(a, &dec);

	for (double v = ceil(a->lo / step) * step; v <= a->hi && n < MAX_TICKS; v += step, n++) {
		t[n] = fabs(v) < step * 1e-9 ? 0 : v;
		tick_label(label[n], sizeof label[n], t[n], dec);
	}
	return n;
}

static void text_at(cairo_t *cr, double x, double y, double ax, double ay, const char *s)
{
	cairo_text_extents_t e;

	cairo_text_extents(cr, s, &e);
	cairo_move_to(cr, x - e.width * ax - e.x_bearing, y - e.height * ay - e.y_bearing);
	cairo_show_text(cr, s);
}

/* The frame of a panel: box, ticks with labels, grid lines, axis labels,
 * title; the x ticks' labels are added to ticks (a JSON array) when given. */
static void draw_frame(cairo_t *cr, const struct axis *x, const struct axis *y, const char *xlabel,
		       const char *ylabel, const char *title, cJSON *ticks)
{
	double t[MAX_TICKS];
	char label[MAX_TICKS][32];
	int n;

	cairo_set_font_size(cr, 10);
	cairo_set_line_width(cr, 1);
	n = axis_ticks(x, t, label);
	for (int i = 0; i < n; i++) {
		double px = axis_map(x, t[i]);

		cairo_set_source_rgb(cr, 0.92, 0.92, 0.92);
		cairo_move_to(cr, px, y->p0);
		cairo_line_to(cr, px, y->p1);
		cairo_stroke(cr);
		cairo_set_source_rgb(cr, 0.2, 0.2, 0.2);
		text_at(cr, px, y->p0 + 4, 0.5, 0, label[i]);
		if (ticks)
			cJSON_AddItemToArray(ticks, cJSON_CreateString(label[i]));
	}
	n = axis_ticks(y, t, label);
	for (int i = 0; i < n; i++) {
		double py = axis_map(y, t[i]);

		cairo_set_source_rgb(cr, 0.92, 0.92, 0.92);
		cairo_move_to(cr, x->p0, py);
		cairo_line_to(cr, x->p1, py);
		cairo_stroke(cr);
		cairo_set_source_rgb(cr, 0.2, 0.2, 0.2);
		text_at(cr, x->p0 - 4, py, 1, 0.5, label[i]);
	}
	cairo_set_source_rgb(cr, 0.3, 0.3, 0.3);
	cairo_rectangle(cr, x->p0, y->p1, x->p1 - x->p0, y->p0 - y->p1);
	cairo_stroke(cr);
	cairo_set_font_size(cr, 11);
	text_at(cr, (x->p0 + x->p1) / 2, y->p0 + 20, 0.5, 0, xlabel);
	cairo_save(cr);
	cairo_translate(cr, x->p0 - 44, (y->p0 + y->p1) / 2);
	cairo_rotate(cr, -M_PI / 2);
	text_at(cr, 0, 0, 0.5, 0.5, ylabel);
	cairo_restore(cr);
	cairo_set_font_size(cr, 12);
	text_at(cr, (x->p0 + x->p1) / 2, y->p1 - 8, 0.5, 1, title);
}

/* The rank (0-based) of trial id among the best K, or -1. */
static int top_rank(const struct plot *p, long long id)
{
	for (int i = 0; i < p->n_top; i++)
		if (p->top[i] == id)
			return i;
	return -1;
}

static void set_trial_colour(cairo_t *cr, int rank, double width)
{
	if (rank < 0) {
		cairo_set_source_rgba(cr, 0.55, 0.55, 0.55, 0.35);
		cairo_set_line_width(cr, width / 2);
	} else {
		cairo_set_source_rgb(cr, palette[rank % N_COLOURS][0], palette[rank % N_COLOURS][1],
				     palette[rank % N_COLOURS][2]);
		cairo_set_line_width(cr, width);
	}
}

/* The trial's QUERY_TRIALS row, or NULL. */
static const cJSON *trial_row(const struct plot *p, long long id)
{
	const cJSON *t;

	cJSON_ArrayForEach(t, p->trials)
		if ((long long)query_num(t, "id", 0) == id)
			return t;
	return NULL;
}

static int is_pruned(const cJSON *trial)
{
	const char *status = cJSON_GetStringValue(query_get(trial, "status"));

	return status && strcmp(status, "pruned") == 0;
}

static long long row_trial(const cJSON *r)
{
	return r ? (long long)query_num(r, "trial_id", 0) : -1;
}

/* A pruned trial's line is dashed, its curve's and its legend sample's alike;
 * any other solid. */
static void set_trial_dash(cairo_t *cr, int pruned)
{
	static const double dash[] = {5, 3};

	cairo_set_dash(cr, dash, pruned ? 2 : 0, 0);
}

/* One trial's curve, from its first row of p->curves: a line (dashed when
 * the trial was pruned), or a dot when it has one point. */
static void stroke_trial(cairo_t *cr, const cJSON *r, int rank, int pruned, const struct axis *x,
			 const struct axis *y)
{
	long long id = row_trial(r);
	double px = 0, py = 0;
	int n = 0;

	set_trial_colour(cr, rank, 2);
	set_trial_dash(cr, pruned);
	for (; r && row_trial(r) == id; r = r->next, n++) {
		px = axis_map(x, query_num(r, "epoch", 0));
		py = axis_map(y, query_num(r, "value", 0));
		if (n == 0)
			cairo_move_to(cr, px, py);
		else
			cairo_line_to(cr, px, py);
	}
	if (n == 1) {
		cairo_new_path(cr);
		cairo_arc(cr, px, py, rank >= 0 ? 3.5 : 2.5, 0, 2 * M_PI);
		cairo_fill(cr);
	} else {
		cairo_stroke(cr);
	}
	cairo_set_dash(cr, NULL, 0, 0);
}

/* A ▲ on a best-K curve (its first row r) at each epoch its trial was
 * adjusted or forked with changes, where its curve is then; returns how many. */
static int mark_adjustments(cairo_t *cr, const struct plot *p, const cJSON *r, int rank,
			    const struct axis *x, const struct axis *y)
{
	long long id = row_trial(r);
	const cJSON *a, *q;
	int n = 0;

	for (int i = 0; i < p->n_top; i++) {
		if (p->top[i] != id)
			continue;
		cJSON_ArrayForEach(a, p->adjustments[i]) {
			double e = query_num(a, "epoch", 0), v = NAN;

			for (q = r; q && row_trial(q) == id; q = q->next) /* at e, or its first */
				if (isnan(v) || query_num(q, "epoch", 0) <= e)
					v = query_num(q, "value", NAN);
			if (isnan(v))
				continue;
			set_trial_colour(cr, rank, 1);
			cairo_move_to(cr, axis_map(x, e), axis_map(y, v) - 7);
			cairo_rel_line_to(cr, -5, 9);
			cairo_rel_line_to(cr, 10, 0);
			cairo_close_path(cr);
			cairo_fill(cr);
			n++;
		}
	}
	return n;
}

/* Draws the curves of pass 0 (others) or pass 1 (best K, with their
 * adjustments marked); returns how many, and counts the pruned trials' in
 * *pruned and the marks in *marks. */
static int stroke_curves(cairo_t *cr, const struct plot *p, const struct axis *x,
			 const struct axis *y, int pass, int *pruned, int *marks)
{
	const cJSON *r;
	int n = 0;

	for (r = p->curves ? p->curves->child : NULL; r; r = r->next) {
		long long id = row_trial(r);
		int rank = top_rank(p, id), cut = is_pruned(trial_row(p, id));

		if (r->prev && r != p->curves->child && row_trial(r->prev) == id)
			continue; /* not the trial's first row */
		if ((rank >= 0) != pass)
			continue;
		stroke_trial(cr, r, rank, cut, x, y);
		if (pass)
			*marks += mark_adjustments(cr, p, r, rank, x, y);
		n++;
		*pruned += cut;
	}
	return n;
}

/* How much of the curves lies in the box: their points and the points along
 * their segments, the best K's counted ten times. */
static double box_cover(const struct plot *p, const struct axis *x, const struct axis *y,
			double bx, double by, double bw, double bh)
{
	const cJSON *r;
	double cover = 0;

	for (r = p->curves ? p->curves->child : NULL; r; r = r->next) {
		int first = r == p->curves->child || row_trial(r->prev) != row_trial(r);
		double x1 = axis_map(x, query_num(r, "epoch", 0)), y1 = axis_map(y, query_num(r, "value", 0));
		double x0 = first ? x1 : axis_map(x, query_num(r->prev, "epoch", 0));
		double y0 = first ? y1 : axis_map(y, query_num(r->prev, "value", 0));
		double w = top_rank(p, row_trial(r)) >= 0 ? 10 : 1;

		for (int i = 0; i <= 16; i++) {
			double px = x0 + (x1 - x0) * i / 16, py = y0 + (y1 - y0) * i / 16;

			cover += w * (px >= bx && px <= bx + bw && py >= by && py <= by + bh);
		}
	}
	return cover;
}

/* "1. trial 16 (no. 15): 0.06486": a legend entry, by the trial's leaderboard rank. */
static void legend_text(char *buf, size_t n, const struct plot *p, int i)
{
	const cJSON *t = trial_row(p, p->top[i]);

	snprintf(buf, n, "%d. trial %lld (no. %d): %.4g%s", p->rank[i], p->top[i],
		 (int)query_num(t, "number", 0), query_num(t, "objective", NAN),
		 is_pruned(t) ? ", pruned" : "");
}

/* The legend in the corner of the curves' panel they cover least. */
static void draw_legend(cairo_t *cr, const struct plot *p, const struct axis *x,
			const struct axis *y)
{
	static const char *const corners[] = {"top right", "top left", "bottom right", "bottom left"};
	int rows = p->n_top > LEGEND_ROWS ? LEGEND_ROWS + 1 : p->n_top, best = 0;
	double bw = 0, bh = 14.0 * rows + 8, bx[4], by[4], cover[4];
	cJSON *legend = cJSON_AddObjectToObject(p->report, "legend"), *entries;
	char buf[128];

	if (!p->n_top)
		return;
	cairo_set_font_size(cr, 10);
	for (int i = 0; i < p->n_top && i < LEGEND_ROWS; i++) {
		cairo_text_extents_t e;

		legend_text(buf, sizeof buf, p, i);
		cairo_text_extents(cr, buf, &e);
		bw = fmax(bw, e.x_advance + 40);
	}
	for (int c = 0; c < 4; c++) {
		bx[c] = c % 2 ? x->p0 + 8 : x->p1 - 8 - bw;
		by[c] = c < 2 ? y->p1 + 8 : y->p0 - 8 - bh;
		cover[c] = box_cover(p, x, y, bx[c], by[c], bw, bh);
		if (cover[c] < cover[best])
			best = c;
	}
	cJSON_AddStringToObject(legend, "corner", corners[best]);
	cJSON_AddNumberToObject(legend, "covers", cover[best]);
	entries = cJSON_AddArrayToObject(legend, "entries");
	cairo_set_source_rgba(cr, 1, 1, 1, 0.85);
	cairo_rectangle(cr, bx[best], by[best], bw, bh);
	cairo_fill(cr);
	for (int i = 0; i < rows; i++) {
		double ly = by[best] + 11 + 14 * i;
		cJSON *entry;

		if (i == LEGEND_ROWS) {
			snprintf(buf, sizeof buf, "and %d more", p->n_top - LEGEND_ROWS);
		} else {
			legend_text(buf, sizeof buf, p, i);
			set_trial_colour(cr, i, 2);
			set_trial_dash(cr, is_pruned(trial_row(p, p->top[i])));
			cairo_move_to(cr, bx[best] + 6, ly);
			cairo_line_to(cr, bx[best] + 26, ly);
			cairo_stroke(cr);
			set_trial_dash(cr, 0);
		}
		cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
		text_at(cr, bx[best] + 31, ly, 0, 0.5, buf);
		cJSON_AddItemToArray(entries, entry = cJSON_CreateObject());
		cJSON_AddStringToObject(entry, "text", buf);
		if (i < LEGEND_ROWS) {
			cJSON_AddNumberToObject(entry, "rank", p->rank[i]);
			cJSON_AddNumberToObject(entry, "trial_id", (double)p->top[i]);
		}
	}
}

static void draw_curves(cairo_t *cr, const struct plot *p, double right)
{
	struct axis x = {.p0 = 80, .p1 = right, .integer = 1}, y = {.p0 = HEIGHT - 60, .p1 = TOP + 50};
	double lo = INFINITY, hi = -INFINITY, emax = 1;
	cJSON *ticks = cJSON_AddArrayToObject(p->report, "epoch_ticks");
	const cJSON *r;
	char title[128];
	int n, pruned = 0, marks = 0;

	cJSON_ArrayForEach(r, p->curves) {
		lo = fmin(lo, query_num(r, "value", NAN));
		hi = fmax(hi, query_num(r, "value", NAN));
		emax = fmax(emax, query_num(r, "epoch", 1));
	}
	axis_fit(&x, 1, emax, 0);
	axis_fit(&y, lo, hi, 0);
	snprintf(title, sizeof title, "%s learning curves (best %d in colour, pruned dashed, "
		 "\u25B2 adjusted)", p->metric, p->n_top);
	draw_frame(cr, &x, &y, "epoch", p->metric, title, ticks);
	cairo_save(cr);
	cairo_rectangle(cr, x.p0, y.p1, x.p1 - x.p0, y.p0 - y.p1);
	cairo_clip(cr);
	n = stroke_curves(cr, p, &x, &y, 0, &pruned, &marks);
	n += stroke_curves(cr, p, &x, &y, 1, &pruned, &marks);
	cairo_restore(cr);
	draw_legend(cr, p, &x, &y);
	cJSON_AddNumberToObject(p->report, "curves", n);
	cJSON_AddNumberToObject(p->report, "pruned", pruned);
	cJSON_AddNumberToObject(p->report, "adjustments_marked", marks);
}

/* Whether a parameter gets a panel: sampled, and a choice of two values or more. */
static int param_plotted(const struct spec_param *sp)
{
	return sp->kind != PARAM_FIXED &&
	       (sp->kind != PARAM_CHOICE || cJSON_GetArraySize(sp->values) > 1);
}

static const char *pname_of(const struct importance *im, int k)
{
	return im->spec.params[im->param[k]].name;
}

/* Where value v goes on the parameter's axis; NaN when it has no place. */
static double param_x(const struct spec_param *sp, const cJSON *v)
{
	if (sp->kind == PARAM_CHOICE) {
		int i = spec_choice_index(sp, v);

		return i < 0 ? NAN : i;
	}
	if (!cJSON_IsNumber(v))
		return NAN;
	return sp->kind == PARAM_REVERSE_LOG ? 1 - v->valuedouble : v->valuedouble;
}

/* Dots of one parameter panel for pass 0 (others) or 1 (best K), of the
 * trials that count (those with an objective: objectives view); a pruned
 * trial's a ring. Returns how many. */
static int param_dots(cairo_t *cr, const struct plot *p, const struct spec_param *sp,
		      const struct axis *x, const struct axis *y, int pass)
{
	const cJSON *t;
	int n = 0;

	cJSON_ArrayForEach(t, p->trials) {
		int rank = top_rank(p, (long long)query_num(t, "id", 0));
		double obj = query_num(t, "objective", NAN);
		double xv = param_x(sp, query_get(query_get(t, "params"), sp->name));

		if (isnan(xv) || isnan(obj) || (rank >= 0) != pass)
			continue;
		if (x->log && !(xv > 0))
			continue;
		set_trial_colour(cr, rank, 2);
		cairo_new_sub_path(cr);
		cairo_arc(cr, axis_map(x, xv), axis_map(y, obj), rank >= 0 ? 4 : 3, 0, 2 * M_PI);
		if (is_pruned(t)) {
			cairo_set_line_width(cr, 1.5);
			cairo_stroke(cr);
		} else {
			cairo_fill(cr);
		}
		n++;
	}
	return n;
}

/* A parameter's axis on its own scale (spec_kind_scale's): a reverse_log
 * one is drawn as 1 - x on a log axis. */
static void param_axis(struct axis *a, const struct spec_param *sp)
{
	const char *scale = spec_kind_scale(sp->kind);
	int reverse = strcmp(scale, "reverse_log") == 0;

	if (strcmp(scale, "choice") == 0) {
		axis_fit_cats(a, sp->values);
		return;
	}
	a->integer = sp->kind == PARAM_INT || sp->kind == PARAM_LOG_INT;
	axis_fit(a, reverse ? 1 - sp->hi : sp->lo, reverse ? 1 - sp->lo : sp->hi,
		 reverse || strcmp(scale, "log") == 0);
}

static void draw_param(cairo_t *cr, const struct plot *p, const struct spec_param *sp,
		       struct axis x, struct axis y, double ylo, double yhi)
{
	cJSON *panel = cJSON_CreateObject(), *ticks;
	char label[128];
	int n;

	param_axis(&x, sp);
	axis_fit(&y, ylo, yhi, 0);
	if (sp->kind == PARAM_REVERSE_LOG)
		snprintf(label, sizeof label, "1 - %s (log scale)", sp->name);
	else
		snprintf(label, sizeof label, "%s%s", sp->name, x.log ? " (log scale)" : "");
	cJSON_AddStringToObject(panel, "param", sp->name);
	cJSON_AddStringToObject(panel, "scale", spec_kind_scale(sp->kind));
	ticks = cJSON_AddArrayToObject(panel, "ticks");
	draw_frame(cr, &x, &y, label, p->metric, "", ticks);
	n = param_dots(cr, p, sp, &x, &y, 0);
	n += param_dots(cr, p, sp, &x, &y, 1);
	cJSON_AddNumberToObject(panel, "points", n);
	cJSON_AddItemToArray(cJSON_GetObjectItemCaseSensitive(p->report, "panels"), panel);
}

/* The grid of parameter panels in [left, WIDTH]. */
static void draw_params(cairo_t *cr, const struct plot *p, double left)
{
	double ylo = INFINITY, yhi = -INFINITY, w, h;
	const cJSON *t;
	int n = 0, cols, rows, k = 0;

	cJSON_AddArrayToObject(p->report, "panels");
	for (int i = 0; i < p->spec.n_params; i++)
		n += param_plotted(&p->spec.params[i]);
	if (n == 0)
		return;
	cJSON_ArrayForEach(t, p->trials) {
		ylo = fmin(ylo, query_num(t, "objective", NAN));
		yhi = fmax(yhi, query_num(t, "objective", NAN));
	}
	cols = n > 2 ? 2 : 1;
	rows = (n + cols - 1) / cols;
	w = (WIDTH - left) / cols;
	h = (HEIGHT - TOP - 20) / rows;
	for (int i = 0; i < p->spec.n_params; i++) {
		struct axis x, y;

		if (!param_plotted(&p->spec.params[i]))
			continue;
		x = (struct axis){.p0 = left + (k % cols) * w + 60, .p1 = left + (k % cols + 1) * w - 15};
		y = (struct axis){.p0 = TOP + 20 + (k / cols + 1) * h - 45,
				  .p1 = TOP + 20 + (k / cols) * h + 15};
		draw_param(cr, p, &p->spec.params[i], x, y, ylo, yhi);
		k++;
	}
}

static void render_importance(cairo_t *cr, const struct plot *p);
static void render_parallel(cairo_t *cr, const struct plot *p);
static void render_pair(cairo_t *cr, const struct plot *p);
static void render_lineage(cairo_t *cr, const struct plot *p);

static void render(cairo_t *cr, const struct plot *p)
{
	int params = 0;

	char title[256];

	if (p->kind != PLOT_SWEEP) {
		cairo_set_source_rgb(cr, 1, 1, 1);
		cairo_paint(cr);
		cairo_select_font_face(cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL,
				       CAIRO_FONT_WEIGHT_NORMAL);
		if (p->kind == PLOT_IMPORTANCE)
			render_importance(cr, p);
		else if (p->kind == PLOT_PARALLEL)
			render_parallel(cr, p);
		else if (p->kind == PLOT_LINEAGE)
			render_lineage(cr, p);
		else
			render_pair(cr, p);
		return;
	}

	for (int i = 0; i < p->spec.n_params; i++)
		params += param_plotted(&p->spec.params[i]);
	cairo_set_source_rgb(cr, 1, 1, 1);
	cairo_paint(cr);
	cairo_select_font_face(cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_BOLD);
	snprintf(title, sizeof title, "sweep %lld \"%s\": %s (%s is better), %d trials", p->sweep,
		 p->name, p->metric, p->spec.objective_max ? "higher" : "lower",
		 cJSON_GetArraySize(p->trials));
	cJSON_AddStringToObject(p->report, "title", title);
	cairo_set_font_size(cr, 15);
	cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
	text_at(cr, WIDTH / 2, 12, 0.5, 0, title);
	cairo_select_font_face(cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
	draw_curves(cr, p, params ? WIDTH * 0.5 : WIDTH - 30);
	draw_params(cr, p, WIDTH * 0.52);
}

/* ---- --importance, --parallel, --pair ---- */

/* A colour for t in [0, 1] (worst to best objective): viridis. */
static void set_viridis(cairo_t *cr, double t, double alpha)
{
	static const double stops[][3] = {{0.267, 0.005, 0.329}, {0.229, 0.322, 0.546},
					  {0.128, 0.567, 0.551}, {0.369, 0.789, 0.383},
					  {0.993, 0.906, 0.144}};
	double u = fmin(1, fmax(0, t)) * 4;
	int i = u >= 4 ? 3 : (int)u;

	u -= i;
	cairo_set_source_rgba(cr, stops[i][0] + u * (stops[i + 1][0] - stops[i][0]),
			      stops[i][1] + u * (stops[i + 1][1] - stops[i][1]),
			      stops[i][2] + u * (stops[i + 1][2] - stops[i][2]), alpha);
}

/* The finished trials (done or pruned, with an objective), worst first;
 * *n of them (the array is malloc'd). */
static const cJSON **finished_by_objective(const struct plot *p, int *n)
{
	const cJSON **t = xmalloc(((size_t)cJSON_GetArraySize(p->trials) + 1) * sizeof *t), *r;
	int sign = p->spec.objective_max ? 1 : -1;

	*n = 0;
	cJSON_ArrayForEach(r, p->trials) {
		const char *status = cJSON_GetStringValue(query_get(r, "status"));
		double v = query_num(r, "best_value", NAN);
		int j = (*n)++;

		if (!status || (strcmp(status, "done") && strcmp(status, "pruned")) || !isfinite(v)) {
			(*n)--;
			continue;
		}
		for (; j > 0 && sign * query_num(t[j - 1], "best_value", 0) > sign * v; j--)
			t[j] = t[j - 1];
		t[j] = r;
	}
	return t;
}

static void axis_label(char *buf, size_t n, const struct spec_param *sp)
{
	if (sp->kind == PARAM_REVERSE_LOG)
		snprintf(buf, n, "1 - %s (log)", sp->name);
	else
		snprintf(buf, n, "%s%s", sp->name,
			 sp->kind == PARAM_LOG || sp->kind == PARAM_LOG_INT ? " (log)" : "");
}

static void plot_title(cairo_t *cr, const struct plot *p, const char *what)
{
	char title[256];

	snprintf(title, sizeof title, "sweep %lld \"%s\": %s", p->sweep, p->name, what);
	cJSON_AddStringToObject(p->report, "title", title);
	cairo_select_font_face(cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_BOLD);
	cairo_set_font_size(cr, 15);
	cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
	text_at(cr, WIDTH / 2, 12, 0.5, 0, title);
	cairo_select_font_face(cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
}

/* --importance: a bar per parameter (largest first), its std as an error bar,
 * the course's tier beside its name. */
static void render_importance(cairo_t *cr, const struct plot *p)
{
	const struct importance *im = &p->imp;
	int *order = xmalloc((size_t)im->d * sizeof *order);
	struct axis x = {.p0 = 230, .p1 = WIDTH - 60}, y = {.p0 = HEIGHT - 60, .p1 = TOP + 50};
	double hi = 0, band;
	char what[160], buf[128];
	cJSON *params = cJSON_AddArrayToObject(p->report, "params");

	if (im->forks)
		snprintf(what, sizeof what, "share of %s's variance by parameter (fANOVA, %d independent "
			 "trials, %d forks left out, %d trees)", p->metric, im->n, im->forks,
			 im->fa.trees);
	else
		snprintf(what, sizeof what, "share of %s's variance by parameter (fANOVA, %d trials, "
			 "%d trees)", p->metric, im->n, im->fa.trees);
	plot_title(cr, p, what);
	cJSON_AddNumberToObject(p->report, "forks_left_out", im->forks);
	for (int k = 0; k < im->d; k++) {
		int j = k;

		for (; j > 0 && im->fa.share[order[j - 1]] < im->fa.share[k]; j--)
			order[j] = order[j - 1];
		order[j] = k;
		hi = fmax(hi, im->fa.share[k] + im->fa.share_std[k]);
	}
	cJSON *none = cJSON_CreateArray(); /* no ticks on the bars' axis */

	axis_fit(&x, 0, fmin(1, hi * 1.05), 0);
	x.lo = 0;
	y.lo = 0;
	y.hi = im->d;
	y.cats = none;
	draw_frame(cr, &x, &y, "share of the main effects (error bars: std over trees)", "", "", NULL);
	band = (y.p0 - y.p1) / im->d;
	for (int r = 0; r < im->d; r++) {
		int k = order[r], tier = hparam_course_rank(pname_of(im, k));
		double top = y.p1 + r * band + band * 0.2, h = band * 0.6;
		double s = im->fa.share[k], sd = im->fa.share_std[k];
		cJSON *e = cJSON_CreateObject();

		cairo_set_source_rgb(cr, palette[0][0], palette[0][1], palette[0][2]);
		cairo_rectangle(cr, axis_map(&x, 0), top, axis_map(&x, s) - axis_map(&x, 0), h);
		cairo_fill(cr);
		cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
		cairo_set_line_width(cr, 1.5);
		cairo_move_to(cr, axis_map(&x, fmax(0, s - sd)), top + h / 2);
		cairo_line_to(cr, axis_map(&x, s + sd), top + h / 2);
		for (int side = -1; side <= 1; side += 2) {
			double px = axis_map(&x, side < 0 ? fmax(0, s - sd) : s + sd);

			cairo_move_to(cr, px, top + h * 0.2);
			cairo_line_to(cr, px, top + h * 0.8);
		}
		cairo_stroke(cr);
		cairo_set_font_size(cr, 12);
		if (tier)
			snprintf(buf, sizeof buf, "%s (course: tier %d)", pname_of(im, k), tier);
		else
			snprintf(buf, sizeof buf, "%s", pname_of(im, k));
		text_at(cr, x.p0 - 8, top + h / 2, 1, 0.5, buf);
		snprintf(buf, sizeof buf, "%.1f%%", 100 * s);
		text_at(cr, axis_map(&x, s + sd) + 6, top + h / 2, 0, 0.5, buf);
		cJSON_AddStringToObject(e, "param", pname_of(im, k));
		cJSON_AddNumberToObject(e, "share", s);
		cJSON_AddNumberToObject(e, "std", sd);
		cJSON_AddNumberToObject(e, "course_tier", tier);
		cJSON_AddItemToArray(params, e);
	}
	snprintf(buf, sizeof buf, "%d bars, largest %s %.1f%%", im->d, pname_of(im, order[0]),
		 100 * im->fa.share[order[0]]);
	cJSON_Delete(none);
	cJSON_AddStringToObject(p->report, "kind", "importance");
	cJSON_AddStringToObject(p->report, "summary", buf);
	free(order);
}

/* The colour bar of the objective, best at the top, in [x, x + 14]. */
static void colour_bar(cairo_t *cr, const struct plot *p, double x, double top, double bottom,
		       double worst, double best)
{
	char buf[64];

	for (int i = 0; i < 100; i++) {
		set_viridis(cr, 1 - i / 99.0, 1);
		cairo_rectangle(cr, x, top + (bottom - top) * i / 100, 14, (bottom - top) / 100 + 0.5);
		cairo_fill(cr);
	}
	cairo_set_source_rgb(cr, 0.2, 0.2, 0.2);
	cairo_set_font_size(cr, 10);
	snprintf(buf, sizeof buf, "%.4g (best)", best);
	text_at(cr, x + 18, top, 0, 0.5, buf);
	snprintf(buf, sizeof buf, "%.4g", worst);
	text_at(cr, x + 18, bottom, 0, 0.5, buf);
	cairo_save(cr);
	cairo_translate(cr, x + 30, (top + bottom) / 2);
	cairo_rotate(cr, -M_PI / 2);
	text_at(cr, 0, 0, 0.5, 0, p->metric);
	cairo_restore(cr);
}

/* One vertical axis of the parallel plot: line, ticks, name. */
static void parallel_axis(cairo_t *cr, const struct axis *a, double px, const char *name,
			  cJSON *axes, const char *scale)
{
	double t[MAX_TICKS];
	char label[MAX_TICKS][32];
	int n = axis_ticks(a, t, label);
	cJSON *e = cJSON_CreateObject(), *ticks = cJSON_AddArrayToObject(e, "ticks");

	cairo_set_source_rgb(cr, 0.3, 0.3, 0.3);
	cairo_set_line_width(cr, 1);
	cairo_move_to(cr, px, a->p0);
	cairo_line_to(cr, px, a->p1);
	cairo_stroke(cr);
	cairo_set_font_size(cr, 9);
	for (int i = 0; i < n; i++) {
		double py = axis_map(a, t[i]);

		cairo_move_to(cr, px - 3, py);
		cairo_line_to(cr, px, py);
		cairo_stroke(cr);
		text_at(cr, px - 5, py, 1, 0.5, label[i]);
		cJSON_AddItemToArray(ticks, cJSON_CreateString(label[i]));
	}
	cairo_set_font_size(cr, 11);
	text_at(cr, px, a->p0 + 10, 0.5, 0, name);
	cJSON_AddStringToObject(e, "param", name);
	cJSON_AddStringToObject(e, "scale", scale);
	cJSON_AddItemToArray(axes, e);
}

/* --parallel: an axis per sampled parameter and one for the objective; a
 * line per finished trial coloured by its objective, worst first so the
 * best lie on top, the best K wider; a conditional parameter a trial lacks
 * breaks its line. */
static void render_parallel(cairo_t *cr, const struct plot *p)
{
	int n, na = 0, *idx = xmalloc(((size_t)p->spec.n_params + 1) * sizeof *idx);
	const cJSON **t = finished_by_objective(p, &n);
	struct axis *ax = xcalloc((size_t)p->spec.n_params + 1, sizeof *ax);
	double left = 90, right = WIDTH - 150, lo = INFINITY, hi = -INFINITY;
	cJSON *axes = cJSON_AddArrayToObject(p->report, "axes");
	char what[160], buf[128];

	for (int i = 0; i < p->spec.n_params; i++)
		if (param_plotted(&p->spec.params[i]))
			idx[na++] = i;
	for (int i = 0; i < n; i++) {
		lo = fmin(lo, query_num(t[i], "best_value", 0));
		hi = fmax(hi, query_num(t[i], "best_value", 0));
	}
	snprintf(what, sizeof what, "parallel coordinates, %d trials coloured by %s (best %d wider)",
		 n, p->metric, p->n_top);
	plot_title(cr, p, what);
	for (int a = 0; a <= na; a++) {
		ax[a] = (struct axis){.p0 = HEIGHT - 70, .p1 = TOP + 40};
		if (a < na)
			param_axis(&ax[a], &p->spec.params[idx[a]]);
		else
			axis_fit(&ax[a], lo, hi, 0);
	}
	for (int i = 0; i < n; i++) {
		int rank = top_rank(p, (long long)query_num(t[i], "id", 0)), pen = 0;

		set_viridis(cr, n > 1 ? (double)i / (n - 1) : 1, rank >= 0 ? 1 : 0.55);
		cairo_set_line_width(cr, rank >= 0 ? 2.5 : 1);
		for (int a = 0; a <= na; a++) {
			double px = left + (right - left) * a / (na > 0 ? na : 1), v;

			v = a < na ? param_x(&p->spec.params[idx[a]],
					     query_get(query_get(t[i], "params"), p->spec.params[idx[a]].name))
				   : query_num(t[i], "best_value", NAN);
			if (isnan(v) || (ax[a].log && !(v > 0))) {
				pen = 0;
				continue;
			}
			if (pen)
				cairo_line_to(cr, px, axis_map(&ax[a], v));
			else
				cairo_move_to(cr, px, axis_map(&ax[a], v));
			pen = 1;
		}
		cairo_stroke(cr);
	}
	for (int a = 0; a <= na; a++) {
		double px = left + (right - left) * a / (na > 0 ? na : 1);

		if (a < na) {
			axis_label(buf, sizeof buf, &p->spec.params[idx[a]]);
			parallel_axis(cr, &ax[a], px, buf, axes, spec_kind_scale(p->spec.params[idx[a]].kind));
		} else {
			parallel_axis(cr, &ax[a], px, p->metric, axes, "objective");
		}
	}
	colour_bar(cr, p, WIDTH - 110, TOP + 40, HEIGHT - 70,
		   p->spec.objective_max ? lo : hi, p->spec.objective_max ? hi : lo);
	snprintf(buf, sizeof buf, "%d lines over %d parameter axes and the objective", n, na);
	cJSON_AddStringToObject(p->report, "kind", "parallel");
	cJSON_AddNumberToObject(p->report, "lines", n);
	cJSON_AddStringToObject(p->report, "summary", buf);
	free(t);
	free(ax);
	free(idx);
}

/* --pair: the finished trials over the two parameters whose interaction is
 * the largest, coloured by their objective (the best on top). */
static void render_pair(cairo_t *cr, const struct plot *p)
{
	const struct importance *im = &p->imp;
	int bi = 0, bj = 1, n, drawn = 0;
	const cJSON **t = finished_by_objective(p, &n);
	struct axis x = {.p0 = 110, .p1 = WIDTH - 180}, y = {.p0 = HEIGHT - 60, .p1 = TOP + 40};
	const struct spec_param *pi, *pj;
	double lo = INFINITY, hi = -INFINITY;
	char what[200], xl[128], yl[128], buf[128];
	cJSON *pair;

	for (int i = 0; i < im->d; i++)
		for (int j = i + 1; j < im->d; j++)
			if (im->fa.pair[i * im->d + j] > im->fa.pair[bi * im->d + bj])
				bi = i, bj = j;
	pi = &im->spec.params[im->param[bi]];
	pj = &im->spec.params[im->param[bj]];
	snprintf(what, sizeof what, "%s over %s and %s, the largest interaction (%.1f%% of the variance)",
		 p->metric, pi->name, pj->name, 100 * im->fa.pair[bi * im->d + bj]);
	plot_title(cr, p, what);
	param_axis(&x, pi);
	param_axis(&y, pj);
	axis_label(xl, sizeof xl, pi);
	axis_label(yl, sizeof yl, pj);
	draw_frame(cr, &x, &y, xl, yl, "", NULL);
	for (int i = 0; i < n; i++) {
		lo = fmin(lo, query_num(t[i], "best_value", 0));
		hi = fmax(hi, query_num(t[i], "best_value", 0));
	}
	for (int i = 0; i < n; i++) {
		const cJSON *params = query_get(t[i], "params");
		double vx = param_x(pi, query_get(params, pi->name)), vy = param_x(pj, query_get(params, pj->name));
		double jx = 0, jy = 0;

		if (isnan(vx) || isnan(vy) || (x.log && !(vx > 0)) || (y.log && !(vy > 0)))
			continue;
		if (x.cats) /* spread a choice's trials within its slot, reproducibly */
			jx = 0.3 * (((long long)query_num(t[i], "id", 0) * 7919 % 101) / 50.0 - 1);
		if (y.cats)
			jy = 0.3 * (((long long)query_num(t[i], "id", 0) * 104729 % 101) / 50.0 - 1);
		set_viridis(cr, n > 1 ? (double)i / (n - 1) : 1, 0.9);
		cairo_new_sub_path(cr);
		cairo_arc(cr, axis_map(&x, vx + jx), axis_map(&y, vy + jy), 5, 0, 2 * M_PI);
		cairo_fill_preserve(cr);
		cairo_set_source_rgba(cr, 0.2, 0.2, 0.2, 0.6);
		cairo_set_line_width(cr, 0.6);
		cairo_stroke(cr);
		drawn++;
	}
	colour_bar(cr, p, WIDTH - 120, TOP + 40, HEIGHT - 60,
		   p->spec.objective_max ? lo : hi, p->spec.objective_max ? hi : lo);
	pair = cJSON_AddArrayToObject(p->report, "params");
	cJSON_AddItemToArray(pair, cJSON_CreateString(pi->name));
	cJSON_AddItemToArray(pair, cJSON_CreateString(pj->name));
	cJSON_AddNumberToObject(p->report, "interaction", im->fa.pair[bi * im->d + bj]);
	cJSON_AddNumberToObject(p->report, "points", drawn);
	cJSON_AddStringToObject(p->report, "kind", "pair");
	snprintf(buf, sizeof buf, "%d trials over %s and %s", drawn, pi->name, pj->name);
	cJSON_AddStringToObject(p->report, "summary", buf);
	free(t);
}

/* ---- --lineage ---- */

/* The index of trial id in the lineage's chain: its colour. */
static int chain_index(const cJSON *lin, double id)
{
	const cJSON *m;
	int i = 0;

	cJSON_ArrayForEach(m, query_get(lin, "chain")) {
		if (query_num(m, "trial_id", 0) == id)
			return i;
		i++;
	}
	return 0;
}

static void set_chain_colour(cairo_t *cr, int i)
{
	cairo_set_source_rgb(cr, palette[i % N_COLOURS][0], palette[i % N_COLOURS][1],
			     palette[i % N_COLOURS][2]);
	cairo_set_line_width(cr, 2);
}

/* Dashed verticals at the epochs the chain's forks were made at. */
static void fork_lines(cairo_t *cr, const cJSON *lin, const struct axis *x, const struct axis *y)
{
	static const double dash[] = {4, 3};
	const cJSON *m;

	cairo_set_source_rgba(cr, 0.3, 0.3, 0.3, 0.6);
	cairo_set_line_width(cr, 1);
	cairo_set_dash(cr, dash, 2, 0);
	cJSON_ArrayForEach(m, query_get(lin, "chain"))
		if (cJSON_IsNumber(query_get(m, "parent_epoch"))) {
			cairo_move_to(cr, axis_map(x, query_num(m, "parent_epoch", 0)), y->p0);
			cairo_line_to(cr, axis_map(x, query_num(m, "parent_epoch", 0)), y->p1);
			cairo_stroke(cr);
		}
	cairo_set_dash(cr, NULL, 0, 0);
}

/* "trial 4 (no. 3)" per member of the chain in its colour, in the corner a
 * learning curve leaves free: bottom right when it rises, top right else. */
static void lineage_legend(cairo_t *cr, const struct plot *p, const struct axis *x,
			   const struct axis *y)
{
	const cJSON *chain = query_get(p->lineage, "chain"), *m;
	int n = cJSON_GetArraySize(chain), i = 0;
	double top = p->spec.objective_max ? y->p0 - 8 - 14.0 * n : y->p1 + 8;
	char buf[64];

	cairo_set_font_size(cr, 10);
	cJSON_ArrayForEach(m, chain) {
		double ly = top + 7 + 14 * i;

		snprintf(buf, sizeof buf, "trial %.0f (no. %.0f)", query_num(m, "trial_id", 0),
			 query_num(m, "number", 0));
		set_chain_colour(cr, i++);
		cairo_move_to(cr, x->p1 - 120, ly);
		cairo_line_to(cr, x->p1 - 100, ly);
		cairo_stroke(cr);
		cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
		text_at(cr, x->p1 - 95, ly, 0, 0.5, buf);
	}
}

/* The objective's curve along the lineage, each ancestor's stretch in its colour. */
static void lineage_curve(cairo_t *cr, const struct plot *p, double right, double emax)
{
	struct axis x = {.p0 = 80, .p1 = right, .integer = 1}, y = {.p0 = HEIGHT - 60, .p1 = TOP + 50};
	const cJSON *curve = query_get(p->lineage, "curve"), *r;
	double lo = INFINITY, hi = -INFINITY;
	char title[128];

	cJSON_ArrayForEach(r, curve) {
		lo = fmin(lo, query_num(r, "value", NAN));
		hi = fmax(hi, query_num(r, "value", NAN));
	}
	axis_fit(&x, 0, emax, 0);
	axis_fit(&y, lo, hi, 0);
	snprintf(title, sizeof title, "%s along the lineage (a colour per trial)", p->metric);
	draw_frame(cr, &x, &y, "epoch", p->metric, title, NULL);
	fork_lines(cr, p->lineage, &x, &y);
	cJSON_ArrayForEach(r, curve) {
		double px = axis_map(&x, query_num(r, "epoch", 0)), py = axis_map(&y, query_num(r, "value", 0));

		set_chain_colour(cr, chain_index(p->lineage, query_num(r, "from_trial_id", 0)));
		if (r != curve->child)
			cairo_line_to(cr, px, py);
		cairo_stroke(cr);
		cairo_arc(cr, px, py, 2.5, 0, 2 * M_PI);
		cairo_fill(cr);
		cairo_move_to(cr, px, py);
	}
	cairo_new_path(cr);
	lineage_legend(cr, p, &x, &y);
	cJSON_AddNumberToObject(p->report, "curve_points", cJSON_GetArraySize(curve));
}

/* The y axis of a parameter's panel: the spec's range on its own scale, or
 * (a parameter the spec does not sample) the values' range. Returns the
 * spec's parameter, or NULL. */
static const struct spec_param *lineage_axis(const struct plot *p, const cJSON *param,
					     struct axis *y)
{
	int k = spec_param_index(&p->spec, cJSON_GetStringValue(query_get(param, "name")));
	const struct spec_param *sp = k >= 0 ? &p->spec.params[k] : NULL;
	double lo = INFINITY, hi = -INFINITY;
	const cJSON *s;

	if (sp && sp->kind != PARAM_FIXED) {
		param_axis(y, sp);
		return sp;
	}
	cJSON_ArrayForEach(s, query_get(param, "segments")) {
		lo = fmin(lo, query_num(s, "value", NAN));
		hi = fmax(hi, query_num(s, "value", NAN));
	}
	axis_fit(y, lo, hi, 0);
	return NULL;
}

/* One parameter's schedule: a level line per segment in its trial's colour,
 * joined by thin verticals where the value changed. Returns the segments drawn. */
static int lineage_param(cairo_t *cr, const struct plot *p, const cJSON *param, struct axis x,
			 struct axis y, double emax)
{
	const char *name = cJSON_GetStringValue(query_get(param, "name"));
	const struct spec_param *sp;
	const cJSON *s;
	char label[128];
	double prev = NAN;
	int n = 0;

	axis_fit(&x, 0, emax, 0);
	sp = lineage_axis(p, param, &y);
	if (sp)
		axis_label(label, sizeof label, sp);
	else
		snprintf(label, sizeof label, "%s", name);
	draw_frame(cr, &x, &y, "epoch", label, "", NULL);
	fork_lines(cr, p->lineage, &x, &y);
	cJSON_ArrayForEach(s, query_get(param, "segments")) {
		double v = sp ? param_x(sp, query_get(s, "value")) : query_num(s, "value", NAN);
		double x0 = axis_map(&x, query_num(s, "from_epoch", 0));

		if (isnan(v) || (y.log && !(v > 0)))
			continue;
		if (!isnan(prev) && prev != axis_map(&y, v)) {
			cairo_set_source_rgba(cr, 0.4, 0.4, 0.4, 0.8);
			cairo_set_line_width(cr, 1);
			cairo_move_to(cr, x0, prev);
			cairo_line_to(cr, x0, axis_map(&y, v));
			cairo_stroke(cr);
		}
		prev = axis_map(&y, v);
		set_chain_colour(cr, chain_index(p->lineage, query_num(s, "trial_id", 0)));
		cairo_move_to(cr, x0, prev);
		cairo_line_to(cr, fmax(axis_map(&x, query_num(s, "to_epoch", 0)), x0 + 2), prev);
		cairo_stroke(cr);
		n++;
	}
	return n;
}

/* --lineage: the objective along a trial's lineage on the left, each
 * hyperparameter's schedule against the epoch on the right. */
static void render_lineage(cairo_t *cr, const struct plot *p)
{
	const cJSON *params = query_get(p->lineage, "params"), *param, *m;
	int n = cJSON_GetArraySize(params), cols = n > 3 ? 2 : 1, rows = (n + cols - 1) / cols;
	double left = WIDTH * 0.52, w = (WIDTH - left) / cols, h, emax = 1;
	cJSON *panels = cJSON_AddArrayToObject(p->report, "panels");
	char what[160];
	int k = 0;

	cJSON_ArrayForEach(m, query_get(p->lineage, "chain"))
		emax = fmax(emax, query_num(m, "to_epoch", 0));
	snprintf(what, sizeof what, "trial %.0f's lineage, %d trials", query_num(p->lineage, "trial_id", 0),
		 cJSON_GetArraySize(query_get(p->lineage, "chain")));
	plot_title(cr, p, what);
	lineage_curve(cr, p, n ? WIDTH * 0.46 : WIDTH - 30, emax);
	h = (HEIGHT - TOP - 20) / (rows ? rows : 1);
	cJSON_ArrayForEach(param, params) {
		struct axis x = {.p0 = left + (k % cols) * w + 80, .p1 = left + (k % cols + 1) * w - 15,
				 .integer = 1};
		struct axis y = {.p0 = TOP + 20 + (k / cols + 1) * h - 45,
				 .p1 = TOP + 20 + (k / cols) * h + 15};
		cJSON *panel = cJSON_CreateObject();

		cJSON_AddItemToObject(panel, "param", cJSON_Duplicate(query_get(param, "name"), 1));
		cJSON_AddItemToObject(panel, "scale", cJSON_Duplicate(query_get(param, "scale"), 1));
		cJSON_AddNumberToObject(panel, "segments",
					lineage_param(cr, p, param, x, y, emax));
		cJSON_AddItemToArray(panels, panel);
		k++;
	}
	cJSON_AddStringToObject(p->report, "kind", "lineage");
	snprintf(what, sizeof what, "trial %.0f: %d trials in its lineage, %d parameter panels",
		 query_num(p->lineage, "trial_id", 0), cJSON_GetArraySize(query_get(p->lineage, "chain")),
		 n);
	cJSON_AddStringToObject(p->report, "summary", what);
}

static cairo_status_t write_cb(void *closure, const unsigned char *data, unsigned int len)
{
	return fwrite(data, 1, len, closure) == len ? CAIRO_STATUS_SUCCESS : CAIRO_STATUS_WRITE_ERROR;
}

/* Draws into f: SVG as it draws, PNG from an image surface at the end. */
static int draw_file(const struct plot *p, FILE *f, int svg, char *err, size_t errlen)
{
	cairo_surface_t *s = svg ? cairo_svg_surface_create_for_stream(write_cb, f, WIDTH, HEIGHT)
				 : cairo_image_surface_create(CAIRO_FORMAT_ARGB32, (int)WIDTH, (int)HEIGHT);
	cairo_t *cr = cairo_create(s);
	cairo_status_t st;

	render(cr, p);
	st = cairo_status(cr);
	cairo_destroy(cr);
	if (st == CAIRO_STATUS_SUCCESS && !svg)
		st = cairo_surface_write_to_png_stream(s, write_cb, f);
	cairo_surface_finish(s);
	if (st == CAIRO_STATUS_SUCCESS)
		st = cairo_surface_status(s);
	cairo_surface_destroy(s);
	if (st != CAIRO_STATUS_SUCCESS)
		return err_set(err, errlen, "%s", cairo_status_to_string(st));
	return 0;
}

static int load(struct cli *cli, struct store *st, struct plot *p, long long id, long long k)
{
	char err[ERRBUF_LEN];
	cJSON *sweep = query_run(&st->query, err, sizeof err, QUERY_SWEEP, "i", id), *leader, *r;
	int code = EXIT_OK;

	if (!sweep)
		return cli_fail(cli, EXIT_FAILED, "%s", err);
	if (!sweep->child) {
		cJSON_Delete(sweep);
		return cli_fail(cli, EXIT_FAILED, "no sweep %lld", id);
	}
	if (spec_parse(&p->spec, query_get(sweep->child, "spec"), err, sizeof err) < 0)
		code = cli_fail(cli, EXIT_FAILED, "sweep %lld: its spec: %s", id, err);
	p->metric = p->spec.objective_metric;
	p->sweep = id;
	p->name = xstrdup(cJSON_IsString(query_get(sweep->child, "name"))
				  ? query_get(sweep->child, "name")->valuestring : "");
	cJSON_Delete(sweep);
	if (code)
		return code;
	p->curves = query_run(&st->query, err, sizeof err, QUERY_METRIC, "is", id, p->metric);
	p->trials = p->curves ? query_run(&st->query, err, sizeof err, QUERY_TRIALS, "i", id) : NULL;
	leader = p->trials ? query_run(&st->query, err, sizeof err, QUERY_LEADERBOARD, "ii", id, -1LL)
			   : NULL;
	if (!leader)
		return cli_fail(cli, EXIT_FAILED, "%s", err);
	cJSON_ArrayForEach(r, leader)
		if (p->n_top < k && p->n_top < (int)(sizeof p->top / sizeof p->top[0])) {
			p->rank[p->n_top] = (int)query_num(r, "rank", 0);
			p->top[p->n_top] = (long long)query_num(r, "trial_id", 0);
			p->adjustments[p->n_top] = query_run(&st->query, err, sizeof err,
							     QUERY_ADJUSTMENTS, "i",
							     p->top[p->n_top]);
			p->n_top++;
		}
	cJSON_Delete(leader);
	return EXIT_OK;
}

/* --lineage: trial *id's lineage into p, and *id becomes its sweep's. */
static int load_lineage(struct cli *cli, struct store *st, struct plot *p, long long *id)
{
	char err[ERRBUF_LEN];

	p->lineage = lineage_load(st, *id, err, sizeof err);
	if (!p->lineage)
		return cli_fail(cli, EXIT_FAILED, "%s", err);
	*id = (long long)query_num(p->lineage, "sweep_id", 0);
	return EXIT_OK;
}

/* "svg" or "png" from the file name's extension, or NULL. */
static const char *format_of(const char *path)
{
	const char *dot = strrchr(path, '.');

	if (dot && strcasecmp(dot, ".svg") == 0)
		return "svg";
	if (dot && strcasecmp(dot, ".png") == 0)
		return "png";
	return NULL;
}

static int write_plot(struct cli *cli, struct plot *p, const char *path)
{
	char err[ERRBUF_LEN];
	const char *format = format_of(path);
	FILE *f = fopen(path, "wb");
	int rc;

	if (!f)
		return cli_fail(cli, EXIT_FAILED, "%s: %s", path, strerror(errno));
	p->report = cJSON_CreateObject();
	cJSON_AddStringToObject(p->report, "file", path);
	cJSON_AddStringToObject(p->report, "format", format);
	cJSON_AddStringToObject(p->report, "metric", p->metric);
	cJSON_AddNumberToObject(p->report, "trials", cJSON_GetArraySize(p->trials));
	cJSON_AddNumberToObject(p->report, "highlighted", p->n_top);
	rc = draw_file(p, f, strcmp(format, "svg") == 0, err, sizeof err);
	if (fclose(f) != 0 && rc == 0)
		rc = err_set(err, sizeof err, "%s", strerror(errno));
	if (rc < 0) {
		remove(path);
		return cli_fail(cli, EXIT_FAILED, "%s: %s", path, err);
	}
	if (cli->json) {
		cli_print_json(p->report);
		p->report = NULL;
	} else if (p->kind != PLOT_SWEEP) {
		printf("wrote %s: %s\n", path, cJSON_GetStringValue(query_get(p->report, "summary")));
	} else {
		printf("wrote %s: %.0f curves (best %d in colour, %.0f pruned), %d parameter panels\n",
		       path, query_num(p->report, "curves", 0), p->n_top,
		       query_num(p->report, "pruned", 0), cJSON_GetArraySize(query_get(p->report, "panels")));
	}
	return EXIT_OK;
}

static int plot_opt(void *ctx, int c, const char *arg)
{
	struct plot_opts *o = ctx;

	if (c == 'I' || c == 'P' || c == 'R' || c == 'L') {
		enum plot_kind k = c == 'I' ? PLOT_IMPORTANCE : c == 'P' ? PLOT_PARALLEL :
				   c == 'R' ? PLOT_PAIR : PLOT_LINEAGE;

		if (o->kind != PLOT_SWEEP && o->kind != k) {
			fprintf(stderr, "caviar: plot: --importance, --parallel, --pair and --lineage "
					"exclude each other\ntry 'caviar plot --help'\n");
			return EXIT_USAGE;
		}
		o->kind = k;
	} else if (c == 'd')
		o->db = arg;
	else if (c == 'o')
		o->out = arg;
	else if ((o->k = cli_parse_id(arg)) < 0) {
		fprintf(stderr, "caviar: plot: -k: expected a positive number\n"
				"try 'caviar plot --help'\n");
		return EXIT_USAGE;
	}
	return 0;
}

static int run_plot(struct cli *cli, int argc, char **argv)
{
	struct plot_opts o = {.k = 5};
	struct plot p = {0};
	struct store st;
	long long id;
	int args, code;

	if ((code = cli_options(cli, &cmd_plot, argc, argv, plot_opt, &o, &args)) ||
	    (code = cli_operands(cli, argc - args, 1, 1)))
		return code;
	if ((id = cli_parse_id(argv[args])) < 0)
		return cli_usage(cli, "%s: expected a %s id (a positive number)", argv[args],
				 o.kind == PLOT_LINEAGE ? "trial" : "sweep");
	if (!o.out)
		return cli_usage(cli, "missing -o FILE.svg or -o FILE.png");
	if (!format_of(o.out))
		return cli_usage(cli, "-o %s: the file name must end in .svg or .png", o.out);
	if ((code = store_open_cli(&st, cli, o.db)))
		return code;
	p.kind = o.kind;
	if (o.kind == PLOT_LINEAGE && (code = load_lineage(cli, &st, &p, &id)))
		o.kind = PLOT_SWEEP; /* failed: nothing more to load */
	if (!code && !(code = load(cli, &st, &p, id, o.k)) && (o.kind == PLOT_IMPORTANCE || o.kind == PLOT_PAIR)) {
		struct importance_opts io = {.trees = 64, .pairs = o.kind == PLOT_PAIR};
		char err[ERRBUF_LEN];

		if (importance_load(&p.imp, &st, id, &io, err, sizeof err) < 0)
			code = cli_fail(cli, EXIT_FAILED, "%s", err);
		else if (o.kind == PLOT_PAIR && p.imp.d < 2)
			code = cli_fail(cli, EXIT_FAILED, "--pair: the sweep samples one parameter");
	}
	if (!code)
		code = write_plot(cli, &p, o.out);
	cJSON_Delete(p.curves);
	cJSON_Delete(p.trials);
	for (int i = 0; i < p.n_top; i++)
		cJSON_Delete(p.adjustments[i]);
	cJSON_Delete(p.report);
	cJSON_Delete(p.lineage);
	spec_finish(&p.spec);
	importance_finish(&p.imp);
	free(p.name);
	store_close(&st);
	cairo_debug_reset_static_data(); /* cairo's and fontconfig's caches: no leak to report */
	FcFini();
	return code;
}

static const struct cli_option plot_options[] = {
	{'o', "output", 'o', "FILE", "The file to write: FILE.svg or FILE.png (required)."},
	{'k', NULL, 'k', "K", "The best K trials in colour (default 5)."},
	{0, "importance", 'I', NULL, "Draw each parameter's share of the variance instead."},
	{0, "parallel", 'P', NULL, "Draw parallel coordinates instead."},
	{0, "pair", 'R', NULL, "Draw the two parameters that interact most instead."},
	{0, "lineage", 'L', NULL, "ID is a trial's: draw its lineage instead."},
	{0, "db", 'd', "FILE", "Read that database (else the daemon's)."},
	{0, NULL, 0, NULL, NULL},
};

const struct command cmd_plot = {
	"plot", "[--lineage] ID -o FILE [-k K] [--importance|--parallel|--pair]",
	"Draws a sweep's curves into an SVG or PNG.\n"
	"With cairo: the objective's learning curves of every trial (the best K in\n"
	"colour, default 5, with their leaderboard ranks; the rest grey; pruned trials\n"
	"dashed), and the objective against each sampled parameter on its own scale (log\n"
	"axes for log and log_int, 1-x on a log axis for reverse_log, one slot per value\n"
	"of a choice). --importance draws instead each parameter's share of the\n"
	"variance (caviar importance) as bars with their std as error bars;\n"
	"--parallel, parallel coordinates: an axis per parameter on its own scale and\n"
	"one for the objective, a line per finished trial coloured by its objective,\n"
	"the best K on top; --pair, the trials over the two parameters that interact\n"
	"most, coloured by their objective. ID is a sweep's; with --lineage, a trial's,\n"
	"whose lineage it draws instead (caviar lineage): the objective along it and\n"
	"each hyperparameter's value\n"
	"against the epoch, a colour per trial of the chain, forks dashed. --json\n"
	"reports what was drawn.",
	run_plot,
	plot_options,
};
