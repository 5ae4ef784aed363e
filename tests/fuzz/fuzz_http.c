/* fuzz_http: libFuzzer target for caviar serve's request handling, whole:
 * each input is written as a client's bytes to a fresh httpd (libmicrohttpd's
 * parser, then the web routes with their token and origin checks, the JSON
 * API on a small database, and the event stream) over a socketpair. Any
 * input gets an HTTP reply or a closed connection; nothing may crash, leak or
 * touch memory it should not (ASan, UBSan). The token is fixed so inputs can
 * reach past it (see corpus/http). */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "httpd.h"
#include "schema.h"
#include "web.h"
#include "xalloc.h"

#define TOKEN "0123456789abcdef0123456789abcdef"
#define INPUT_MAX 65536 /* fits the socket's buffer: written at once */

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct store st;
static struct web web;
static uv_loop_t loop;

/* The daemon, as the routes see it: agrees to everything. */
static cJSON *fake_call(void *ctx, cJSON *req, char *err, size_t errlen)
{
	cJSON *reply = cJSON_CreateObject();

	cJSON_AddBoolToObject(reply, "ok", 1);
	return reply;
}

static void exec_or_die(const char *sql)
{
	if (sqlite3_exec(st.db, sql, NULL, NULL, NULL) != SQLITE_OK) {
		fprintf(stderr, "fuzz_http: %s: %s\n", sql, sqlite3_errmsg(st.db));
		abort();
	}
}

/* A database at the current schema with one sweep, two trials and points. */
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	xalloc_cjson_hooks();
	if (sqlite3_open(":memory:", &st.db) != SQLITE_OK)
		abort();
	for (int v = 0; v < schema_version; v++)
		exec_or_die(schema_migrations[v]);
	exec_or_die("INSERT INTO sweeps (name, spec, search, seed, metric, mode, budget,"
		    " created_at) VALUES ('s', '{\"params\": {\"lr\": {\"log\": [0.001, 0.1]}}}', 'random', 1,"
		    " 'val_loss', 'min', 2, 1)");
	exec_or_die("INSERT INTO trials (sweep_id, number, params, seed, status, best_value)"
		    " VALUES (1, 0, '{\"lr\": 0.01}', 1, 'done', 0.5), (1, 1, '{\"lr\": 0.1}', 2,"
		    " 'running', NULL)");
	exec_or_die("INSERT INTO points VALUES (1, 'val_loss', 1, 10, 0.9, 1),"
		    " (1, 'val_loss', 2, 20, 0.5, 2), (2, 'val_loss', 1, 10, 1.5, 3)");
	exec_or_die("INSERT INTO logs (trial_id, attempt, seq, wall_time, line)"
		    " VALUES (1, 1, 1, 1, 'hello')");
	query_init(&st.query, st.db);
	web = (struct web){.token = TOKEN, .cookie = "caviar_token_1", .st = &st, .q = &st.query,
			   .host = {.call = fake_call}};
	uv_loop_init(&loop);
	return 0;
}

/* Reads what the server sent, keeping its first 16 bytes in first. */
static void drain(int fd, char *first, size_t *have)
{
	char buf[65536];
	ssize_t n;

	while ((n = read(fd, buf, sizeof buf)) > 0) {
		size_t room = 16 - *have;

		memcpy(first + *have, buf, (size_t)n < room ? (size_t)n : room);
		*have += (size_t)n < room ? (size_t)n : room;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct httpd h;
	char err[256], first[16];
	size_t have = 0;
	int sv[2];

	if (size > INPUT_MAX)
		return 0;
	if (httpd_start(&h, &loop, "127.0.0.1", -1, "caviar_token_1", web_handle, &web, err,
			sizeof err) < 0) {
		fprintf(stderr, "fuzz_http: %s\n", err);
		abort();
	}
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0 ||
	    fcntl(sv[1], F_SETFL, O_NONBLOCK) < 0 || httpd_add_connection(&h, sv[0]) < 0)
		abort();
	if (size && write(sv[1], data, size) != (ssize_t)size)
		abort();
	for (int i = 0; i < 6; i++) {
		httpd_run(&h);
		drain(sv[1], first, &have);
	}
	/* Whatever came back starts as an HTTP reply. */
	if (have >= 9 && memcmp(first, "HTTP/1.", 7) != 0)
		__builtin_trap();
	close(sv[1]);
	httpd_run(&h);
	httpd_close(&h);
	uv_run(&loop, UV_RUN_DEFAULT);
	return 0;
}
