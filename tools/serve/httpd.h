/* httpd: the dashboard's HTTP server, libmicrohttpd driven by a libuv loop:
 * MHD runs in external epoll mode, its epoll fd watched by a uv_poll and its
 * timeouts by a uv_timer, so every request is handled on the caller's loop
 * thread. It parses HTTP, caps what a client may send, and turns each request
 * into a struct httpd_request for its owner's handler; it knows no route.
 * Server-Sent Event streams are long responses it feeds from httpd_broadcast;
 * a handler that must wait (for the daemon) defers its reply (httpd_defer). */
#ifndef CAVIAR_HTTPD_H
#define CAVIAR_HTTPD_H

#include <stddef.h>

#include <uv.h>

#define HTTPD_BODY_MAX 16384        /* bytes of request body accepted: actions are tiny
				       but for a note (4 KiB, more once escaped as JSON) */
#define HTTPD_STREAM_MAX (4 << 20)  /* bytes waiting for a slow event stream before it is
				       dropped */

/* One request, as the handler sees it: strings are NUL-terminated and live
 * until the handler returns; a missing header or argument is NULL. */
struct httpd_request {
	const char *method;       /* "GET", "POST", ... */
	const char *path;         /* the URL's path, percent-decoded, without the query */
	const char *arg_token;    /* ?token= */
	const char *arg_metric;   /* ?metric= */
	const char *cookie_token; /* the token cookie (see httpd_start's cookie) */
	const char *origin;       /* Origin: */
	const char *host;         /* Host: */
	const char *fetch_site;   /* Sec-Fetch-Site: */
	const char *content_type; /* Content-Type: */
	const char *body;         /* the body, NUL-terminated; "" when none */
	size_t body_len;
	int body_too_large;       /* it had more than HTTPD_BODY_MAX bytes (body is then "") */
	void *conn;               /* httpd's own (for httpd_defer) */
};

/* The handler's answer. body is malloc'd (owned: httpd frees it) or static. */
struct httpd_reply {
	int status;
	const char *type;        /* Content-Type */
	char *body;
	size_t len;
	int owned;               /* body is malloc'd */
	int cache;               /* may be cached (an asset); API replies are no-store */
	const char *location;    /* Location: (a redirect), static */
	char *set_cookie;        /* Set-Cookie: value, malloc'd, or NULL */
	int stream;              /* answer with an event stream, which starts with body */
};

typedef void (*httpd_handler)(void *ctx, const struct httpd_request *rq,
			      struct httpd_reply *out);

struct httpd_stream;
struct httpd_deferred;
struct httpd_conn;

struct httpd {
	uv_loop_t *loop;
	struct MHD_Daemon *mhd;
	uv_poll_t poll;           /* MHD's epoll fd */
	uv_timer_t timer;         /* MHD's next timeout */
	uv_timer_t ping;          /* a comment on every stream now and then: finds closed ones */
	httpd_handler handler;
	void *ctx;
	char cookie[64];          /* the token cookie's name */
	struct httpd_stream *streams;
	struct httpd_deferred *deferred; /* replies still to come */
	struct httpd_conn *conns;  /* every open connection, newest first */
	unsigned long long conn_seq; /* counts connections left waiting (oldest: lowest) */
	int closing;              /* httpd_close was called */
};

/* Listens on host:port (an IPv4 or IPv6 literal, or "localhost"), port 0 for
 * any free one (httpd_port tells which), port -1 on no socket (connections
 * come from httpd_add_connection). cookie is the name of the cookie
 * handed to the handler as cookie_token. Returns 0, or -1 with err set. */
int httpd_start(struct httpd *h, uv_loop_t *loop, const char *host, int port,
		const char *cookie, httpd_handler handler, void *ctx, char *err, size_t errlen);
int httpd_port(const struct httpd *h);

/* Called by a handler that cannot answer at once (it waits for the daemon):
 * its reply comes later, through httpd_complete, and the loop serves other
 * requests meanwhile (the connection is suspended). The handler then leaves
 * its out untouched. */
struct httpd_deferred *httpd_defer(const struct httpd_request *rq);

/* The reply of a deferred request (out's body and cookie are taken as a
 * handler's are). Every httpd_defer needs one httpd_complete, also after
 * httpd_close (the reply is then dropped: the client got a 503). */
void httpd_complete(struct httpd_deferred *d, struct httpd_reply *out);

/* Sends len bytes (whole SSE messages) to every open event stream. */
void httpd_broadcast(struct httpd *h, const char *data, size_t len);

/* Ends every stream, stops MHD and closes the handles (h must stay until
 * the loop has run their close callbacks). */
void httpd_close(struct httpd *h);

/* For a fuzzer or test without a listening socket: hands MHD one end of a
 * connected socket as a client connection. Returns 0 or -1. */
int httpd_add_connection(struct httpd *h, int fd);

/* Runs MHD once, as the loop does on readiness (for the same callers). */
void httpd_run(struct httpd *h);

#endif
