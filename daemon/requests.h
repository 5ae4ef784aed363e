/* requests: caviard's answers to its clients, one handler per request of the
 * vocabulary (common/proto.h) in one table: the server's handler and its
 * subscribe hook. It is the hub's other half rather than a spoke: it reads
 * the daemon's state (struct daemon, daemon.h) and acts through the spokes
 * (sweeps, db, query, events, server, writer), but what only the hub does
 * (schedule, check a sweep, find a running trial, shut down) it asks through
 * the struct requests_hub daemon.c fills, never by a daemon.c name. */
#ifndef CAVIAR_REQUESTS_H
#define CAVIAR_REQUESTS_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "request.h"

struct daemon;
struct server_client;
struct sweep;
struct trial;
struct worker_line;

/* What the handlers ask of the hub (daemon.c's wire sets each). */
struct requests_hub {
	void (*schedule)(struct daemon *d);       /* starts trials into free slots */
	void (*fill_soon)(struct daemon *d);      /* samples the sweeps' next trials */
	void (*arm_budget)(struct daemon *d);     /* the sweeps' wall-clock deadlines changed */
	void (*check_sweep)(struct daemon *d, struct sweep *sw); /* has sw ended? */
	void (*sweep_stopping)(struct daemon *d, struct sweep *sw); /* tells its watchers */
	void (*shutdown)(struct daemon *d);       /* the graceful stop */
	/* the running trial id (NULL: none runs) */
	struct trial *(*find_running)(struct daemon *d, int64_t id);
};

/* The server's handler (a server_handler; ctx is the daemon): every request
 * but subscribe, which the server answers itself. */
int requests_handle(void *ctx, struct server_client *c, const struct request *req,
		    cJSON *reply, char *err, size_t errlen);

/* The server's on_subscribe (ctx is the daemon): the subscriber's first event,
 * a snapshot of the trials of its sweeps (0: all) running now. */
void requests_subscribed(void *ctx, struct server_client *c, int64_t sweep_id);

/* steer's adjusted (ctx is the daemon): trial's program applied changes
 * with its "adjusted" line l; recorded at once (a replayed one too: it was
 * a client's), published, and client, the `caviar adjust` that asked (0:
 * nobody waits), gets its reply, or an error when it cannot be recorded. */
void requests_adjusted(void *ctx, int64_t trial, int64_t client, const struct worker_line *l,
		       const cJSON *changes);

/* sweep_id ended: an `rm --force` waiting on it removes it now and replies. */
void requests_sweep_ended(struct daemon *d, int64_t sweep_id);

#endif
