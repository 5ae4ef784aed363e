/* cmd_watch: `caviar watch [SWEEP]`, a live view of running sweeps. It
 * subscribes to the daemon's event stream, takes the state so far from the
 * database (watch.h), and then only reads events: on a terminal it redraws a
 * screen (at most 10 times a second, in the alternate screen, restored on exit
 * and Ctrl-C); elsewhere it prints one line per event (or the event itself with
 * --json). It ends when the watched sweep ends; the sweep never depends on it. */
#include <errno.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "client.h"
#include "errbuf.h"
#include "proto.h"
#include "cli_store.h"
#include "term.h"
#include "watch.h"

#define DRAW_INTERVAL 0.1 /* seconds between redraws, at most */
#define TICK_MS 1000      /* redraw this often anyway, for the clock and ETAs */
#define BAR_WIDTH 16
#define SPARK_WIDTH 16

struct viewer {
	struct cli *cli;
	long long only;        /* the sweep watched; 0: all */
	struct client conn;    /* subscribed to the events */
	struct store st;
	struct watch w;
	int tty, colour, cols, rows;
	int sigfd;
	sigset_t oldmask;
	double last_draw;      /* monotonic seconds */
	int dirty, done, code;
	int panda;             /* --panda: lines typed on stdin adjust the running trial */
	char in[4096];         /* what was typed, up to its newline */
	size_t in_len;
	struct term_line line, frame;
};

static double clock_now(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* "1:05", "1:02:03" or "-". */
static void duration(char *buf, size_t n, double s)
{
	long t = lround(s);

	if (!(s >= 0) || s > 1e7)
		snprintf(buf, n, "-");
	else if (t >= 3600)
		snprintf(buf, n, "%ld:%02ld:%02ld", t / 3600, t / 60 % 60, t % 60);
	else
		snprintf(buf, n, "%ld:%02ld", t / 60, t % 60);
}

/* "lr=0.0031 beta=0.97" into l. */
static void add_params(struct term_line *l, const cJSON *params)
{
	const cJSON *p;

	cJSON_ArrayForEach(p, params) {
		char *v = cli_cell(p);

		term_line_add(l, "%s%s=%s", p == params->child ? "" : " ", p->string, v);
		free(v);
	}
}

static void add_counts(struct term_line *l, const struct watch_sweep *sw)
{
	long long queued = query_queued(sw->status, sw->budget, sw->counts[W_RUNNING],
					watch_finished(sw));

	term_line_add(l, "done %d  running %d  queued %lld  pruned %d  ", sw->counts[W_DONE],
		      sw->counts[W_RUNNING], queued, sw->counts[W_PRUNED]);
	if (sw->counts[W_FAILED])
		term_line_esc(l, TERM_RED);
	term_line_add(l, "failed %d", sw->counts[W_FAILED]);
	term_line_esc(l, TERM_RESET);
	if (sw->counts[W_CANCELLED])
		term_line_add(l, "  cancelled %d", sw->counts[W_CANCELLED]);
	term_line_add(l, "  of %d", sw->budget);
}

static void add_best(struct term_line *l, const struct watch_sweep *sw)
{
	const struct watch_trial *b = sw->best >= 0 ? &sw->trials[sw->best] : NULL;

	if (!b) {
		term_line_add(l, "best: -");
		return;
	}
	term_line_add(l, "best: trial %lld (no. %d%s) %s ", b->id, b->number,
		      b->status == W_RUNNING ? ", running" : "", sw->metric);
	term_line_esc(l, TERM_GREEN TERM_BOLD);
	term_line_add(l, "%.4f", b->best);
	term_line_esc(l, TERM_RESET);
	term_line_add(l, "  ");
	add_params(l, b->params);
}

/* Adds the finished line to the frame, clearing the rest of the screen line. */
static void emit(struct viewer *v)
{
	term_line_raw(&v->frame, v->line.s);
	term_line_raw(&v->frame, "\033[K\r\n");
	term_line_clear(&v->line);
}

static void add_metrics(struct term_line *l, const struct watch_sweep *sw, const cJSON *metrics)
{
	const cJSON *m;

	cJSON_ArrayForEach(m, metrics)
		if (strcmp(m->string, sw->metric) != 0 && strcmp(m->string, "elapsed") != 0)
			term_line_add(l, "%s %.4g  ", m->string, m->valuedouble);
}

static void draw_trial(struct viewer *v, const struct watch_sweep *sw,
		       const struct watch_trial *t, double now)
{
	struct term_line *l = &v->line;
	const cJSON *obj = query_get(t->metrics, sw->metric);
	char eta[32];
	int col = 0, best = t->number == sw->best;

	duration(eta, sizeof eta,
		 t->epoch > 0 ? (now - t->started) / t->epoch * (t->epochs - t->epoch) : NAN);
	if (best)
		term_line_esc(l, TERM_GREEN);
	term_line_add(l, "%7lld  %-5d ", t->id, t->number);
	term_line_bar(l, t->epochs > 0 ? (double)t->epoch / t->epochs : 0, BAR_WIDTH);
	term_line_add(l, " %3d/%-3d %7s  ", t->epoch, t->epochs, eta);
	if (cJSON_IsNumber(obj))
		term_line_add(l, "%9.4f  ", obj->valuedouble);
	else
		term_line_add(l, "%9s  ", "-");
	col = l->cols;
	term_line_spark(l, t->curve, t->n_curve, SPARK_WIDTH);
	term_line_pad(l, col + SPARK_WIDTH + 2);
	add_metrics(l, sw, t->metrics);
	term_line_esc(l, TERM_RESET);
	emit(v);
}

/* One sweep's block; returns the lines left. */
static int draw_sweep(struct viewer *v, const struct watch_sweep *sw, int left, double now)
{
	struct term_line *l = &v->line;
	int shown = 0;

	term_line_esc(l, TERM_BOLD);
	term_line_add(l, "sweep %lld \"%s\"", sw->id, sw->name);
	term_line_esc(l, TERM_RESET);
	term_line_add(l, "  %s  objective %s (%s)", sw->status, sw->metric, sw->max ? "max" : "min");
	emit(v);
	add_counts(l, sw);
	term_line_add(l, "  ");
	term_line_bar(l, sw->budget ? (double)watch_finished(sw) / sw->budget : 0, BAR_WIDTH);
	emit(v);
	add_best(l, sw);
	emit(v);
	term_line_esc(l, TERM_DIM);
	term_line_add(l, "%7s  %-5s %-16s %-7s %7s  %9.9s  CURVE", "TRIAL", "NO.", "PROGRESS", "EPOCH",
		      "ETA", sw->metric);
	term_line_pad(l, 60 + SPARK_WIDTH + 2);
	term_line_add(l, "LATEST");
	term_line_esc(l, TERM_RESET);
	emit(v);
	left -= 4;
	for (int i = 0; i < sw->n_trials; i++) {
		if (sw->trials[i].status != W_RUNNING)
			continue;
		if (left <= 2) { /* room for "... and N more" and the blank line */
			shown++;
			continue;
		}
		draw_trial(v, sw, &sw->trials[i], now);
		left--;
	}
	if (shown) {
		term_line_add(l, "  ... and %d more running", shown);
		emit(v);
		left--;
	}
	emit(v);
	return left - 1;
}

static void draw(struct viewer *v)
{
	double now = clock_now(CLOCK_REALTIME);
	time_t t = (time_t)now;
	struct tm tm;
	char clock[16] = "";
	int left = v->rows - 2, any = 0;

	term_line_clear(&v->frame);
	term_line_raw(&v->frame, "\033[H");
	if (localtime_r(&t, &tm))
		strftime(clock, sizeof clock, "%H:%M:%S", &tm);
	term_line_add(&v->line, "caviar watch  %s", clock);
	emit(v);
	for (int i = 0; i < v->w.n_sweeps && left > 4; i++)
		if (!v->w.sweeps[i].ended || v->only) {
			left = draw_sweep(v, &v->w.sweeps[i], left, now);
			any = 1;
		}
	if (!any) {
		term_line_add(&v->line, "no sweep is running; waiting for one (caviar submit SPEC)");
		emit(v);
	}
	term_line_esc(&v->line, TERM_DIM);
	term_line_add(&v->line, "Ctrl-C stops watching; the sweeps go on.");
	term_line_esc(&v->line, TERM_RESET);
	term_line_raw(&v->frame, v->line.s);
	term_line_clear(&v->line);
	term_line_raw(&v->frame, "\033[K\033[J");
	fwrite(v->frame.s, 1, v->frame.len, stdout);
	fflush(stdout);
	v->dirty = 0;
	v->last_draw = clock_now(CLOCK_MONOTONIC);
}

/* The closing line of a sweep: its counts and best trial. */
static void print_summary(struct viewer *v, const struct watch_sweep *sw)
{
	struct term_line *l = &v->line;

	term_line_add(l, "sweep %lld \"%s\" %s", sw->id, sw->name, sw->status);
	if (sw->reason)
		term_line_add(l, " (%s)", sw->reason);
	term_line_add(l, ": ");
	add_counts(l, sw);
	term_line_add(l, "; ");
	add_best(l, sw);
	printf("%s\n", l->s);
	term_line_clear(l);
}

/* A plain line for one event (not a terminal). */
static void print_event(struct viewer *v, const struct watch_change *ch, const cJSON *e)
{
	const struct watch_trial *t = ch->trial;
	struct term_line *l = &v->line;

	if (!t) {
		if (ch->kind == PROTO_EV_SWEEP_ENDED)
			print_summary(v, ch->sweep);
		else if (PROTO_EV_IS_SWEEP(ch->kind)) /* started, paused, resumed, stopping */
			printf("sweep %lld \"%s\" %s\n", ch->sweep->id, ch->sweep->name, ch->event + 6);
		return;
	}
	term_line_add(l, "sweep %lld trial %lld (no. %d) ", ch->sweep->id, t->id, t->number);
	if (ch->kind == PROTO_EV_TRIAL_STARTED) {
		term_line_add(l, "started: ");
		add_params(l, t->params);
	} else if (ch->kind == PROTO_EV_PROGRESS) {
		const cJSON *m;

		term_line_add(l, "epoch %d/%d:", (int)query_num(e, "epoch", 0), t->epochs);
		cJSON_ArrayForEach(m, query_get(e, "metrics"))
			term_line_add(l, " %s=%.4g", m->string, m->valuedouble);
	} else if (ch->kind == PROTO_EV_ADJUSTED) {
		const cJSON *c;

		term_line_add(l, "adjusted after epoch %d by %s:", (int)query_num(e, "epoch", 0),
			      cJSON_GetStringValue(query_get(e, "source")));
		cJSON_ArrayForEach(c, query_get(e, "changes")) {
			char *old = cli_cell(cJSON_GetArrayItem(c, 0));
			char *new = cli_cell(cJSON_GetArrayItem(c, 1));

			term_line_add(l, " %s %s -> %s", c->string, old, new);
			free(old);
			free(new);
		}
	} else {
		term_line_add(l, "%s: %s", cJSON_GetStringValue(query_get(e, "status")),
			      cJSON_GetStringValue(query_get(e, "reason")));
	}
	if (!isnan(t->best))
		term_line_add(l, "; best %s %.4f", ch->sweep->metric, t->best);
	printf("%s\n", l->s);
	term_line_clear(l);
}

static void on_event(struct viewer *v, const cJSON *e)
{
	struct watch_change ch =
		watch_apply(&v->w, &v->st, e, v->only == 0, clock_now(CLOCK_REALTIME));

	if (v->only && (long long)query_num(e, "sweep", 0) != v->only)
		return;
	if (v->cli->json) {
		char *text = cJSON_PrintUnformatted(e);

		puts(text);
		free(text);
	} else if (!v->tty && ch.sweep) {
		print_event(v, &ch, e);
	}
	if (!v->tty)
		fflush(stdout);
	v->dirty = 1;
	if (v->only && ch.sweep && ch.sweep->ended) {
		v->done = 1;
		v->code = strcmp(ch.sweep->status, "done") == 0 ? EXIT_OK : EXIT_FAILED;
	}
}

/* Handles every complete event line buffered. Returns 0, or an exit code. */
static int read_events(struct viewer *v)
{
	char err[ERRBUF_LEN];

	do {
		cJSON *e = client_recv(&v->conn, err, sizeof err);

		if (!e)
			return cli_fail(v->cli, EXIT_NODAEMON,
					"lost the connection to caviard (did it stop?)");
		on_event(v, e);
		cJSON_Delete(e);
	} while (!v->done && v->conn.len && memchr(v->conn.buf, '\n', v->conn.len));
	return 0;
}

static void on_signal(struct viewer *v)
{
	struct signalfd_siginfo si;

	if (read(v->sigfd, &si, sizeof si) != (ssize_t)sizeof si)
		return;
	if (si.ssi_signo == SIGWINCH) {
		term_size(STDOUT_FILENO, &v->cols, &v->rows);
		v->line.max = v->cols;
		v->dirty = 1;
		return;
	}
	v->done = 1; /* SIGINT, SIGTERM, SIGHUP: stop watching; the sweep goes on */
	v->code = EXIT_OK;
}

/* --panda: the sweep's newest running trial, or 0. */
static long long panda_trial(struct viewer *v)
{
	struct watch_sweep *sw = watch_find(&v->w, v->only);

	for (int i = sw ? sw->n_trials - 1 : -1; i >= 0; i--)
		if (sw->trials[i].status == W_RUNNING && sw->trials[i].id)
			return sw->trials[i].id;
	return 0;
}

/* --panda: one typed line, "name=value ...", adjusts the running trial. */
static void panda_line(struct viewer *v, char *line)
{
	char *argv[64], *save = NULL, *tok;
	int argc = 0;
	long long id = panda_trial(v);
	const char *cmd = v->cli->cmd;
	cJSON *set;

	for (tok = strtok_r(line, " \t\r", &save); tok && argc < 64;
	     tok = strtok_r(NULL, " \t\r", &save))
		argv[argc++] = tok;
	if (!argc)
		return;
	v->cli->cmd = "adjust";
	set = cJSON_CreateObject();
	if (!id)
		cli_fail(v->cli, EXIT_FAILED, "no trial of sweep %lld is running", v->only);
	if (!id || cli_parse_changes(v->cli, argc, argv, set)) {
		cJSON_Delete(set);
	} else {
		cli_adjust(v->cli, id, set, 0);
	}
	v->cli->cmd = cmd;
	fflush(stdout);
}

/* --panda: reads what was typed; each full line is one adjustment. At the
 * end of the input, stops reading it (the watch goes on). */
static void panda_read(struct viewer *v, struct pollfd *in)
{
	ssize_t n = read(STDIN_FILENO, v->in + v->in_len, sizeof v->in - 1 - v->in_len);
	char *nl;

	if (n <= 0) {
		in->fd = -1;
		return;
	}
	v->in_len += (size_t)n;
	v->in[v->in_len] = '\0';
	while ((nl = memchr(v->in, '\n', v->in_len))) {
		*nl = '\0';
		panda_line(v, v->in);
		v->in_len -= (size_t)(nl + 1 - v->in);
		memmove(v->in, nl + 1, v->in_len);
	}
	if (v->in_len == sizeof v->in - 1)
		v->in_len = 0; /* a line longer than the buffer: dropped */
}

static int loop(struct viewer *v)
{
	struct pollfd p[3] = {{.fd = v->conn.fd, .events = POLLIN},
			      {.fd = v->sigfd, .events = POLLIN},
			      {.fd = v->panda ? STDIN_FILENO : -1, .events = POLLIN}};
	int code = 0;

	while (!v->done && !code) {
		double wait = v->last_draw + DRAW_INTERVAL - clock_now(CLOCK_MONOTONIC);
		int timeout = !v->tty ? -1 : v->dirty ? (int)fmax(0, wait * 1000) : TICK_MS;
		int n;

		if (v->tty && v->dirty && wait <= 0) {
			draw(v);
			continue;
		}
		n = poll(p, 3, timeout);
		if (n < 0 && errno != EINTR)
			return cli_fail(v->cli, EXIT_FAILED, "poll: %s", strerror(errno));
		if (n == 0)
			v->dirty = 1;
		if (n > 0 && (p[1].revents & POLLIN))
			on_signal(v);
		if (n > 0 && (p[2].revents & (POLLIN | POLLHUP | POLLERR)))
			panda_read(v, &p[2]);
		if (n > 0 && !v->done && (p[0].revents & (POLLIN | POLLHUP | POLLERR)))
			code = read_events(v);
	}
	return code ? code : v->code;
}

/* Connects and subscribes; the reply comes before any event. */
static int subscribe(struct viewer *v)
{
	char err[ERRBUF_LEN];
	cJSON *req = proto_request(PROTO_SUBSCRIBE), *reply = NULL;
	int code = EXIT_OK;

	if (v->only)
		cJSON_AddNumberToObject(req, "sweep", (double)v->only);
	if (client_open(&v->conn, v->cli->socket, err, sizeof err) < 0 ||
	    !(reply = client_call(&v->conn, req, err, sizeof err)))
		code = cli_fail(v->cli, EXIT_NODAEMON, "%s", err);
	else if (!cJSON_IsTrue(query_get(reply, "ok")))
		code = cli_fail(v->cli, EXIT_FAILED, "%s",
				cJSON_IsString(query_get(reply, "error"))
					? query_get(reply, "error")->valuestring
					: "the daemon refused to subscribe");
	cJSON_Delete(req);
	cJSON_Delete(reply);
	return code;
}

/* The state so far. An `ls` first makes the daemon write what it holds. */
static int snapshot(struct viewer *v)
{
	char err[ERRBUF_LEN];
	cJSON *req = proto_request(PROTO_LS), *reply, *rows;
	const cJSON *r;
	int code;

	if (!(reply = cli_call(v->cli, req, &code)))
		return code;
	cJSON_Delete(reply);
	if (v->only)
		return watch_load(&v->w, &v->st, v->only, err, sizeof err)
			       ? EXIT_OK
			       : cli_fail(v->cli, EXIT_FAILED, "%s", err);
	if (!(rows = query_run(&v->st.query, err, sizeof err, QUERY_SWEEPS, "")))
		return cli_fail(v->cli, EXIT_FAILED, "%s", err);
	cJSON_ArrayForEach(r, rows) {
		const char *status = cJSON_GetStringValue(query_get(r, "status"));

		if (status && (!strcmp(status, "running") || !strcmp(status, "paused")) &&
		    !watch_load(&v->w, &v->st, (long long)query_num(r, "id", 0), err, sizeof err))
			break;
	}
	cJSON_Delete(rows);
	return r ? cli_fail(v->cli, EXIT_FAILED, "%s", err) : EXIT_OK;
}

/* Signals arrive on a descriptor the loop polls; the terminal is ours until
 * restore. */
static int setup_terminal(struct viewer *v)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGWINCH);
	sigprocmask(SIG_BLOCK, &set, &v->oldmask);
	v->sigfd = signalfd(-1, &set, SFD_CLOEXEC);
	if (v->sigfd < 0)
		return cli_fail(v->cli, EXIT_FAILED, "signalfd: %s", strerror(errno));
	term_size(STDOUT_FILENO, &v->cols, &v->rows);
	v->line.max = v->tty ? v->cols : 0;
	if (v->tty)
		fputs("\033[?1049h\033[?25l", stdout); /* alternate screen, no cursor */
	return 0;
}

static void restore_terminal(struct viewer *v)
{
	if (v->tty) {
		fputs("\033[?25h\033[?1049l", stdout);
		fflush(stdout);
	}
	if (v->sigfd >= 0)
		close(v->sigfd);
	sigprocmask(SIG_SETMASK, &v->oldmask, NULL);
}

/* Prints the closing lines: every sweep's summary. */
static void print_end(struct viewer *v, int interrupted)
{
	v->line.max = 0;
	if (v->cli->json)
		return;
	for (int i = 0; i < v->w.n_sweeps; i++)
		if (v->tty || (v->only && !v->done) || interrupted)
			print_summary(v, &v->w.sweeps[i]);
	if (interrupted && v->only)
		fprintf(stderr, "caviar: watch: stopped watching; sweep %lld goes on\n", v->only);
}

static int watch_run(struct cli *cli, long long only, const char *db, int panda)
{
	struct viewer v = {.cli = cli, .only = only, .sigfd = -1, .panda = panda};
	struct watch_sweep *sw;
	int code;

	/* --panda prints a line per event, between which the user types */
	v.tty = isatty(STDOUT_FILENO) && !cli->json && !panda;
	v.colour = v.tty && term_colour(STDOUT_FILENO);
	term_line_init(&v.line, 0, v.colour);
	term_line_init(&v.frame, 0, v.colour);
	watch_init(&v.w);
	if ((code = subscribe(&v)) || (code = store_open_cli(&v.st, cli, db)) ||
	    (code = snapshot(&v)))
		goto out;
	sw = only ? watch_find(&v.w, only) : NULL;
	if (sw && sw->ended) { /* over already: say how it went */
		if (!cli->json)
			print_summary(&v, sw);
		code = strcmp(sw->status, "done") == 0 ? EXIT_OK : EXIT_FAILED;
		goto out;
	}
	if ((code = setup_terminal(&v)))
		goto out;
	if (!v.tty && !cli->json)
		for (int i = 0; i < v.w.n_sweeps; i++)
			print_summary(&v, &v.w.sweeps[i]);
	if (panda && !cli->json)
		printf("panda: type name=value ... (e.g. lr=0.01) and Enter to adjust the running "
		       "trial; Ctrl-C stops watching, the sweep goes on\n");
	fflush(stdout);
	v.dirty = 1;
	code = loop(&v);
	restore_terminal(&v);
	print_end(&v, v.done && !(only && watch_find(&v.w, only)->ended));
out:
	term_line_finish(&v.line);
	term_line_finish(&v.frame);
	watch_finish(&v.w);
	store_close(&v.st);
	client_close(&v.conn);
	return code;
}

struct watch_opts {
	const char *db;
	int panda;
};

static int watch_opt(void *ctx, int c, const char *arg)
{
	struct watch_opts *o = ctx;

	if (c == 'p')
		o->panda = 1;
	else
		o->db = arg;
	return 0;
}

static int run_watch(struct cli *cli, int argc, char **argv)
{
	struct watch_opts o = {0};
	long long id = 0;
	int args, code;

	if ((code = cli_options(cli, &cmd_watch, argc, argv, watch_opt, &o, &args)) ||
	    (code = cli_operands(cli, argc - args, 0, 1)))
		return code;
	if (argc > args && (id = cli_parse_id(argv[args])) < 0)
		return cli_usage(cli, "%s: expected a sweep id (a positive number)", argv[args]);
	if (o.panda && !id)
		return cli_usage(cli, "--panda needs the SWEEP whose trial it steers");
	return watch_run(cli, id, o.db, o.panda);
}

static const struct cli_option watch_options[] = {
	{0, "panda", 'p', NULL, "One line per event, and each line typed, name=value ..., adjusts "
	 "the sweep's running trial."},
	{0, "db", 'd', "FILE", "Read the state so far from that database (else the daemon's)."},
	{0, NULL, 0, NULL, NULL},
};

const struct command cmd_watch = {
	"watch", "[SWEEP] [--panda] [--db FILE]",
	"Shows running trials live, redrawn in place. Progress bars with ETAs, latest metrics\n"
	"and a sparkline of each objective curve, the sweep's counts and its best trial.\n"
	"Without SWEEP, every\n"
	"running sweep. Ends when the sweep ends (exit 0 if it finished, 1 if cancelled);\n"
	"Ctrl-C stops watching and leaves the sweep running. When standard output is not a\n"
	"terminal, prints one line per event instead (--json: the events themselves).\n"
	"--panda steers one model by hand: each line typed on standard input adjusts the "
	"sweep's running trial, as 'caviar adjust'.",
	run_watch,
	watch_options,
};
