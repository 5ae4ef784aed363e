/* server: the unix-socket side of caviard. Accepts clients (same uid only; the
 * socket lives in a 0700 directory with mode 0600), frames requests as lines
 * (capped at PROTO_MAX_REQUEST), dispatches them to the command handlers and
 * writes one JSON reply per request. A client that sends garbage gets an error
 * reply; one that disconnects mid-request is dropped; the daemon carries on. */
#ifndef CAVIAR_SERVER_H
#define CAVIAR_SERVER_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

struct daemon;

/* Binds and listens on d->opt.socket_path. Returns 0, or -1 with err set. */
int server_start(struct daemon *d, char *err, size_t errlen);

/* Stops listening; clients waiting on a sweep are told the daemon is
 * stopping. Connected clients stay until server_drop_clients, so replies
 * already sent (to `caviar shutdown` itself) still arrive. */
void server_stop(struct daemon *d);
void server_drop_clients(struct daemon *d);

/* 1 when some client subscribed to events of this sweep (or of all). */
int server_listening(struct daemon *d, int64_t sweep_id);

/* Sends event (deleted here) to every client subscribed to its sweep. A
 * subscriber that stops reading is dropped once its backlog passes a bound. */
void server_publish(struct daemon *d, int64_t sweep_id, cJSON *event);

/* Tells the clients waiting on a sweep that it ended with status. */
void server_sweep_ended(struct daemon *d, int64_t sweep_id, const char *status);

#endif
