/* cmd_curves: `caviar curves SWEEP|--trial TRIAL [-k K] [--metric M]`, learning
 * curves plotted in the terminal with braille characters (2x4 dots a cell).
 * The best K trials of the leaderboard are drawn as lines in colour (on a
 * terminal without NO_COLOR); the others faint, or as bare points without
 * colour. --json prints the curves' data instead. Reads the database only. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "errbuf.h"
#include "cli_store.h"
#include "term.h"
#include "xalloc.h"

#define PLOT_ROWS 16
#define LABEL_W 10 /* columns of the y labels */
#define X_LABEL "  epoch" /* after the x axis's last number */
/* The canvas's columns in a terminal of cols: the y labels and the axis
 * ("   6.905 ┤") on its left, the x label on the right of its last number. */
#define CANVAS_W(cols) ((cols) - (LABEL_W - 1) - (int)strlen(X_LABEL))

static const char *const colours[] = {TERM_GREEN, TERM_CYAN, TERM_YELLOW, "\033[35m", "\033[34m",
				      TERM_RED};
#define N_COLOURS (int)(sizeof colours / sizeof colours[0])

struct curves_opts {
	const char *db, *metric;
	long long k, trial;
};

/* The canvas: per cell its dots and the best rank that drew there (-1: none). */
struct canvas {
	int w, h;              /* cells */
	unsigned char *dots;
	signed char *rank;
	double x0, x1, y0, y1; /* data range */
};

static void canvas_dot(struct canvas *c, int x, int y, int rank)
{
	static const unsigned char bit[4][2] = {{0x01, 0x08}, {0x02, 0x10}, {0x04, 0x20},
						{0x40, 0x80}};
	int i;

	if (x < 0 || y < 0 || x >= 2 * c->w || y >= 4 * c->h)
		return;
	i = (y / 4) * c->w + x / 2;
	c->dots[i] |= bit[y % 4][x % 2];
	if (rank >= 0 && (c->rank[i] < 0 || rank < c->rank[i]))
		c->rank[i] = (signed char)rank;
}

/* Clamped just outside the canvas, so a point far off it (a diverging curve)
 * still draws its line to the edge, and a line is never millions of dots long. */
static int to_dot(double f, int n)
{
	if (!(f >= -1))
		return -1; /* also NaN */
	return f > n ? n : (int)lround(f);
}

static void canvas_point(const struct canvas *c, double ex, double v, int *x, int *y)
{
	*x = to_dot((ex - c->x0) / (c->x1 > c->x0 ? c->x1 - c->x0 : 1) * (2 * c->w - 1), 2 * c->w);
	*y = to_dot((c->y1 - v) / (c->y1 > c->y0 ? c->y1 - c->y0 : 1) * (4 * c->h - 1), 4 * c->h);
}

static void canvas_line(struct canvas *c, int x0, int y0, int x1, int y1, int rank)
{
	int dx = abs(x1 - x0), dy = -abs(y1 - y0), sx = x0 < x1 ? 1 : -1, sy = y0 < y1 ? 1 : -1;
	int e = dx + dy;

	for (;;) {
		int e2 = 2 * e;

		canvas_dot(c, x0, y0, rank);
		if (x0 == x1 && y0 == y1)
			return;
		if (e2 >= dy) {
			e += dy;
			x0 += sx;
		}
		if (e2 <= dx) {
			e += dx;
			y0 += sy;
		}
	}
}

/* Draws one curve (an array of [epoch, value]); lines: join the points. */
static void canvas_curve(struct canvas *c, const cJSON *points, int rank, int lines)
{
	const cJSON *p;
	int px = 0, py = 0, first = 1;

	cJSON_ArrayForEach(p, points) {
		int x, y;

		canvas_point(c, cJSON_GetArrayItem(p, 0)->valuedouble,
			     cJSON_GetArrayItem(p, 1)->valuedouble, &x, &y);
		if (lines && !first)
			canvas_line(c, px, py, x, y, rank);
		else
			canvas_dot(c, x, y, rank);
		px = x, py = y, first = 0;
	}
}

/* Under the x axis, a ▲ at each epoch where a drawn curve's trial was
 * adjusted or forked with changes (their "adjustments"). */
static void print_marks(const struct canvas *c, const cJSON *curves)
{
	char *marks = xcalloc((size_t)c->w, 1);
	const cJSON *cv, *a;
	int any = 0;

	cJSON_ArrayForEach(cv, curves)
		cJSON_ArrayForEach(a, query_get(cv, "adjustments")) {
			int x, y;

			canvas_point(c, query_num(a, "epoch", 0), c->y0, &x, &y);
			if (x >= 0 && x / 2 < c->w)
				marks[x / 2] = any = 1;
		}
	if (any) {
		printf("%*s  ", LABEL_W - 2, "");
		for (int col = 0; col < c->w; col++)
			fputs(marks[col] ? "▲" : " ", stdout);
		putchar('\n');
	}
	free(marks);
}

/* The changes marked ▲: "▲ trial 7 after epoch 3: lr 0.00668 -> 0.01 (user)". */
static void print_changes(const cJSON *curves)
{
	const cJSON *cv, *a;

	cJSON_ArrayForEach(cv, curves)
		cJSON_ArrayForEach(a, query_get(cv, "adjustments")) {
			char *old = cli_cell(query_get(a, "old_value"));
			char *new = cli_cell(query_get(a, "new_value"));

			printf("▲ trial %.0f after epoch %.0f: %s %s -> %s (%s)\n",
			       query_num(cv, "trial_id", 0), query_num(a, "epoch", 0),
			       cJSON_GetStringValue(query_get(a, "name")), old, new,
			       cJSON_GetStringValue(query_get(a, "source")));
			free(old);
			free(new);
		}
}

static void print_canvas(const struct canvas *c, int colour, const cJSON *curves)
{
	for (int row = 0; row < c->h; row++) {
		double v = c->y1 - (c->y1 - c->y0) * row / (c->h - 1);

		if (row == 0 || row == c->h - 1 || row == c->h / 2)
			printf("%*.4g ┤", LABEL_W - 2, v);
		else
			printf("%*s │", LABEL_W - 2, "");
		for (int col = 0; col < c->w; col++) {
			int i = row * c->w + col, r = c->rank[i];
			unsigned b = c->dots[i];
			char ch[4] = {(char)0xE2, (char)(0xA0 | (b >> 6)), (char)(0x80 | (b & 0x3F)), 0};

			if (colour && b)
				fputs(r >= 0 ? colours[r % N_COLOURS] : TERM_DIM, stdout);
			fputs(b ? ch : " ", stdout);
			if (colour && b)
				fputs(TERM_RESET, stdout);
		}
		putchar('\n');
	}
	printf("%*s └", LABEL_W - 2, "");
	for (int col = 0; col < c->w; col++)
		fputs("─", stdout);
	putchar('\n');
	print_marks(c, curves);
	printf("%*s %-*.0f%*.0f%s\n", LABEL_W - 2, "", c->w / 2, c->x0, c->w - c->w / 2,
	       c->x1, X_LABEL);
}

/* The data: one object per trial {trial_id, number, rank, highlighted, points}. */
static cJSON *collect(const cJSON *rows, const cJSON *leader, long long only, long long k)
{
	cJSON *curves = cJSON_CreateArray(), *cur = NULL;
	const cJSON *r, *l;

	cJSON_ArrayForEach(r, rows) {
		long long id = (long long)query_num(r, "trial_id", 0);
		cJSON *pt;

		if (only && id != only)
			continue;
		if (!cur || (long long)query_num(cur, "trial_id", 0) != id) {
			cur = cJSON_CreateObject();
			cJSON_AddNumberToObject(cur, "trial_id", (double)id);
			cJSON_AddNumberToObject(cur, "number", query_num(r, "number", 0));
			cJSON_ArrayForEach(l, leader)
				if ((long long)query_num(l, "trial_id", 0) == id)
					cJSON_AddNumberToObject(cur, "rank", query_num(l, "rank", 0));
			cJSON_AddBoolToObject(cur, "highlighted", query_num(cur, "rank", k + 1) <= k);
			cJSON_AddArrayToObject(cur, "points");
			cJSON_AddItemToArray(curves, cur);
		}
		pt = cJSON_CreateArray();
		cJSON_AddItemToArray(pt, cJSON_CreateNumber(query_num(r, "epoch", 0)));
		cJSON_AddItemToArray(pt, cJSON_CreateNumber(query_num(r, "value", 0)));
		cJSON_AddItemToArray(cJSON_GetObjectItemCaseSensitive(cur, "points"), pt);
	}
	return curves;
}

static void plot_curves(const cJSON *curves, int colour, int cols)
{
	struct canvas c = {.w = CANVAS_W(cols), .h = PLOT_ROWS};
	const cJSON *cv, *p;
	int n = 0;

	c.x0 = c.y0 = INFINITY;
	c.x1 = c.y1 = -INFINITY;
	cJSON_ArrayForEach(cv, curves)
		cJSON_ArrayForEach(p, query_get(cv, "points")) {
			c.x0 = fmin(c.x0, cJSON_GetArrayItem(p, 0)->valuedouble);
			c.x1 = fmax(c.x1, cJSON_GetArrayItem(p, 0)->valuedouble);
			c.y0 = fmin(c.y0, cJSON_GetArrayItem(p, 1)->valuedouble);
			c.y1 = fmax(c.y1, cJSON_GetArrayItem(p, 1)->valuedouble);
		}
	c.dots = xcalloc((size_t)(c.w * c.h), 1);
	c.rank = xmalloc((size_t)(c.w * c.h));
	memset(c.rank, -1, (size_t)(c.w * c.h));
	for (int pass = 0; pass < 2; pass++)
		cJSON_ArrayForEach(cv, curves) {
			int hl = cJSON_IsTrue(query_get(cv, "highlighted"));

			if (hl == pass)
				canvas_curve(&c, query_get(cv, "points"),
					     hl ? (int)query_num(cv, "rank", 1) - 1 : -1, hl || colour);
		}
	print_canvas(&c, colour, curves);
	for (int want = 1; want <= cJSON_GetArraySize(curves); want++)
		cJSON_ArrayForEach(cv, curves) {
			int r = (int)query_num(cv, "rank", 1) - 1;

			if (!cJSON_IsTrue(query_get(cv, "highlighted")) || r + 1 != want)
				continue;
			const cJSON *last = cJSON_GetArrayItem(query_get(cv, "points"),
							       cJSON_GetArraySize(query_get(cv, "points")) - 1);

			printf("%s%s%s rank %d: trial %.0f (no. %.0f), last %.4g\n",
			       colour ? colours[r % N_COLOURS] : "", colour ? "■" : "-",
			       colour ? TERM_RESET : "", r + 1, query_num(cv, "trial_id", 0),
			       query_num(cv, "number", 0), cJSON_GetArrayItem(last, 1)->valuedouble);
			n++;
		}
	if (!n && cJSON_GetArraySize(curves) > 1)
		printf("(no finished trial to highlight yet)\n");
	print_changes(curves);
	free(c.dots);
	free(c.rank);
}

/* The sweep (and metric) of the command: SWEEP, or the trial's. */
static int find_sweep(struct cli *cli, struct store *st, struct curves_opts *o, long long *sweep,
		      cJSON **info)
{
	char err[ERRBUF_LEN];
	cJSON *rows = o->trial ? query_run(&st->query, err, sizeof err, QUERY_TRIAL, "i", o->trial)
			       : query_run(&st->query, err, sizeof err, QUERY_SWEEP, "i", *sweep);

	if (!rows)
		return cli_fail(cli, EXIT_FAILED, "%s", err);
	if (!rows->child) {
		cJSON_Delete(rows);
		return o->trial ? cli_fail(cli, EXIT_FAILED, "no trial %lld", o->trial)
				: cli_fail(cli, EXIT_FAILED, "no sweep %lld", *sweep);
	}
	if (o->trial)
		*sweep = (long long)query_num(rows->child, "sweep_id", 0);
	*info = rows;
	return 0;
}

/* The adjustments of the highlighted curves' trials (every curve's with
 * all), as their "adjustments"; a trial without any has none. */
static void add_adjustments(struct store *st, cJSON *curves, int all)
{
	char err[ERRBUF_LEN];
	cJSON *cv, *rows;

	cJSON_ArrayForEach(cv, curves) {
		if (!all && !cJSON_IsTrue(query_get(cv, "highlighted")))
			continue;
		rows = query_run(&st->query, err, sizeof err, QUERY_ADJUSTMENTS, "i",
				 (long long)query_num(cv, "trial_id", 0));
		if (rows && rows->child)
			cJSON_AddItemToObject(cv, "adjustments", rows);
		else
			cJSON_Delete(rows);
	}
}

static int show_curves(struct cli *cli, struct store *st, struct curves_opts *o, long long sweep)
{
	char err[ERRBUF_LEN];
	cJSON *info = NULL, *rows, *leader, *curves;
	const char *metric;
	int code;

	if ((code = find_sweep(cli, st, o, &sweep, &info)))
		return code;
	metric = o->metric ? o->metric : cJSON_GetStringValue(query_get(info->child, "metric"));
	rows = query_run(&st->query, err, sizeof err, QUERY_METRIC, "is", sweep, metric);
	leader = rows ? query_run(&st->query, err, sizeof err, QUERY_LEADERBOARD, "ii", sweep, -1LL)
		      : NULL;
	if (!leader) {
		cJSON_Delete(rows);
		cJSON_Delete(info);
		return cli_fail(cli, EXIT_FAILED, "%s", err);
	}
	curves = collect(rows, leader, o->trial, o->k);
	add_adjustments(st, curves, o->trial != 0);
	if (!curves->child) {
		code = cli_fail(cli, EXIT_FAILED, "no %s points in %s %lld", metric,
				o->trial ? "trial" : "sweep", o->trial ? o->trial : sweep);
	} else if (cli->json) {
		cJSON *out = cJSON_CreateObject();

		cJSON_AddNumberToObject(out, "sweep", (double)sweep);
		cJSON_AddStringToObject(out, "metric", metric);
		cJSON_AddItemToObject(out, "curves", curves);
		curves = NULL;
		cli_print_json(out);
	} else {
		int cols, lines;

		term_size(STDOUT_FILENO, &cols, &lines);
		printf("%s by epoch: %d curve%s of sweep %lld\n", metric, cJSON_GetArraySize(curves),
		       cJSON_GetArraySize(curves) == 1 ? "" : "s", sweep);
		plot_curves(curves, term_colour(STDOUT_FILENO), cols < 40 ? 40 : cols > 160 ? 160 : cols);
	}
	cJSON_Delete(curves);
	cJSON_Delete(rows);
	cJSON_Delete(leader);
	cJSON_Delete(info);
	return code;
}

static int curves_opt(void *ctx, int c, const char *arg)
{
	struct curves_opts *o = ctx;
	long long n;

	if (c == 'd' || c == 'm') {
		*(c == 'd' ? &o->db : &o->metric) = arg;
		return 0;
	}
	if ((n = cli_parse_id(arg)) < 0) {
		fprintf(stderr, "caviar: curves: %s: expected a positive number\n"
				"try 'caviar curves --help'\n", c == 'k' ? "-k" : "--trial");
		return EXIT_USAGE;
	}
	*(c == 'k' ? &o->k : &o->trial) = n;
	return 0;
}

static int run_curves(struct cli *cli, int argc, char **argv)
{
	struct curves_opts o = {.k = 3};
	struct store st;
	long long sweep = 0;
	int args, code;

	if ((code = cli_options(cli, &cmd_curves, argc, argv, curves_opt, &o, &args)) ||
	    (code = cli_operands(cli, argc - args, o.trial ? 0 : 1, o.trial ? 0 : 1)))
		return code;
	if (!o.trial && (sweep = cli_parse_id(argv[args])) < 0)
		return cli_usage(cli, "%s: expected a sweep id (a positive number)", argv[args]);
	if ((code = store_open_cli(&st, cli, o.db)))
		return code;
	code = show_curves(cli, &st, &o, sweep);
	store_close(&st);
	return code;
}

static const struct cli_option curves_options[] = {
	{0, "trial", 't', "TRIAL", "Plot that trial's curve instead of a sweep's."},
	{'k', NULL, 'k', "K", "Highlight the best K trials in colour (default 3)."},
	{0, "metric", 'm', "M", "Plot metric M instead of the objective."},
	{0, "db", 'd', "FILE", "Read that database (else the daemon's)."},
	{0, NULL, 0, NULL, NULL},
};

const struct command cmd_curves = {
	"curves", "SWEEP|--trial TRIAL [-k K] [--metric M] [--db FILE]",
	"Plots learning curves in the terminal.\n"
	"Braille dots: every trial of the sweep, or one\n"
	"trial; the best K highlighted in colour. --json prints the points.",
	run_curves,
	curves_options,
};
