/* cmd_plot: `caviar plot SWEEP -o FILE.svg|FILE.png [-k K]`, a figure of a
 * sweep drawn with cairo: on the left the objective's learning curves of every
 * trial (the best K in colour, the rest faint grey); on the right one small
 * panel per numeric sampled parameter, the objective against that parameter on
 * the parameter's own scale (log for log and log_int; 1-x on a log axis for
 * reverse_log), the scale read from the sweep's spec. --json reports what was
 * drawn. Reads the database only (store.h). */
#include <errno.h>
#include <getopt.h>
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
#include "spec.h"
#include "store.h"
#include "xalloc.h"

#define WIDTH 1200.0
#define HEIGHT 640.0
#define MAX_TICKS 64

/* Best-K colours (matplotlib's tab10). */
static const double palette[][3] = {
	{0.122, 0.467, 0.706}, {1.000, 0.498, 0.055}, {0.173, 0.627, 0.173},
	{0.839, 0.153, 0.157}, {0.580, 0.404, 0.741}, {0.549, 0.337, 0.294},
	{0.890, 0.467, 0.761}, {0.737, 0.741, 0.133}, {0.090, 0.745, 0.812},
};
#define N_COLOURS (sizeof palette / sizeof palette[0])

struct plot_opts {
	const char *db, *out;
	long long k;
};

struct plot {
	const char *metric;
	cJSON *curves;      /* QUERY_METRIC rows: trial_id, number, epoch, value */
	cJSON *trials;      /* QUERY_TRIALS rows */
	long long top[64];  /* trial ids of the best K, best first */
	int n_top;
	struct spec spec;
	cJSON *report;      /* what was drawn, for --json */
};

/* A data range mapped to a pixel range. */
struct axis {
	double lo, hi;
	int log;
	double p0, p1;
};

static double axis_map(const struct axis *a, double v)
{
	double t = a->log ? (log10(v) - log10(a->lo)) / (log10(a->hi) - log10(a->lo))
			  : (v - a->lo) / (a->hi - a->lo);

	return a->p0 + t * (a->p1 - a->p0);
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

/* Tick positions in the range; returns how many, and the decimals to print. */
static int axis_ticks(const struct axis *a, double *t, int *decimals)
{
	int n = 0;

	*decimals = -1;
	if (a->log) {
		int e0 = (int)floor(log10(a->lo)), e1 = (int)ceil(log10(a->hi));
		int few = e1 - e0 <= 2;

		for (int e = e0; e <= e1 && n < MAX_TICKS - 3; e++)
			for (int m = 1; m <= 5; m += m == 1 ? 1 : 3)
				if ((m == 1 || few) && pow(10, e) * m >= a->lo &&
				    pow(10, e) * m <= a->hi)
					t[n++] = pow(10, e) * m;
		return n;
	}
	double raw = (a->hi - a->lo) / 5, mag = pow(10, floor(log10(raw)));
	double step = raw / mag < 1.5 ? mag : raw / mag < 3.5 ? 2 * mag : raw / mag < 7.5 ? 5 * mag : 10 * mag;

	*decimals = step >= 1 ? 0 : (int)ceil(-log10(step) - 1e-9);
	for (double v = ceil(a->lo / step) * step; v <= a->hi && n < MAX_TICKS; v += step)
		t[n++] = fabs(v) < step * 1e-9 ? 0 : v;
	return n;
}

static void text_at(cairo_t *cr, double x, double y, double ax, double ay, const char *s)
{
	cairo_text_extents_t e;

	cairo_text_extents(cr, s, &e);
	cairo_move_to(cr, x - e.width * ax - e.x_bearing, y - e.height * ay - e.y_bearing);
	cairo_show_text(cr, s);
}

static void tick_label(char *buf, size_t n, double v, int decimals)
{
	if (decimals < 0)
		snprintf(buf, n, "%g", v);
	else
		snprintf(buf, n, "%.*f", decimals, v);
}

/* The frame of a panel: box, ticks with labels, grid lines, axis labels, title. */
static void draw_frame(cairo_t *cr, const struct axis *x, const struct axis *y, const char *xlabel,
		       const char *ylabel, const char *title)
{
	double t[MAX_TICKS];
	char buf[64];
	int n, dec;

	cairo_set_font_size(cr, 10);
	cairo_set_line_width(cr, 1);
	n = axis_ticks(x, t, &dec);
	for (int i = 0; i < n; i++) {
		double px = axis_map(x, t[i]);

		cairo_set_source_rgb(cr, 0.92, 0.92, 0.92);
		cairo_move_to(cr, px, y->p0);
		cairo_line_to(cr, px, y->p1);
		cairo_stroke(cr);
		cairo_set_source_rgb(cr, 0.2, 0.2, 0.2);
		tick_label(buf, sizeof buf, t[i], dec);
		text_at(cr, px, y->p0 + 4, 0.5, 0, buf);
	}
	n = axis_ticks(y, t, &dec);
	for (int i = 0; i < n; i++) {
		double py = axis_map(y, t[i]);

		cairo_set_source_rgb(cr, 0.92, 0.92, 0.92);
		cairo_move_to(cr, x->p0, py);
		cairo_line_to(cr, x->p1, py);
		cairo_stroke(cr);
		cairo_set_source_rgb(cr, 0.2, 0.2, 0.2);
		tick_label(buf, sizeof buf, t[i], dec);
		text_at(cr, x->p0 - 4, py, 1, 0.5, buf);
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

/* Strokes the curves of pass 0 (others) or pass 1 (best K); returns how many. */
static int stroke_curves(cairo_t *cr, const struct plot *p, const struct axis *x,
			 const struct axis *y, int pass)
{
	const cJSON *r;
	long long cur = -1;
	int n = 0;

	cJSON_ArrayForEach(r, p->curves) {
		long long id = (long long)cli_num(r, "trial_id", 0);
		int rank = top_rank(p, id);
		double px = axis_map(x, cli_num(r, "epoch", 0)), py = axis_map(y, cli_num(r, "value", 0));

		if ((rank >= 0) != pass)
			continue;
		if (id != cur) {
			if (cur >= 0)
				cairo_stroke(cr);
			set_trial_colour(cr, rank, 2);
			cairo_move_to(cr, px, py);
			cur = id;
			n++;
		} else {
			cairo_line_to(cr, px, py);
		}
	}
	if (cur >= 0)
		cairo_stroke(cr);
	return n;
}

static void draw_legend(cairo_t *cr, const struct plot *p, const struct axis *x,
			const struct axis *y)
{
	char buf[96];

	cairo_set_font_size(cr, 10);
	for (int i = 0; i < p->n_top; i++) {
		double ly = y->p1 + 14 + 14 * i;
		const cJSON *t;

		cJSON_ArrayForEach(t, p->trials)
			if ((long long)cli_num(t, "id", 0) == p->top[i])
				break;
		snprintf(buf, sizeof buf, "#%d trial %lld: %.4g", (int)cli_num(t, "number", 0),
			 p->top[i], cli_num(t, "best_value", NAN));
		set_trial_colour(cr, i, 2);
		cairo_move_to(cr, x->p1 - 150, ly);
		cairo_line_to(cr, x->p1 - 130, ly);
		cairo_stroke(cr);
		cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
		text_at(cr, x->p1 - 125, ly, 0, 0.5, buf);
	}
}

static void draw_curves(cairo_t *cr, const struct plot *p, double right)
{
	struct axis x = {.p0 = 80, .p1 = right}, y = {.p0 = HEIGHT - 60, .p1 = 50};
	double lo = INFINITY, hi = -INFINITY, emax = 1;
	const cJSON *r;
	char title[128];
	int n;

	cJSON_ArrayForEach(r, p->curves) {
		lo = fmin(lo, cli_num(r, "value", NAN));
		hi = fmax(hi, cli_num(r, "value", NAN));
		emax = fmax(emax, cli_num(r, "epoch", 1));
	}
	axis_fit(&x, 1, emax, 0);
	axis_fit(&y, lo, hi, 0);
	snprintf(title, sizeof title, "%s learning curves (best %d in colour)", p->metric, p->n_top);
	draw_frame(cr, &x, &y, "epoch", p->metric, title);
	cairo_save(cr);
	cairo_rectangle(cr, x.p0, y.p1, x.p1 - x.p0, y.p0 - y.p1);
	cairo_clip(cr);
	n = stroke_curves(cr, p, &x, &y, 0);
	n += stroke_curves(cr, p, &x, &y, 1);
	cairo_restore(cr);
	draw_legend(cr, p, &x, &y);
	cJSON_AddNumberToObject(p->report, "curves", n);
}

/* A numeric sampled parameter: its scale, and the value plotted for v. */
static int param_numeric(const struct spec_param *sp)
{
	const cJSON *v;

	if (sp->kind == PARAM_FIXED)
		return 0;
	if (sp->kind != PARAM_CHOICE)
		return 1;
	cJSON_ArrayForEach(v, sp->values)
		if (!cJSON_IsNumber(v))
			return 0;
	return cJSON_GetArraySize(sp->values) > 1;
}

static double param_x(const struct spec_param *sp, double v)
{
	return sp->kind == PARAM_REVERSE_LOG ? 1 - v : v;
}

static void param_range(const struct spec_param *sp, double *lo, double *hi)
{
	const cJSON *v;

	*lo = sp->kind == PARAM_REVERSE_LOG ? 1 - sp->hi : sp->lo;
	*hi = sp->kind == PARAM_REVERSE_LOG ? 1 - sp->lo : sp->hi;
	if (sp->kind != PARAM_CHOICE)
		return;
	*lo = INFINITY;
	*hi = -INFINITY;
	cJSON_ArrayForEach(v, sp->values) {
		*lo = fmin(*lo, v->valuedouble);
		*hi = fmax(*hi, v->valuedouble);
	}
}

/* Dots of one parameter panel for pass 0 (others) or 1 (best K); returns how many. */
static int param_dots(cairo_t *cr, const struct plot *p, const struct spec_param *sp,
		      const struct axis *x, const struct axis *y, int pass)
{
	const cJSON *t;
	int n = 0;

	cJSON_ArrayForEach(t, p->trials) {
		const cJSON *v = cli_get(cli_get(t, "params"), sp->name);
		int rank = top_rank(p, (long long)cli_num(t, "id", 0));
		double obj = cli_num(t, "best_value", NAN), xv;
		const char *status = cJSON_GetStringValue(cli_get(t, "status"));

		if (!cJSON_IsNumber(v) || isnan(obj) || (rank >= 0) != pass || !status ||
		    (strcmp(status, "done") && strcmp(status, "pruned")))
			continue;
		xv = param_x(sp, v->valuedouble);
		if (x->log && !(xv > 0))
			continue;
		set_trial_colour(cr, rank, 2);
		cairo_arc(cr, axis_map(x, xv), axis_map(y, obj), rank >= 0 ? 4 : 3, 0, 2 * M_PI);
		cairo_fill(cr);
		n++;
	}
	return n;
}

static void draw_param(cairo_t *cr, const struct plot *p, const struct spec_param *sp,
		       struct axis x, struct axis y, double ylo, double yhi)
{
	int log_scale = sp->kind == PARAM_LOG || sp->kind == PARAM_LOG_INT ||
			sp->kind == PARAM_REVERSE_LOG;
	char label[128];
	double lo, hi;
	cJSON *panel;
	int n;

	param_range(sp, &lo, &hi);
	axis_fit(&x, lo, hi, log_scale);
	axis_fit(&y, ylo, yhi, 0);
	if (sp->kind == PARAM_REVERSE_LOG)
		snprintf(label, sizeof label, "1 - %s (log scale)", sp->name);
	else
		snprintf(label, sizeof label, "%s%s", sp->name, log_scale ? " (log scale)" : "");
	draw_frame(cr, &x, &y, label, p->metric, "");
	n = param_dots(cr, p, sp, &x, &y, 0);
	n += param_dots(cr, p, sp, &x, &y, 1);
	panel = cJSON_CreateObject();
	cJSON_AddStringToObject(panel, "param", sp->name);
	cJSON_AddStringToObject(panel, "scale", sp->kind == PARAM_REVERSE_LOG ? "reverse_log"
						: log_scale			 ? "log"
										 : "linear");
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
		n += param_numeric(&p->spec.params[i]);
	if (n == 0)
		return;
	cJSON_ArrayForEach(t, p->trials) {
		ylo = fmin(ylo, cli_num(t, "best_value", NAN));
		yhi = fmax(yhi, cli_num(t, "best_value", NAN));
	}
	cols = n > 2 ? 2 : 1;
	rows = (n + cols - 1) / cols;
	w = (WIDTH - left) / cols;
	h = (HEIGHT - 20) / rows;
	for (int i = 0; i < p->spec.n_params; i++) {
		struct axis x, y;

		if (!param_numeric(&p->spec.params[i]))
			continue;
		x = (struct axis){.p0 = left + (k % cols) * w + 60, .p1 = left + (k % cols + 1) * w - 15};
		y = (struct axis){.p0 = 20 + (k / cols + 1) * h - 45, .p1 = 20 + (k / cols) * h + 15};
		draw_param(cr, p, &p->spec.params[i], x, y, ylo, yhi);
		k++;
	}
}

static void render(cairo_t *cr, const struct plot *p)
{
	int params = 0;

	for (int i = 0; i < p->spec.n_params; i++)
		params += param_numeric(&p->spec.params[i]);
	cairo_set_source_rgb(cr, 1, 1, 1);
	cairo_paint(cr);
	cairo_select_font_face(cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
	draw_curves(cr, p, params ? WIDTH * 0.5 : WIDTH - 30);
	draw_params(cr, p, WIDTH * 0.52);
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
	if (spec_parse(&p->spec, cli_get(sweep->child, "spec"), err, sizeof err) < 0)
		code = cli_fail(cli, EXIT_FAILED, "sweep %lld: its spec: %s", id, err);
	p->metric = p->spec.objective_metric;
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
		if (p->n_top < k && p->n_top < (int)(sizeof p->top / sizeof p->top[0]))
			p->top[p->n_top++] = (long long)cli_num(r, "trial_id", 0);
	cJSON_Delete(leader);
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
	} else {
		printf("wrote %s: %.0f curves (best %d in colour), %d parameter panels\n", path,
		       cli_num(p->report, "curves", 0), p->n_top,
		       cJSON_GetArraySize(cli_get(p->report, "panels")));
	}
	return EXIT_OK;
}

static int plot_opt(void *ctx, int c, const char *arg)
{
	struct plot_opts *o = ctx;

	if (c == 'd')
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
	static const struct option own[] = {{"db", required_argument, NULL, 'd'},
					    {"output", required_argument, NULL, 'o'},
					    {"k", required_argument, NULL, 'k'},
					    {NULL, 0, NULL, 0}};
	struct plot_opts o = {.k = 5};
	struct plot p = {0};
	struct store st;
	long long id;
	int args, code;

	if ((code = cli_options(cli, &cmd_plot, argc, argv, own, plot_opt, &o, &args)) ||
	    (code = cli_operands(cli, argc - args, 1, 1)))
		return code;
	if ((id = cli_parse_id(argv[args])) < 0)
		return cli_usage(cli, "%s: expected a sweep id (a positive number)", argv[args]);
	if (!o.out)
		return cli_usage(cli, "missing -o FILE.svg or -o FILE.png");
	if (!format_of(o.out))
		return cli_usage(cli, "-o %s: the file name must end in .svg or .png", o.out);
	if ((code = store_open_cli(&st, cli, o.db)))
		return code;
	if (!(code = load(cli, &st, &p, id, o.k)))
		code = write_plot(cli, &p, o.out);
	cJSON_Delete(p.curves);
	cJSON_Delete(p.trials);
	cJSON_Delete(p.report);
	spec_finish(&p.spec);
	store_close(&st);
	cairo_debug_reset_static_data(); /* cairo's and fontconfig's caches: no leak to report */
	FcFini();
	return code;
}

const struct command cmd_plot = {
	"plot", "SWEEP -o FILE.svg|FILE.png [-k K]",
	"Draws a sweep's curves into an SVG or PNG.\n"
	"With cairo: the objective's learning curves of every trial (the best\n"
	"K in colour, default 5; the rest grey), and the objective against each numeric\n"
	"parameter on its own scale (log axes for log and log_int, 1-x on a log axis for\n"
	"reverse_log). --json reports what was drawn; --db FILE reads that database.",
	run_plot,
};
