/* web: the dashboard's routes, its token and origin checks (see web.h). */
#include "web.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "assets.h"
#include "errbuf.h"
#include "importance.h"
#include "lineage.h"
#include "proto.h"
#include "spec.h"
#include "xalloc.h"

#define JSON_TYPE "application/json"
/* What a new event stream is told first: whether events flow now. */
#define WEB_LIVE_EVENT(b) "data: {\"event\": \"daemon\", \"connected\": " #b "}\n\n"

/* Compares in time that does not depend on where they differ. */
static int token_equal(const char *a, const char *b)
{
	size_t n = strlen(b);
	unsigned char d = 0;

	if (!a || strlen(a) != n)
		return 0;
	for (size_t i = 0; i < n; i++)
		d |= (unsigned char)(a[i] ^ b[i]);
	return d == 0;
}

static void reply_text(struct httpd_reply *out, int status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void reply_text(struct httpd_reply *out, int status, const char *fmt, ...)
{
	char msg[ERRBUF_LEN];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	out->status = status;
	out->type = "text/plain; charset=utf-8";
	out->body = xstrdup(msg);
	out->len = strlen(msg);
	out->owned = 1;
}

/* Takes obj (deleted) as the JSON body. */
static void reply_json(struct httpd_reply *out, int status, cJSON *obj)
{
	char *text = cJSON_PrintUnformatted(obj);

	cJSON_Delete(obj);
	if (!text) {
		reply_text(out, 500, "the reply cannot be written as JSON");
		return;
	}
	out->status = status;
	out->type = JSON_TYPE;
	out->body = text;
	out->len = strlen(text);
	out->owned = 1;
}

static void reply_error(struct httpd_reply *out, int status, const char *msg)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddStringToObject(o, "error", msg);
	reply_json(out, status, o);
}

/* "/api/sweep/12/points" with prefix "/api/sweep/": id 12, *rest "/points".
 * Returns 0, or -1 when the path does not start with prefix and digits. */
static int path_id(const char *path, const char *prefix, long long *id, const char **rest)
{
	size_t n = strlen(prefix);
	const char *p = path + n;
	long long v = 0;
	int digits = 0;

	if (strncmp(path, prefix, n) != 0)
		return -1;
	for (; *p >= '0' && *p <= '9' && digits < 15; p++, digits++)
		v = v * 10 + (*p - '0');
	if (digits == 0 || v < 1 || (*p && *p != '/'))
		return -1;
	*id = v;
	*rest = p;
	return 0;
}

/* Adds a query's rows to o under key; -1 with err when it failed. */
static int add_rows(struct web *w, cJSON *o, const char *key, enum query_id id, long long arg,
		    char *err, size_t errlen)
{
	cJSON *rows = query_run(w->q, err, errlen, id, "i", arg);

	if (!rows)
		return -1;
	cJSON_AddItemToObject(o, key, rows);
	return 0;
}

/* Flattens the metric rows [{"metric": "x"}, ...] into ["x", ...]. */
static cJSON *metric_names(cJSON *rows)
{
	cJSON *names = cJSON_CreateArray(), *r;

	cJSON_ArrayForEach(r, rows) {
		const char *m = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(r, "metric"));

		cJSON_AddItemToArray(names, cJSON_CreateString(m ? m : ""));
	}
	cJSON_Delete(rows);
	return names;
}

/* Each parameter of the spec (the sweep's, as recorded) as the page draws its
 * axis: {"name", "kind"} (spec_kind_name's: "log", "choice", "fixed", ...)
 * with "range": [lo, hi] for a numeric kind, "values" for a choice and
 * "value" for a fixed one; in the spec's order. A spec that no longer parses
 * (written by another version) gives none: the page then scales by the
 * values it sees. */
static cJSON *param_kinds(const cJSON *spec_json)
{
	char err[ERRBUF_LEN];
	struct spec spec = {0};
	cJSON *out = cJSON_CreateArray();

	if (spec_parse(&spec, spec_json, err, sizeof err) < 0)
		return out;
	for (int i = 0; i < spec.n_params; i++) {
		const struct spec_param *p = &spec.params[i];
		cJSON *row = cJSON_CreateObject(), *range;

		cJSON_AddStringToObject(row, "name", p->name);
		cJSON_AddStringToObject(row, "kind", spec_kind_name(p->kind));
		if (p->kind == PARAM_CHOICE) {
			cJSON_AddItemToObject(row, "values", cJSON_Duplicate(p->values, 1));
		} else if (p->kind == PARAM_FIXED) {
			cJSON_AddItemToObject(row, "value", cJSON_Duplicate(p->values, 1));
		} else {
			range = cJSON_AddArrayToObject(row, "range");
			cJSON_AddItemToArray(range, cJSON_CreateNumber(p->lo));
			cJSON_AddItemToArray(range, cJSON_CreateNumber(p->hi));
		}
		cJSON_AddItemToArray(out, row);
	}
	spec_finish(&spec);
	return out;
}

/* GET /api/sweep/ID: the sweep's row with its spec (and "params", each
 * parameter's kind: param_kinds), every trial, its rounds, its goals
 * (QUERY_GOALS: none for one objective without a constraint) and the
 * metrics its trials reported. */
static void get_sweep(struct web *w, long long id, struct httpd_reply *out)
{
	char err[ERRBUF_LEN];
	cJSON *o = cJSON_CreateObject(), *rows;

	rows = query_run(w->q, err, sizeof err, QUERY_SWEEP, "i", id);
	if (rows && !rows->child) {
		cJSON_Delete(rows);
		cJSON_Delete(o);
		snprintf(err, sizeof err, "no sweep %lld", id);
		reply_error(out, 404, err);
		return;
	}
	if (rows) {
		cJSON *sweep = cJSON_DetachItemViaPointer(rows, rows->child);

		cJSON_AddItemToObject(o, "sweep", sweep);
		cJSON_AddItemToObject(o, "params",
				      param_kinds(cJSON_GetObjectItemCaseSensitive(sweep, "spec")));
	}
	cJSON_Delete(rows);
	if (!rows || add_rows(w, o, "trials", QUERY_TRIALS, id, err, sizeof err) < 0 ||
	    add_rows(w, o, "rounds", QUERY_ROUNDS, id, err, sizeof err) < 0 ||
	    add_rows(w, o, "goals", QUERY_GOALS, id, err, sizeof err) < 0 ||
	    !(rows = query_run(w->q, err, sizeof err, QUERY_SWEEP_METRICS, "i", id))) {
		cJSON_Delete(o);
		reply_error(out, 500, err);
		return;
	}
	cJSON_AddItemToObject(o, "metrics", metric_names(rows));
	reply_json(out, 200, o);
}

static void get_points(struct web *w, long long id, const char *metric,
		       struct httpd_reply *out);

/* GET /api/sweep/ID/points without ?metric: its objective's (the page asks
 * for them at once, beside the sweep's row). */
static void points_of_objective(struct web *w, long long id, struct httpd_reply *out)
{
	char err[ERRBUF_LEN];
	cJSON *rows = query_run(w->q, err, sizeof err, QUERY_SWEEP_BRIEF, "i", id);
	const cJSON *m = rows ? cJSON_GetObjectItemCaseSensitive(rows->child, "metric") : NULL;
	const char *metric = cJSON_GetStringValue(m);

	if (!rows)
		reply_error(out, 500, err);
	else if (!metric)
		reply_error(out, 404, "no such sweep");
	else
		get_points(w, id, metric, out);
	cJSON_Delete(rows);
}

/* GET /api/sweep/ID/points?metric=M: every trial's curve of M as
 * little-endian doubles, three per point: trial id, epoch, value (the last
 * step of each epoch), by trial and epoch. Binary because a sweep may hold a
 * million points: the page reads it into a Float64Array as it is. (The
 * machines caviar runs on are little-endian, as are the browsers'.) */
static void get_points(struct web *w, long long id, const char *metric,
		       struct httpd_reply *out)
{
	char err[ERRBUF_LEN];
	sqlite3_stmt *st;
	double *v = NULL;
	size_t n = 0, cap = 0;
	int rc;

	if (!metric || !*metric) {
		points_of_objective(w, id, out);
		return;
	}
	if (!(st = query_start(w->q, err, sizeof err, QUERY_METRIC_POINTS, "is", id, metric))) {
		reply_error(out, 500, err);
		return;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		double t = (double)sqlite3_column_int64(st, 0), e = sqlite3_column_int(st, 1);

		if (n && v[n - 3] == t && v[n - 2] == e) { /* a later step of the same epoch */
			v[n - 1] = sqlite3_column_double(st, 2);
			continue;
		}
		if (n + 3 > cap) {
			cap = cap ? 2 * cap : 3 * 4096;
			v = xrealloc(v, cap * sizeof *v);
		}
		v[n++] = t;
		v[n++] = e;
		v[n++] = sqlite3_column_double(st, 2);
	}
	if (rc != SQLITE_DONE)
		snprintf(err, sizeof err, "%s", sqlite3_errmsg(sqlite3_db_handle(st)));
	query_end(w->q, QUERY_METRIC_POINTS);
	if (rc != SQLITE_DONE) {
		free(v);
		reply_error(out, 500, err);
		return;
	}
	out->status = 200;
	out->type = "application/octet-stream";
	out->body = (char *)v;
	out->len = n * sizeof *v;
	out->owned = 1;
}

/* GET /api/trial/ID: its row, every point, its log, its adjustments and the
 * trials forked from it. */
static void get_trial(struct web *w, long long id, struct httpd_reply *out)
{
	char err[ERRBUF_LEN];
	cJSON *o = cJSON_CreateObject(), *rows = query_run(w->q, err, sizeof err, QUERY_TRIAL,
							   "i", id);

	if (rows && !rows->child) {
		cJSON_Delete(rows);
		cJSON_Delete(o);
		snprintf(err, sizeof err, "no trial %lld", id);
		reply_error(out, 404, err);
		return;
	}
	if (rows)
		cJSON_AddItemToObject(o, "trial", cJSON_DetachItemViaPointer(rows, rows->child));
	cJSON_Delete(rows);
	if (!rows || add_rows(w, o, "points", QUERY_TRIAL_POINTS, id, err, sizeof err) < 0 ||
	    add_rows(w, o, "log", QUERY_TRIAL_LOG, id, err, sizeof err) < 0 ||
	    add_rows(w, o, "adjustments", QUERY_ADJUSTMENTS, id, err, sizeof err) < 0 ||
	    add_rows(w, o, "children", QUERY_CHILDREN, id, err, sizeof err) < 0) {
		cJSON_Delete(o);
		reply_error(out, 500, err);
		return;
	}
	reply_json(out, 200, o);
}

/* GET /api/trial/ID/lineage: its ancestors and hyperparameter schedule, as
 * `caviar lineage` reads them (tools/read/lineage.h). */
static void get_lineage(struct web *w, long long id, struct httpd_reply *out)
{
	char err[ERRBUF_LEN];
	cJSON *o = lineage_load(w->st, id, err, sizeof err);

	if (!o) {
		reply_error(out, strncmp(err, "no trial ", 9) == 0 ? 404 : 500, err);
		return;
	}
	reply_json(out, 200, o);
}

#define IMPORTANCE_TREES 32 /* half of `caviar importance`'s: the page asks often */

/* GET /api/sweep/ID/importance[?metric=M]: `caviar importance --json
 * [--objective M]`'s object (importance_to_json; without interactions, over
 * fewer trees). A sweep with too few finished trials, or without objective
 * M, is not a bad request: the reply then has no params and says why in
 * "note". */
static void get_importance(struct web *w, long long id, const char *objective,
			   struct httpd_reply *out)
{
	struct importance_opts o = {.trees = IMPORTANCE_TREES, .objective = objective};
	struct importance im;
	char err[ERRBUF_LEN];
	cJSON *reply;

	memset(&im, 0, sizeof im);
	if (importance_load(&im, w->st, id, &o, err, sizeof err) < 0) {
		reply = cJSON_CreateObject();
		cJSON_AddArrayToObject(reply, "params");
		cJSON_AddStringToObject(reply, "note", err);
	} else {
		reply = importance_to_json(&im, id, &o);
	}
	importance_finish(&im);
	reply_json(out, 200, reply);
}

/* GET /api/sweep/ID/pareto: `caviar top --pareto --json`'s object
 * (query_pareto_ranks: "sweep", "goals" and "trials") with every ranked
 * trial, the front (rank 0) first, for the page's Pareto panel. A sweep with
 * one objective and no constraint is not a bad request: its goals and
 * trials are empty, and "note" says why. */
static void get_pareto(struct web *w, long long id, struct httpd_reply *out)
{
	char err[ERRBUF_LEN];
	cJSON *o = cJSON_CreateObject();
	const cJSON *goals;

	if (query_pareto_ranks(w->q, id, -1, o, err, sizeof err) == 0) {
		reply_json(out, 200, o);
		return;
	}
	goals = cJSON_GetObjectItemCaseSensitive(o, "goals");
	if (cJSON_IsArray(goals) && !goals->child) {
		cJSON_AddArrayToObject(o, "trials");
		cJSON_AddStringToObject(o, "note", err);
		reply_json(out, 200, o);
		return;
	}
	cJSON_Delete(o);
	reply_error(out, strncmp(err, "no sweep ", 9) == 0 ? 404 : 500, err);
}

static void get_sweeps(struct web *w, struct httpd_reply *out)
{
	char err[ERRBUF_LEN];
	cJSON *rows = query_ls(w->q, err, sizeof err), *o;

	if (!rows) {
		reply_error(out, 500, err);
		return;
	}
	o = cJSON_CreateObject();
	cJSON_AddItemToObject(o, "sweeps", rows);
	reply_json(out, 200, o);
}

/* Sends req (deleted) to the daemon and answers with its reply: 200 when it
 * agreed, 409 when it refused (its message), 503 without a daemon. */
/* The reply to an action: the daemon's (409 when it refused), or 503. */
static void action_reply(cJSON *reply, const char *err, struct httpd_reply *out)
{
	if (!reply) {
		reply_error(out, 503, err);
		return;
	}
	reply_json(out, cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(reply, "ok")) ? 200 : 409,
		   reply);
}

static void forwarded(void *arg, cJSON *reply, const char *err)
{
	struct httpd_reply out = {0};

	action_reply(reply, err, &out);
	httpd_complete(arg, &out);
}

/* Sends req (taken) to the daemon; the reply is the daemon's. Off the loop
 * when the host can: an adjust's answer may take long, and the other pages
 * must not wait for it. */
static void forward(struct web *w, cJSON *req, const struct httpd_request *rq,
		    struct httpd_reply *out)
{
	char err[ERRBUF_LEN];
	cJSON *reply;

	if (w->host.call_async) {
		w->host.call_async(w->host.ctx, req, forwarded, httpd_defer(rq));
		return;
	}
	reply = w->host.call(w->host.ctx, req, err, sizeof err);
	cJSON_Delete(req);
	action_reply(reply, err, out);
}

/* GET /api/status: the daemon's status; without a daemon, {"ok": false,
 * "error": ...} (a page asks it to learn whether actions are possible). */
static void get_status(struct web *w, struct httpd_reply *out)
{
	char err[ERRBUF_LEN];
	cJSON *req = proto_request(PROTO_STATUS), *reply;

	reply = w->host.call(w->host.ctx, req, err, sizeof err);
	cJSON_Delete(req);
	if (!reply) {
		reply = cJSON_CreateObject();
		cJSON_AddBoolToObject(reply, "ok", 0);
		cJSON_AddStringToObject(reply, "error", err);
	}
	reply_json(out, 200, reply);
}

static cJSON *request(enum proto_cmd cmd, const char *key, long long id)
{
	cJSON *req = proto_request(cmd);

	if (key)
		cJSON_AddNumberToObject(req, key, (double)id);
	return req;
}

/* POST /api/slots with {"n": N}. */
static void post_slots(struct web *w, const struct httpd_request *rq, struct httpd_reply *out)
{
	cJSON *body = cJSON_ParseWithLength(rq->body, rq->body_len);
	const cJSON *n = cJSON_GetObjectItemCaseSensitive(body, "n");

	if (!cJSON_IsNumber(n) || n->valuedouble < 1 || n->valuedouble > 100000 ||
	    n->valuedouble != (double)(long long)n->valuedouble) {
		cJSON_Delete(body);
		reply_error(out, 400, "slots: expected {\"n\": a whole number from 1 to 100000}");
		return;
	}
	forward(w, request(PROTO_SLOTS, "n", (long long)n->valuedouble), rq, out);
	cJSON_Delete(body);
}

/* The changes of an adjust or fork body ({"set": {name: value, ...}}): a
 * copy for the request, or NULL with err naming what is wrong. A missing set
 * is an empty one (a fork may have none). */
static cJSON *changes_of(const cJSON *body, const char *action, char *err, size_t errlen)
{
	const cJSON *set = cJSON_GetObjectItemCaseSensitive(body, "set"), *v;

	if (!cJSON_IsObject(body)) {
		err_set(err, errlen, "%s: expected a JSON object", action);
		return NULL;
	}
	if (!set)
		return cJSON_CreateObject();
	if (!cJSON_IsObject(set)) {
		err_set(err, errlen, "%s: set: expected an object of name: value", action);
		return NULL;
	}
	cJSON_ArrayForEach(v, set)
		if (!*v->string || !(cJSON_IsNumber(v) || cJSON_IsString(v) || cJSON_IsBool(v))) {
			err_set(err, errlen, "%s: set.%.64s: expected a number, a string or a "
				"boolean", action, v->string);
			return NULL;
		}
	return cJSON_Duplicate(set, 1);
}

/* POST /api/trial/ID/adjust with {"set": {"lr": 0.01, ...}}, and
 * /api/trial/ID/fork with {"epoch": K (optional), "set": {...} (optional)}:
 * the daemon's adjust and fork, as `caviar adjust` and `caviar fork` send
 * them. */
static void post_steer(struct web *w, const char *cmd, long long id,
		       const struct httpd_request *rq, struct httpd_reply *out)
{
	char err[ERRBUF_LEN];
	cJSON *body = cJSON_ParseWithLength(rq->body, rq->body_len), *set, *req;
	const cJSON *epoch = cJSON_GetObjectItemCaseSensitive(body, "epoch");
	int fork = strcmp(cmd, "fork") == 0;

	err[0] = '\0';
	set = changes_of(body, cmd, err, sizeof err);
	if (set && !fork && !set->child)
		err_set(err, sizeof err, "adjust: set: expected at least one name: value");
	else if (set && fork && epoch &&
		 (!cJSON_IsNumber(epoch) || epoch->valuedouble < 1 || epoch->valuedouble > 1e9 ||
		  epoch->valuedouble != (double)(long long)epoch->valuedouble))
		err_set(err, sizeof err, "fork: epoch: expected a whole number from 1");
	if (err[0]) {
		cJSON_Delete(body);
		cJSON_Delete(set);
		reply_error(out, 400, err);
		return;
	}
	req = request(fork ? PROTO_FORK : PROTO_ADJUST, "trial", id);
	if (fork && epoch)
		cJSON_AddNumberToObject(req, "epoch", epoch->valuedouble);
	cJSON_Delete(body);
	if (set->child)
		cJSON_AddItemToObject(req, "set", set);
	else
		cJSON_Delete(set);
	forward(w, req, rq, out);
}

/* POST /api/sweep/ID/note and /api/trial/ID/note with {"text": "..."}: the
 * daemon's note request, as `caviar note` sends it ("" clears the note; the
 * daemon refuses one over its length). key is "sweep" or "trial". */
static void post_note(struct web *w, const char *key, long long id,
		      const struct httpd_request *rq, struct httpd_reply *out)
{
	cJSON *body = cJSON_ParseWithLength(rq->body, rq->body_len), *req;
	const cJSON *text = cJSON_GetObjectItemCaseSensitive(body, "text");

	if (!cJSON_IsString(text)) {
		cJSON_Delete(body);
		reply_error(out, 400, "note: expected {\"text\": a string}");
		return;
	}
	req = request(PROTO_NOTE, key, id);
	cJSON_AddStringToObject(req, "text", text->valuestring);
	cJSON_Delete(body);
	forward(w, req, rq, out);
}

/* Whether the client's Origin (or, without one, Sec-Fetch-Site) says the
 * request comes from a page of this server (host is its Host header). */
static int same_origin(const char *origin, const char *host, const char *fetch_site)
{
	if (origin) {
		if (!host || strncmp(origin, "http://", 7) != 0)
			return 0;
		return strcmp(origin + 7, host) == 0;
	}
	return fetch_site && strcmp(fetch_site, "same-origin") == 0;
}

/* The actions: POST, same origin, a JSON body of at most HTTPD_BODY_MAX. */
static void post(struct web *w, const struct httpd_request *rq, struct httpd_reply *out)
{
	static const enum proto_cmd sweep_verbs[] = {PROTO_CANCEL, PROTO_PAUSE, PROTO_RESUME};
	const char *rest;
	long long id;

	if (!same_origin(rq->origin, rq->host, rq->fetch_site)) {
		reply_error(out, 403, "actions are taken only from the dashboard's own page");
		return;
	}
	if (rq->body_too_large) {
		reply_error(out, 413, "the request's body is too large");
		return;
	}
	if (!rq->content_type || strncmp(rq->content_type, JSON_TYPE, strlen(JSON_TYPE)) != 0) {
		reply_error(out, 415, "actions take a body of type " JSON_TYPE);
		return;
	}
	if (strcmp(rq->path, "/api/slots") == 0) {
		post_slots(w, rq, out);
		return;
	}
	if (path_id(rq->path, "/api/trial/", &id, &rest) == 0) {
		if (strcmp(rest, "/cancel") == 0) {
			forward(w, request(PROTO_CANCEL, "trial", id), rq, out);
			return;
		}
		if (strcmp(rest, "/adjust") == 0 || strcmp(rest, "/fork") == 0) {
			post_steer(w, rest + 1, id, rq, out);
			return;
		}
		if (strcmp(rest, "/note") == 0) {
			post_note(w, "trial", id, rq, out);
			return;
		}
	}
	if (path_id(rq->path, "/api/sweep/", &id, &rest) == 0 && strcmp(rest, "/note") == 0) {
		post_note(w, "sweep", id, rq, out);
		return;
	}
	if (path_id(rq->path, "/api/sweep/", &id, &rest) == 0 && rest[0] == '/')
		for (size_t i = 0; i < sizeof sweep_verbs / sizeof sweep_verbs[0]; i++)
			if (strcmp(rest + 1, proto_cmd_name(sweep_verbs[i])) == 0) {
				forward(w, request(sweep_verbs[i], "sweep", id), rq, out);
				return;
			}
	reply_error(out, 404, "no such action");
}

static void get_asset(const char *path, struct httpd_reply *out)
{
	const struct web_asset *a = web_asset_find(strcmp(path, "/") == 0 ? "/index.html" : path);

	if (!a) {
		reply_text(out, 404, "not found: %.200s", path);
		return;
	}
	out->status = 200;
	out->type = a->type;
	out->body = (char *)a->data;
	out->len = a->len;
	out->cache = strncmp(path, "/vendor/", 8) == 0;
}

static void get(struct web *w, const struct httpd_request *rq, struct httpd_reply *out)
{
	const char *rest;
	long long id;

	if (strcmp(rq->path, "/api/sweeps") == 0) {
		get_sweeps(w, out);
		return;
	}
	if (strcmp(rq->path, "/api/events") == 0) {
		out->status = 200;
		out->stream = 1;
		out->body = (char *)(w->live ? WEB_LIVE_EVENT(true) : WEB_LIVE_EVENT(false));
		out->len = strlen(out->body);
		return;
	}
	if (strcmp(rq->path, "/api/status") == 0) {
		get_status(w, out);
		return;
	}
	if (path_id(rq->path, "/api/sweep/", &id, &rest) == 0) {
		if (!*rest) {
			get_sweep(w, id, out);
			return;
		}
		if (strcmp(rest, "/points") == 0) {
			get_points(w, id, rq->arg_metric, out);
			return;
		}
		if (strcmp(rest, "/importance") == 0) {
			get_importance(w, id, rq->arg_metric, out);
			return;
		}
		if (strcmp(rest, "/pareto") == 0) {
			get_pareto(w, id, out);
			return;
		}
	} else if (path_id(rq->path, "/api/trial/", &id, &rest) == 0) {
		if (!*rest) {
			get_trial(w, id, out);
			return;
		}
		if (strcmp(rest, "/lineage") == 0) {
			get_lineage(w, id, out);
			return;
		}
	}
	if (strncmp(rq->path, "/api/", 5) == 0) {
		reply_error(out, 404, "no such API path");
		return;
	}
	get_asset(rq->path, out);
}

/* Whether the Host header names this machine's loopback. On a loopback
 * address that is what stops another site's page, its name rebound to
 * 127.0.0.1, from reading the API or taking actions as a page of this server:
 * without a token, the only check; with one, a second. */
static int host_loopback(const char *host)
{
	size_t n;

	if (!host)
		return 0;
	if (strncmp(host, "[::1]", 5) == 0)
		return host[5] == '\0' || host[5] == ':';
	n = strcspn(host, ":");
	return (n == 9 && strncmp(host, "localhost", 9) == 0) ||
	       (n >= 9 && strncmp(host, "127.", 4) == 0 && strspn(host, "0123456789.") == n);
}

/* The token: from ?token= on the URL opened (then kept in a cookie, and the
 * URL cleaned by a redirect), or the cookie. */
static int authorized(struct web *w, const struct httpd_request *rq, struct httpd_reply *out)
{
	char cookie[128 + WEB_TOKEN_LEN];

	if ((!w->token || w->loopback) && !host_loopback(rq->host)) {
		reply_text(out, 403, "caviar serve answers only to http://127.0.0.1 or localhost "
			   "(open the URL it printed): another name for this address is how a "
			   "DNS-rebinding page would reach it");
		return 0;
	}
	if (!w->token)
		return 1;
	if (token_equal(rq->cookie_token, w->token))
		return 1;
	if (!token_equal(rq->arg_token, w->token)) {
		reply_text(out, 401, "caviar serve: open the URL it printed (the one ending in "
			   "?token=...); the token is also in the file it named");
		return 0;
	}
	if (strcmp(rq->method, "GET") != 0 || strcmp(rq->path, "/") != 0)
		return 1; /* the token on an API URL (scripts, tests) */
	snprintf(cookie, sizeof cookie, "%s=%s; Path=/; HttpOnly; SameSite=Strict", w->cookie,
		 w->token);
	out->set_cookie = xstrdup(cookie);
	out->status = 303;
	out->location = "/";
	out->type = "text/plain";
	return 0;
}

/* Paths are names in a table, never files: anything odd is refused outright. */
static int path_ok(const char *path)
{
	if (path[0] != '/' || strstr(path, "..") || strstr(path, "//") || strchr(path, '\\'))
		return 0;
	for (const char *p = path; *p; p++)
		if ((unsigned char)*p < 0x20 || (unsigned char)*p >= 0x7f)
			return 0;
	return 1;
}

void web_handle(void *ctx, const struct httpd_request *rq, struct httpd_reply *out)
{
	struct web *w = ctx;

	memset(out, 0, sizeof *out);
	if (!path_ok(rq->path)) {
		reply_text(out, 400, "bad path");
		return;
	}
	if (!authorized(w, rq, out))
		return;
	if (strcmp(rq->method, "GET") == 0 || strcmp(rq->method, "HEAD") == 0) {
		get(w, rq, out);
		return;
	}
	if (strcmp(rq->method, "POST") == 0) {
		post(w, rq, out);
		return;
	}
	reply_text(out, 405, "method %.16s not allowed", rq->method);
}
