/* control: stdin's configuration and control lines (see control.h). */
#include "control.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "changes.h"
#include "errbuf.h"
#include "hparams.h"
#include "report.h"
#include "worker_proto.h"
#include "xalloc.h"

static double now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

void control_open(struct control *c, int fd)
{
	memset(c, 0, sizeof *c);
	c->fd = fd;
	linebuf_init(&c->lb, WORKER_PROTO_MAX_LINE);
}

void control_finish(struct control *c)
{
	if (!c)
		return;
	linebuf_finish(&c->lb);
	free(c->rest);
	memset(c, 0, sizeof *c);
	c->fd = -1;
}

/* Where the first JSON value of a byte stream ends: brackets outside strings
 * balance, or for a value that does not open with one, its line ends. So a
 * configuration ends without waiting for more, even when it is not valid
 * JSON (the parser then says where), and a pretty-printed one may span
 * lines. */
struct scan {
	int depth;     /* open brackets */
	int in_string; /* inside "..." */
	int escape;    /* after a backslash inside a string */
	int started;   /* a non-space byte was seen */
	int bracketed; /* the value opened with { or [ */
};

/* Scans buf[from, n); returns the offset just past the value's end, or 0
 * while it has not ended. */
static size_t scan_value(struct scan *sc, const char *buf, size_t from, size_t n)
{
	for (size_t i = from; i < n; i++) {
		char ch = buf[i];
		if (sc->in_string) {
			if (sc->escape)
				sc->escape = 0;
			else if (ch == '\\')
				sc->escape = 1;
			else if (ch == '"')
				sc->in_string = 0;
			continue;
		}
		if (!sc->started && (ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n'))
			continue;
		if (!sc->started)
			sc->bracketed = ch == '{' || ch == '[';
		sc->started = 1;
		if (!sc->bracketed && ch == '\n')
			return i + 1;
		if (ch == '"')
			sc->in_string = 1;
		else if (ch == '{' || ch == '[')
			sc->depth++;
		else if ((ch == '}' || ch == ']') && --sc->depth <= 0 && sc->bracketed)
			return i + 1;
	}
	return 0;
}

char *control_read_config(struct control *c, int fd, size_t *len)
{
	size_t cap = 4096, n = 0, end = 0;
	char *buf = xmalloc(cap);
	struct scan sc = {0, 0, 0, 0, 0};
	ssize_t got;

	control_open(c, fd);
	for (;;) {
		if (cap - n < 1024)
			buf = xrealloc(buf, cap *= 2);
		got = read(fd, buf + n, cap - n - 1);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			free(buf);
			return NULL;
		}
		if (got == 0) {
			c->fd = -1; /* end of file: no control lines will follow */
			break;
		}
		end = scan_value(&sc, buf, n, n + (size_t)got);
		n += (size_t)got;
		if (end > 0)
			break;
	}
	if (end > 0) {
		c->n_rest = n - end;
		c->rest = xmalloc(c->n_rest + 1);
		memcpy(c->rest, buf + end, c->n_rest);
		n = end;
	}
	buf[n] = '\0';
	*len = n;
	return buf;
}

/* The current value of name in cfg (the hparams default when absent), a new item. */
static cJSON *current(const cJSON *cfg, const struct hparam *h)
{
	if (h->type == HP_STRING) {
		const char *s = HP_STR(cfg, h->name);
		return s ? cJSON_CreateString(s) : cJSON_CreateNull();
	}
	if (h->type == HP_BOOL)
		return cJSON_CreateBool(HP_BOOL(cfg, h->name));
	return cJSON_CreateNumber(HP_NUM(cfg, h->name));
}

/* Sets cfg[name] to a copy of v. */
static void put(cJSON *cfg, const char *name, const cJSON *v)
{
	cJSON *copy = cJSON_Duplicate(v, 1);

	if (cJSON_GetObjectItemCaseSensitive(cfg, name))
		cJSON_ReplaceItemInObjectCaseSensitive(cfg, name, copy);
	else
		cJSON_AddItemToObject(cfg, name, copy);
}

/* Checks every change of obj (all of them before any is made). Returns 0 or
 * -1 with the first refusal in err. */
static int check_changes(const struct control_task *task, const cJSON *obj, char *err,
			 size_t errlen)
{
	const cJSON *item;
	char msg[ERRBUF_LEN];

	if (!cJSON_IsObject(obj) || !obj->child)
		return err_set(err, errlen, "%s: expected an object of name: value, at least one",
			       WORKER_PROTO_ADJUST);
	cJSON_ArrayForEach(item, obj) {
		const struct hparam *h = hparam_find(hparams, n_hparams, item->string);
		for (const cJSON *p = obj->child; p != item; p = p->next)
			if (strcmp(p->string, item->string) == 0)
				return err_set(err, errlen, "%s: given twice", item->string);
		if (!h)
			return err_set(err, errlen, "%s: unknown hyperparameter", item->string);
		if (task->allowed(task->ctx, item->string, err, errlen) < 0)
			return -1;
		if (hparam_check(h, item, msg, sizeof msg) < 0)
			return err_set(err, errlen, "%s: %s", item->string, msg);
	}
	return 0;
}

/* Writes the checked changes into the task's cfg; returns {name: [old, new]}. */
static cJSON *make_changes(const struct control_task *task, const cJSON *obj)
{
	cJSON *changes = cJSON_CreateObject();
	const cJSON *item;

	cJSON_ArrayForEach(item, obj) {
		const struct hparam *h = hparam_find(hparams, n_hparams, item->string);
		cJSON *old = current(task->cfg, h);

		changes_add(changes, item->string, old, item);
		cJSON_Delete(old);
		put(task->cfg, item->string, item);
	}
	task->apply(task->ctx, task->cfg);
	return changes;
}

/* The id of a control line: a positive integer, else 0. */
static double line_id(const cJSON *line)
{
	const cJSON *id = cJSON_GetObjectItemCaseSensitive(line, WORKER_PROTO_ID);
	double v = cJSON_IsNumber(id) ? id->valuedouble : 0.0;

	return v >= 1 && v <= 9007199254740991.0 && v == (double)(long long)v ? v : 0.0;
}

struct poll_ctx {
	const struct control_task *task;
	struct report_log *log; /* where "adjusted" answers are kept too */
	int epoch;
	long step;
	int applied;
};

/* Answers one control line. */
static void on_line(void *arg, const char *text, size_t n)
{
	struct poll_ctx *p = arg;
	cJSON *line, *ev;
	char err[ERRBUF_LEN] = "";
	double id;

	while (n > 0 && (text[n - 1] == '\r' || text[n - 1] == ' '))
		n--;
	if (n == 0)
		return; /* a blank line */
	line = cJSON_ParseWithLength(text, n);
	id = line_id(line);
	ev = cJSON_CreateObject();
	if (!cJSON_IsObject(line))
		err_set(err, sizeof err, "control line: expected a JSON object");
	else if (id == 0.0)
		err_set(err, sizeof err, "%s: expected a positive integer", WORKER_PROTO_ID);
	else
		check_changes(p->task, cJSON_GetObjectItemCaseSensitive(line, WORKER_PROTO_ADJUST),
			      err, sizeof err);
	cJSON_AddStringToObject(ev, WORKER_PROTO_EVENT,
				err[0] ? WORKER_PROTO_ADJUST_REFUSED : WORKER_PROTO_ADJUSTED);
	if (id > 0.0)
		cJSON_AddNumberToObject(ev, WORKER_PROTO_ID, id);
	if (err[0]) {
		cJSON_AddStringToObject(ev, WORKER_PROTO_ERROR, err);
	} else {
		cJSON *changes = make_changes(p->task,
			cJSON_GetObjectItemCaseSensitive(line, WORKER_PROTO_ADJUST));
		cJSON_AddNumberToObject(ev, WORKER_PROTO_EPOCH, p->epoch);
		cJSON_AddNumberToObject(ev, WORKER_PROTO_STEP, (double)p->step);
		cJSON_AddItemToObject(ev, WORKER_PROTO_CHANGES, changes);
		p->applied++;
	}
	report_emit_logged(err[0] ? NULL : p->log, ev);
	cJSON_Delete(line);
}

/* A line over WORKER_PROTO_MAX_LINE (linebuf hands it out as NULL). */
static void on_any(void *arg, const char *text, size_t n)
{
	if (!text) {
		cJSON *ev = cJSON_CreateObject();
		char err[ERRBUF_LEN];

		err_set(err, sizeof err, "control line: longer than %u bytes, dropped",
			WORKER_PROTO_MAX_LINE);
		cJSON_AddStringToObject(ev, WORKER_PROTO_EVENT, WORKER_PROTO_ADJUST_REFUSED);
		cJSON_AddStringToObject(ev, WORKER_PROTO_ERROR, err);
		report_emit(ev);
		return;
	}
	on_line(arg, text, n);
}

int control_poll(struct control *c, const struct control_task *task, struct report_log *log,
		 int epoch, long step)
{
	struct poll_ctx p = {task, log, epoch, step, 0};
	struct pollfd pfd;
	char buf[4096];
	double now;
	ssize_t got;

	if (!c || c->fd < 0)
		return 0;
	now = now_seconds();
	if (now < c->next_poll)
		return 0;
	c->next_poll = now + WORKER_PROTO_CONTROL_MS * 1e-3;
	if (c->rest) {
		linebuf_feed(&c->lb, c->rest, c->n_rest, on_any, &p);
		free(c->rest);
		c->rest = NULL;
	}
	pfd.fd = c->fd;
	pfd.events = POLLIN;
	while (c->fd >= 0 && poll(&pfd, 1, 0) > 0) {
		got = read(c->fd, buf, sizeof buf);
		if (got < 0 && (errno == EINTR || errno == EAGAIN))
			break;
		if (got <= 0) {
			linebuf_eof(&c->lb, on_any, &p);
			c->fd = -1; /* caviard gone, or no control lines: train on */
			break;
		}
		linebuf_feed(&c->lb, buf, (size_t)got, on_any, &p);
	}
	return p.applied;
}

char *control_values_save(const struct control_task *task)
{
	cJSON *obj = cJSON_CreateObject();
	char *text;

	for (size_t i = 0; i < n_hparams; i++) {
		const struct hparam *h = &hparams[i];
		if (task->allowed(task->ctx, h->name, NULL, 0) == 0)
			cJSON_AddItemToObject(obj, h->name, current(task->cfg, h));
	}
	text = cJSON_PrintUnformatted(obj);
	cJSON_Delete(obj);
	return text;
}

int control_values_load(const struct control_task *task, const char *text, char *err,
			size_t errlen)
{
	cJSON *obj = cJSON_Parse(text);
	int rc = 0;

	if (!cJSON_IsObject(obj))
		rc = err_set(err, errlen, "values: not a JSON object");
	else if (obj->child && check_changes(task, obj, err, errlen) < 0)
		rc = err_prefix(err, errlen, "values");
	if (rc == 0) {
		const cJSON *item;
		cJSON_ArrayForEach(item, obj)
			put(task->cfg, item->string, item);
		task->apply(task->ctx, task->cfg);
	}
	cJSON_Delete(obj);
	return rc;
}
