/* web: the dashboard's routes. Checks each request's token and, for actions,
 * its origin; answers the page's files (embedded, tools/serve/web/assets.h), the
 * JSON API read from the database (common/query.h; importance through
 * tools/read/importance.h, as `caviar importance`; a trial's lineage through
 * tools/read/lineage.h, as `caviar lineage`; a sweep's Pareto ranks as
 * `caviar top --pareto`, query_pareto_ranks) and a sweep's points as binary; asks
 * for an event stream; and turns actions (cancel, pause, resume, slots, a
 * trial's adjust and fork, a sweep's or a trial's note) into the daemon's own
 * requests, sent through its owner's callback.
 * It does no I/O of its own: the HTTP is httpd's, the socket its owner's. */
#ifndef CAVIAR_WEB_H
#define CAVIAR_WEB_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "httpd.h"
#include "store.h"

#define WEB_TOKEN_LEN 32 /* hex digits of a token */

struct web_host {
	void *ctx;
	/* Sends req (the caller keeps and deletes it) to caviard; returns the
	 * reply (caller deletes), or NULL with err when there is no daemon. */
	cJSON *(*call)(void *ctx, cJSON *req, char *err, size_t errlen);
	/* The same off the loop, for the actions (an adjust waits for the
	 * trial's answer, up to caviard's --answer-wait): takes req, and later
	 * calls done on the loop with the reply (done takes it) or NULL and err.
	 * NULL: actions use call. */
	void (*call_async)(void *ctx, cJSON *req,
			   void (*done)(void *arg, cJSON *reply, const char *err), void *arg);
};

struct web {
	const char *token;  /* every request must carry it; NULL: none needed (--no-token) */
	const char *cookie; /* the cookie that keeps it */
	struct store *st;   /* the database, read-only */
	struct query *q;    /* its reads (&st->query) */
	struct web_host host;
	int live;           /* events flow from a daemon now (a new stream is told first) */
	int loopback;       /* served on a loopback address: other Host names are refused */
};

/* The handler for httpd (ctx is a struct web). */
void web_handle(void *ctx, const struct httpd_request *rq, struct httpd_reply *out);

#endif
