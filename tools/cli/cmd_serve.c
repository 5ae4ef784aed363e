/* cmd_serve: `caviar serve`, the live web dashboard. A process of its own
 * beside caviard (which stays the only writer): it reads the database
 * read-only, subscribes to the daemon's event stream and relays each event to
 * the pages as a Server-Sent Event, and sends the pages' actions to the
 * daemon as the CLI does. This file is the hub that wires the modules of
 * serve/: httpd (HTTP on the loop) and web (the routes); neither knows the
 * other nor the daemon's socket. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <uv.h>

#include "cli.h"
#include "client.h"
#include "errbuf.h"
#include "proto.h"
#include "httpd.h"
#include "linebuf.h"
#include "cli_store.h"
#include "web.h"
#include "xalloc.h"

#define RETRY_MS 2000        /* between attempts to subscribe while no daemon answers */
#define EVENT_LINE_MAX (1 << 20)

struct serve_opts {
	const struct cli *cli;
	const char *db, *host;
	int port;
	int no_token;
};

struct server {
	struct cli *cli;
	uv_loop_t loop;
	struct store st;
	struct web web;
	struct httpd http;
	char token[WEB_TOKEN_LEN + 1];
	char token_path[4096];      /* "" when none was written */
	char cookie[32];
	struct client sub;          /* subscribed to every sweep's events */
	uv_poll_t sub_poll;
	int sub_state;              /* 0 none, 1 waiting for the reply, 2 subscribed */
	struct linebuf lines;
	uv_timer_t retry;
	uv_signal_t sigint, sigterm;
	int stopping;
};

static int serve_opt(void *ctx, int c, const char *arg)
{
	struct serve_opts *o = ctx;
	char *end;
	long v;

	if (c == 'd') {
		o->db = arg;
	} else if (c == 'h') {
		o->host = arg;
	} else if (c == 'n') {
		o->no_token = 1;
	} else if (c == 'p') {
		v = strtol(arg, &end, 10);
		if (*end || end == arg || v < 0 || v > 65535)
			return cli_usage(o->cli, "option --port: expected 0 to 65535, got '%s'",
					 arg);
		o->port = (int)v;
	}
	return 0;
}

/* 127.0.0.0/8, ::1 and localhost: reachable from this machine only. */
static int is_loopback(const char *host)
{
	return strncmp(host, "127.", 4) == 0 || strcmp(host, "::1") == 0 ||
	       strcmp(host, "localhost") == 0;
}

/* A fresh random token, and the file beside the socket that keeps it (0600). */
static int make_token(struct server *s, int port)
{
	unsigned char raw[WEB_TOKEN_LEN / 2];
	char *sock = xstrdup(s->cli->socket), *dir = dirname(sock);
	int fd, rc;

	if (getrandom(raw, sizeof raw, 0) != (ssize_t)sizeof raw) {
		free(sock);
		return cli_fail(s->cli, EXIT_FAILED, "getrandom: %s", strerror(errno));
	}
	for (size_t i = 0; i < sizeof raw; i++)
		snprintf(s->token + 2 * i, 3, "%02x", raw[i]);
	snprintf(s->token_path, sizeof s->token_path, "%s/serve-%d.token", dir, port);
	free(sock);
	fd = open(s->token_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	rc = fd < 0 || fchmod(fd, 0600) < 0 ||
	     write(fd, s->token, WEB_TOKEN_LEN) != WEB_TOKEN_LEN || write(fd, "\n", 1) != 1;
	if (fd >= 0)
		close(fd);
	if (rc) {
		rc = cli_fail(s->cli, EXIT_FAILED, "%s: %s", s->token_path, strerror(errno));
		s->token_path[0] = '\0';
		return rc;
	}
	return 0;
}

/* The web module's way to the daemon: one request, as the CLI sends it. */
static cJSON *daemon_call(void *ctx, cJSON *req, char *err, size_t errlen)
{
	struct server *s = ctx;

	return client_request(s->cli->socket, req, err, errlen);
}

/* One action sent to the daemon from libuv's thread pool (call_async). */
struct call_job {
	uv_work_t work;
	const char *socket;
	cJSON *req, *reply;
	char err[ERRBUF_LEN];
	void (*done)(void *arg, cJSON *reply, const char *err);
	void *arg;
};

static void call_work(uv_work_t *w)
{
	struct call_job *j = w->data;

	j->reply = client_request(j->socket, j->req, j->err, sizeof j->err);
}

static void call_done(uv_work_t *w, int status)
{
	struct call_job *j = w->data;

	if (status == UV_ECANCELED)
		snprintf(j->err, sizeof j->err, "caviar serve is stopping");
	j->done(j->arg, j->reply, j->err);
	cJSON_Delete(j->req);
	free(j);
}

/* The web module's way to the daemon for actions: off the loop, so a long
 * wait (an adjust waits for the trial's answer) holds no other page. */
static void daemon_call_async(void *ctx, cJSON *req,
			      void (*done)(void *arg, cJSON *reply, const char *err), void *arg)
{
	struct server *s = ctx;
	struct call_job *j = xcalloc(1, sizeof *j);

	*j = (struct call_job){.socket = s->cli->socket, .req = req, .done = done, .arg = arg};
	j->work.data = j;
	if (uv_queue_work(&s->loop, &j->work, call_work, call_done) < 0) {
		snprintf(j->err, sizeof j->err, "caviar serve cannot reach the daemon now");
		call_done(&j->work, 0);
	}
}

static void broadcast_line(struct server *s, const char *line, size_t len)
{
	size_t n = len + 8;
	char *msg = xmalloc(n + 1);

	memcpy(msg, "data: ", 6);
	memcpy(msg + 6, line, len);
	memcpy(msg + 6 + len, "\n\n", 2);
	httpd_broadcast(&s->http, msg, n);
	free(msg);
}

/* Tells the pages whether live events flow (a daemon answers) or not. */
static void broadcast_daemon(struct server *s, int connected)
{
	const char *line = connected ? "{\"event\": \"daemon\", \"connected\": true}"
				     : "{\"event\": \"daemon\", \"connected\": false}";

	s->web.live = connected;
	broadcast_line(s, line, strlen(line));
}

static void subscribe(struct server *s);

static void on_retry(uv_timer_t *t)
{
	subscribe(t->data);
}

static void on_sub_closed(uv_handle_t *h)
{
	struct server *s = h->data;

	client_close(&s->sub);
	linebuf_finish(&s->lines);
	if (!s->stopping)
		uv_timer_start(&s->retry, on_retry, RETRY_MS, 0);
}

/* The daemon went away (or refused): drop the stream and try again later. */
static void unsubscribe(struct server *s)
{
	if (s->sub_state == 0)
		return;
	if (s->sub_state == 2 && !s->stopping)
		broadcast_daemon(s, 0);
	s->sub_state = 0;
	uv_close((uv_handle_t *)&s->sub_poll, on_sub_closed);
}

static void on_event_line(void *ctx, const char *line, size_t len)
{
	struct server *s = ctx;
	cJSON *reply;

	if (!line || s->sub_state == 0)
		return; /* an over-long line (dropped), or after the stream was dropped */
	if (s->sub_state == 2) {
		broadcast_line(s, line, len);
		return;
	}
	reply = cJSON_ParseWithLength(line, len);
	if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(reply, "ok"))) {
		s->sub_state = 2;
		broadcast_daemon(s, 1);
	} else {
		fprintf(stderr, "caviar: serve: caviard refused to stream events: %.*s\n", (int)len,
			line);
		unsubscribe(s);
	}
	cJSON_Delete(reply);
}

static void on_sub_readable(uv_poll_t *p, int status, int events)
{
	struct server *s = p->data;
	char buf[65536];
	ssize_t n = status < 0 ? -1 : recv(s->sub.fd, buf, sizeof buf, 0);

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		unsubscribe(s);
		return;
	}
	linebuf_feed(&s->lines, buf, (size_t)n, on_event_line, s);
}

/* Subscribes to every sweep's events; without a daemon, tries again in
 * RETRY_MS (the pages keep working from the database meanwhile). */
static void subscribe(struct server *s)
{
	char err[ERRBUF_LEN];
	cJSON *req;
	int rc;

	if (client_open(&s->sub, s->cli->socket, err, sizeof err) < 0) {
		client_close(&s->sub);
		uv_timer_start(&s->retry, on_retry, RETRY_MS, 0);
		return;
	}
	req = proto_request(PROTO_SUBSCRIBE);
	rc = client_send(&s->sub, req, err, sizeof err);
	cJSON_Delete(req);
	if (rc < 0) {
		client_close(&s->sub);
		uv_timer_start(&s->retry, on_retry, RETRY_MS, 0);
		return;
	}
	linebuf_init(&s->lines, EVENT_LINE_MAX);
	uv_poll_init(&s->loop, &s->sub_poll, s->sub.fd);
	s->sub_poll.data = s;
	uv_poll_start(&s->sub_poll, UV_READABLE, on_sub_readable);
	s->sub_state = 1;
}

static void on_signal(uv_signal_t *sig, int signum)
{
	struct server *s = sig->data;

	if (s->stopping)
		return;
	s->stopping = 1;
	unsubscribe(s);
	uv_timer_stop(&s->retry);
	uv_close((uv_handle_t *)&s->retry, NULL);
	uv_close((uv_handle_t *)&s->sigint, NULL);
	uv_close((uv_handle_t *)&s->sigterm, NULL);
	httpd_close(&s->http);
}

static void print_url(struct server *s, const char *host, int port)
{
	int v6 = strchr(host, ':') != NULL;

	if (s->token_path[0])
		printf("caviar: serve: the dashboard is at http://%s%s%s:%d/?token=%s\n"
		       "caviar: serve: (the token is also in %s)\n",
		       v6 ? "[" : "", host, v6 ? "]" : "", port, s->token, s->token_path);
	else
		printf("caviar: serve: the dashboard is at http://%s%s%s:%d/\n", v6 ? "[" : "",
		       host, v6 ? "]" : "", port);
	fflush(stdout);
}

/* Listens, writes the token, wires web to httpd and the daemon, and runs
 * until SIGINT or SIGTERM. */
static int serve(struct server *s, const struct serve_opts *o)
{
	char err[ERRBUF_LEN];
	int port, code;

	snprintf(s->cookie, sizeof s->cookie, "caviar_token_%d", o->port);
	s->web = (struct web){.cookie = s->cookie, .st = &s->st, .q = &s->st.query,
			      .host = {.ctx = s, .call = daemon_call,
				       .call_async = daemon_call_async},
			      .loopback = is_loopback(o->host)};
	if (httpd_start(&s->http, &s->loop, o->host, o->port, s->cookie, web_handle, &s->web,
			err, sizeof err) < 0)
		return cli_fail(s->cli, EXIT_FAILED, "%s", err);
	port = httpd_port(&s->http);
	if (port != o->port) { /* --port 0: the cookie names the port chosen */
		snprintf(s->cookie, sizeof s->cookie, "caviar_token_%d", port);
		snprintf(s->http.cookie, sizeof s->http.cookie, "%s", s->cookie);
	}
	if (!o->no_token) {
		if ((code = make_token(s, port)) != 0) {
			httpd_close(&s->http);
			uv_run(&s->loop, UV_RUN_DEFAULT);
			return code;
		}
		s->web.token = s->token;
	}
	uv_timer_init(&s->loop, &s->retry);
	uv_signal_init(&s->loop, &s->sigint);
	uv_signal_init(&s->loop, &s->sigterm);
	s->retry.data = s->sigint.data = s->sigterm.data = s;
	uv_signal_start(&s->sigint, on_signal, SIGINT);
	uv_signal_start(&s->sigterm, on_signal, SIGTERM);
	subscribe(s);
	print_url(s, o->host, port);
	uv_run(&s->loop, UV_RUN_DEFAULT);
	return EXIT_OK;
}

static int run_serve(struct cli *cli, int argc, char **argv)
{
	struct serve_opts o = {.cli = cli, .host = "127.0.0.1", .port = 8080};
	struct server *s;
	int args, code;

	if ((code = cli_options(cli, &cmd_serve, argc, argv, serve_opt, &o, &args)) ||
	    (code = cli_operands(cli, argc - args, 0, 0)))
		return code;
	if (o.no_token && !is_loopback(o.host))
		return cli_usage(cli, "--host %s is reachable from other machines: it needs the "
				 "token (drop --no-token)", o.host);
	s = xcalloc(1, sizeof *s);
	s->cli = cli;
	if ((code = store_open_cli(&s->st, cli, o.db)) != 0) {
		free(s);
		return code;
	}
	uv_loop_init(&s->loop);
	code = serve(s, &o);
	if (s->token_path[0])
		unlink(s->token_path);
	if (uv_loop_close(&s->loop) != 0)
		fprintf(stderr, "caviar: serve: handles left open at exit\n");
	store_close(&s->st);
	free(s);
	return code;
}

static const struct cli_option serve_options[] = {
	{0, "port", 'p', "PORT", "The port to listen on (default 8080; 0: a free one)."},
	{0, "host", 'h', "HOST", "The address to listen on (default 127.0.0.1)."},
	{0, "db", 'd', "FILE", "Read that database (else the daemon's)."},
	{0, "no-token", 'n', NULL, "Serve without a token (only on a loopback --host)."},
	{0, NULL, 0, NULL, NULL},
};

const struct command cmd_serve = {
	"serve", "[--port 8080] [--host 127.0.0.1] [--db FILE] [--no-token]",
	"Serves a live web dashboard of the sweeps.\n"
	"Pages for every sweep (curves updating live, optimization history, leaderboard,\n"
	"slice and contour of the parameters, parallel coordinates), each trial (its curves,\n"
	"log, adjustments, lineage) and a comparison of sweeps; cancel, pause, resume, slots,\n"
	"adjust, fork and notes from the page. Prints the URL to open, with a token that every\n"
	"request needs (kept 0600 beside the socket; --no-token only on a loopback --host).\n"
	"Reads the database (--db FILE, else the daemon's) and takes live events from the\n"
	"daemon; runs until Ctrl-C.",
	run_serve,
	serve_options,
};
