/* server: the unix-socket side of caviard. Accepts clients (same uid only; the
 * socket lives in a 0700 directory with mode 0600), frames requests as lines
 * (capped at PROTO_MAX_REQUEST), parses them (request.h) and hands each to
 * its owner's handler, then writes the reply. It keeps who is subscribed to
 * which sweep's events and who waits for which sweep to end, but knows nothing
 * of sweeps or trials: the handler (the hub) answers every command. A client
 * that sends garbage gets an error reply; one that disconnects mid-request is
 * dropped; the daemon carries on. */
#ifndef CAVIAR_SERVER_H
#define CAVIAR_SERVER_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>
#include <uv.h>

#include "request.h"

struct server_client;

/* Answers one request: fills reply (it holds "ok": true) and returns 0,
 * returns a negated proto_error with err set (an error reply with that code;
 * -1 is -PROTO_E_REFUSED), or returns 1 when it replies itself, now or later
 * (server_reply, server_refuse, server_wait). */
typedef int (*server_handler)(void *ctx, struct server_client *c, const struct request *req,
			      cJSON *reply, char *err, size_t errlen);

struct server {
	uv_loop_t *loop;
	const char *path;         /* the socket's path */
	uv_pipe_t pipe;           /* listening socket */
	struct server_client *clients;
	int subscribers;          /* clients subscribed to events */
	int64_t next_client_id;
	char *readbuf;            /* every read lands here (one buffer for all) */
	size_t readbuf_len;
	server_handler handler;   /* every command but subscribe */
	void *ctx;                /* the handler's */
	/* Called (with ctx) right after a subscribe to sweep_id (0: all) is
	 * acknowledged, so that its owner can send the subscriber a first event
	 * (server_reply) before any other; NULL: none. */
	void (*on_subscribe)(void *ctx, struct server_client *c, int64_t sweep_id);
};

/* Binds and listens on srv->path (loop, path, readbuf and handler set).
 * Returns 0, or -1 with err set. */
int server_start(struct server *srv, char *err, size_t errlen);

/* Stops listening; clients waiting on a sweep are told the daemon is
 * stopping. Connected clients stay until server_drop_clients, so replies
 * already sent (to `caviar shutdown` itself) still arrive. */
void server_stop(struct server *srv);
void server_drop_clients(struct server *srv);

/* A client's id, stable while it is connected; server_find gives it back, or
 * NULL once the client is gone (a reply that comes later checks first). */
int64_t server_client_id(const struct server_client *c);
struct server_client *server_find(const struct server *srv, int64_t id);

/* Sends reply (taken) or an error reply to c: {"ok": false, "error": msg,
 * "code": proto_error_name(code)}; server_error's code is PROTO_E_REFUSED. */
void server_reply(struct server_client *c, cJSON *reply);
void server_refuse(struct server_client *c, int code, const char *msg);
void server_error(struct server_client *c, const char *msg);

/* c is told when sweep_id ends (server_sweep_ended). */
void server_wait(struct server_client *c, int64_t sweep_id);

/* Tells the clients waiting on a sweep that it ended with status, and why
 * (NULL: it says no more than its status). */
void server_sweep_ended(struct server *srv, int64_t sweep_id, const char *status,
			const char *reason);

/* 1 when some client subscribed to events of this sweep (or of all).
 * srv is a struct server: the shape events.h asks of a publisher. */
int server_listening(void *srv, int64_t sweep_id);

/* Sends event (deleted here) to every client subscribed to its sweep. A
 * subscriber that stops reading is dropped once its backlog passes a bound. */
void server_publish(void *srv, int64_t sweep_id, cJSON *event);

#endif
