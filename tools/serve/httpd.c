/* httpd: libmicrohttpd on a libuv loop, and event streams (see httpd.h). */
#include "httpd.h"

#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <microhttpd.h>

#include "errbuf.h"
#include "xalloc.h"

#define CONN_MAX 64           /* connections at once */
#define CONN_PER_IP 32
#define CONN_SPARE 64         /* more that MHD takes: those shut to make room, until it closes them */
#define CONN_TIMEOUT 30       /* seconds an idle connection is kept */
#define CONN_MEMORY (64 << 10) /* per connection: request line and headers must fit */
#define PING_MS 15000         /* a comment on every stream this often */

/* One client connection. MHD refuses a connection past its limits outright,
 * so a client that opened CONN_PER_IP connections and sent nothing on them
 * would lock out the user's own browser, from the same address, until they
 * timed out. We count them instead (MHD's limit has room to spare): a
 * connection past a limit makes room by shutting the one that has waited
 * longest for a request, never one being answered (an event stream, a reply
 * to come), so a client that idles does not outlast one that asks. */
struct httpd_conn {
	int fd;
	struct sockaddr_storage addr;
	int busy;                 /* its request's headers are in, its reply not done */
	int shut;                 /* shut down to make room: MHD is closing it */
	unsigned long long since; /* h->conn_seq when it last began to wait for a request */
	struct httpd_conn *next;
};

/* One event stream: bytes waiting for the client, and whether MHD's reader
 * callback found none and suspended the connection. MHD does not watch a
 * suspended connection, so we do: a client that goes away (a page reloaded)
 * makes its socket readable, and the stream ends at once rather than holding
 * a connection until the next ping. */
struct httpd_stream {
	struct httpd *h;
	struct MHD_Connection *conn;
	char *buf;
	size_t len, off, cap;
	int suspended, ended;
	uv_poll_t watch;          /* the socket, while suspended */
	int watch_init;
	struct httpd_stream *next;
};

/* A reply to come (httpd_defer): the connection waits, suspended. closed:
 * httpd_close answered it with a 503; httpd_complete still frees it. */
struct httpd_deferred {
	struct httpd *h;
	struct MHD_Connection *conn;
	struct httpd_reply reply;
	int done, closed;
	struct httpd_deferred *next;
};

/* A request being received: its body so far; deferred, its reply to come. */
struct pending {
	char body[HTTPD_BODY_MAX + 1];
	size_t len;
	int too_large;
	struct httpd_deferred *deferred;
};

/* What httpd_defer needs of the request being handled (rq->conn). */
struct handling {
	struct httpd *h;
	struct MHD_Connection *c;
	struct pending *p;
};

static void arm(struct httpd *h);

void httpd_run(struct httpd *h)
{
	if (h->mhd) {
		MHD_run(h->mhd);
		arm(h);
	}
}

static void on_poll(uv_poll_t *p, int status, int events)
{
	httpd_run(p->data);
}

static void on_timer(uv_timer_t *t)
{
	httpd_run(t->data);
}

/* Sets the timer to MHD's next deadline (none: no timer). */
static void arm(struct httpd *h)
{
	MHD_UNSIGNED_LONG_LONG ms;

	if (h->closing)
		return;
	if (MHD_get_timeout(h->mhd, &ms) == MHD_YES)
		uv_timer_start(&h->timer, on_timer, ms, 0);
	else
		uv_timer_stop(&h->timer);
}

static int conn_fd(struct MHD_Connection *c)
{
	const union MHD_ConnectionInfo *info =
		MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);

	return info ? info->connect_fd : -1;
}

static struct httpd_conn *conn_of(struct MHD_Connection *c)
{
	const union MHD_ConnectionInfo *info =
		MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);

	return info ? info->socket_context : NULL;
}

static int same_address(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family)
		return 0;
	if (a->ss_family == AF_INET)
		return ((const struct sockaddr_in *)a)->sin_addr.s_addr ==
		       ((const struct sockaddr_in *)b)->sin_addr.s_addr;
	if (a->ss_family == AF_INET6)
		return memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr,
			      &((const struct sockaddr_in6 *)b)->sin6_addr,
			      sizeof(struct in6_addr)) == 0;
	return 1; /* httpd_add_connection's: all one address */
}

/* Past max connections (of k's address when by_address): shuts the one that
 * has waited longest for a request; k itself when every other is answered. */
static void make_room(struct httpd *h, struct httpd_conn *k, int by_address, int max)
{
	struct httpd_conn *oldest = k;
	int n = 0;

	for (struct httpd_conn *c = h->conns; c; c = c->next) {
		if (c->shut || (by_address && !same_address(&c->addr, &k->addr)))
			continue;
		n++;
		if (!c->busy && c->since < oldest->since)
			oldest = c;
	}
	if (n > max && !oldest->shut) {
		oldest->shut = 1;
		shutdown(oldest->fd, SHUT_RDWR); /* MHD reads its end and closes it */
	}
}

static void on_connection(void *cls, struct MHD_Connection *c, void **socket_context,
			  enum MHD_ConnectionNotificationCode toe)
{
	struct httpd *h = cls;
	struct httpd_conn *k = *socket_context, **p;
	const union MHD_ConnectionInfo *addr;

	if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
		k = xcalloc(1, sizeof *k);
		k->fd = conn_fd(c);
		addr = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
		if (addr && addr->client_addr && addr->client_addr->sa_family == AF_INET)
			memcpy(&k->addr, addr->client_addr, sizeof(struct sockaddr_in));
		else if (addr && addr->client_addr && addr->client_addr->sa_family == AF_INET6)
			memcpy(&k->addr, addr->client_addr, sizeof(struct sockaddr_in6));
		k->since = ++h->conn_seq;
		k->next = h->conns;
		h->conns = k;
		*socket_context = k;
		make_room(h, k, 1, CONN_PER_IP);
		make_room(h, k, 0, CONN_MAX);
		return;
	}
	if (!k)
		return;
	for (p = &h->conns; *p; p = &(*p)->next)
		if (*p == k) {
			*p = k->next;
			break;
		}
	free(k);
	*socket_context = NULL;
}

static void stream_resume(struct httpd_stream *s)
{
	if (s->suspended) {
		s->suspended = 0;
		if (s->watch_init)
			uv_poll_stop(&s->watch); /* MHD has the socket again */
		MHD_resume_connection(s->conn);
	}
}

/* The client of a suspended stream sent something or left: end it. */
static void on_stream_peer(uv_poll_t *p, int status, int events)
{
	struct httpd_stream *s = p->data;

	s->ended = 1;
	stream_resume(s);
	httpd_run(s->h);
}

static void stream_suspend(struct httpd_stream *s)
{
	int fd = conn_fd(s->conn);

	s->suspended = 1;
	MHD_suspend_connection(s->conn);
	if (!s->watch_init && fd >= 0 && uv_poll_init(s->h->loop, &s->watch, fd) == 0) {
		s->watch_init = 1;
		s->watch.data = s;
	}
	if (s->watch_init)
		uv_poll_start(&s->watch, UV_READABLE | UV_DISCONNECT, on_stream_peer);
}

/* Appends to one stream; a client too slow to take HTTPD_STREAM_MAX is ended. */
static void stream_push(struct httpd_stream *s, const char *data, size_t len)
{
	if (s->ended)
		return;
	if (s->off == s->len)
		s->off = s->len = 0;
	if (s->len - s->off + len > HTTPD_STREAM_MAX) {
		/* What waits goes now, and the socket is shut: MHD, waiting for it
		 * to take bytes, would keep it and this buffer until the client
		 * read or the idle timeout. */
		s->ended = 1;
		free(s->buf);
		s->buf = NULL;
		s->len = s->off = s->cap = 0;
		shutdown(conn_fd(s->conn), SHUT_RDWR);
	} else {
		if (s->len + len > s->cap && s->off) { /* room at the front first */
			memmove(s->buf, s->buf + s->off, s->len - s->off);
			s->len -= s->off;
			s->off = 0;
		}
		if (s->len + len > s->cap) {
			while (s->len + len > s->cap)
				s->cap = s->cap ? 2 * s->cap : 4096;
			s->buf = xrealloc(s->buf, s->cap);
		}
		memcpy(s->buf + s->len, data, len);
		s->len += len;
	}
	stream_resume(s);
}

void httpd_broadcast(struct httpd *h, const char *data, size_t len)
{
	for (struct httpd_stream *s = h->streams; s; s = s->next)
		stream_push(s, data, len);
	httpd_run(h);
}

static void on_ping(uv_timer_t *t)
{
	static const char ping[] = ": ping\n\n";

	httpd_broadcast(t->data, ping, sizeof ping - 1);
}

/* MHD asks for the stream's next bytes: what is waiting, or nothing yet (the
 * connection is suspended until stream_push resumes it). */
static ssize_t stream_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct httpd_stream *s = cls;
	size_t n = s->len - s->off;

	if (s->ended || s->h->closing)
		return MHD_CONTENT_READER_END_WITH_ERROR;
	if (n == 0) {
		stream_suspend(s);
		return 0;
	}
	if (n > max)
		n = max;
	memcpy(buf, s->buf + s->off, n);
	s->off += n;
	return (ssize_t)n;
}

static void stream_closed(uv_handle_t *hd)
{
	free(hd->data);
}

/* MHD is done with the response (its connection is closing): the watch was
 * stopped when the stream was last resumed; close it before the memory goes. */
static void stream_free(void *cls)
{
	struct httpd_stream *s = cls, **p;

	for (p = &s->h->streams; *p; p = &(*p)->next)
		if (*p == s) {
			*p = s->next;
			break;
		}
	free(s->buf);
	if (s->watch_init)
		uv_close((uv_handle_t *)&s->watch, stream_closed);
	else
		free(s);
}

/* A new event stream, opened with first (len bytes) after a comment line. */
static struct MHD_Response *stream_response(struct httpd *h, struct MHD_Connection *conn,
					    const char *first, size_t len)
{
	static const char hello[] = ": caviar events\n\n";
	struct httpd_stream *s = xcalloc(1, sizeof *s);
	struct MHD_Response *r;

	s->h = h;
	s->conn = conn;
	r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 4096, stream_read, s, stream_free);
	if (!r) {
		free(s);
		return NULL;
	}
	s->next = h->streams;
	h->streams = s;
	stream_push(s, hello, sizeof hello - 1);
	if (len)
		stream_push(s, first, len);
	MHD_add_response_header(r, "Content-Type", "text/event-stream");
	return r;
}

static const char *header(struct MHD_Connection *c, const char *name)
{
	return MHD_lookup_connection_value(c, MHD_HEADER_KIND, name);
}

/* Fills rq from the connection; body is the pending request's. */
static void request_fill(struct httpd *h, struct MHD_Connection *c, const char *method,
			 const char *url, struct pending *p, struct httpd_request *rq)
{
	memset(rq, 0, sizeof *rq);
	rq->method = method;
	rq->path = url;
	rq->arg_token = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "token");
	rq->arg_metric = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "metric");
	rq->cookie_token = MHD_lookup_connection_value(c, MHD_COOKIE_KIND, h->cookie);
	rq->origin = header(c, "Origin");
	rq->host = header(c, "Host");
	rq->fetch_site = header(c, "Sec-Fetch-Site");
	rq->content_type = header(c, "Content-Type");
	p->body[p->too_large ? 0 : p->len] = '\0';
	rq->body = p->too_large ? "" : p->body;
	rq->body_len = p->too_large ? 0 : p->len;
	rq->body_too_large = p->too_large;
}

static struct MHD_Response *reply_response(struct httpd_reply *out)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(
		out->len, out->body, out->owned ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);

	if (!r)
		return NULL;
	out->owned = 0; /* r has it */
	MHD_add_response_header(r, "Content-Type", out->type ? out->type : "text/plain");
	if (out->location)
		MHD_add_response_header(r, "Location", out->location);
	if (out->set_cookie)
		MHD_add_response_header(r, "Set-Cookie", out->set_cookie);
	return r;
}

/* Headers every answer carries: nothing framed, sniffed or loaded from elsewhere. */
static void add_common(struct MHD_Response *r, int cache)
{
	MHD_add_response_header(r, "Cache-Control", cache ? "max-age=300" : "no-store");
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(r, "X-Frame-Options", "DENY");
	MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
	MHD_add_response_header(r, "Content-Security-Policy",
				"default-src 'self'; img-src 'self' data:; "
				"style-src 'self' 'unsafe-inline'; frame-ancestors 'none'");
}

struct httpd_deferred *httpd_defer(const struct httpd_request *rq)
{
	struct handling *on = rq->conn;
	struct httpd_deferred *d = xcalloc(1, sizeof *d);

	d->h = on->h;
	d->conn = on->c;
	d->next = on->h->deferred;
	on->h->deferred = d;
	on->p->deferred = d;
	return d;
}

static void deferred_unlink(struct httpd_deferred *d)
{
	for (struct httpd_deferred **at = &d->h->deferred; *at; at = &(*at)->next)
		if (*at == d) {
			*at = d->next;
			return;
		}
}

static void reply_drop(struct httpd_reply *out)
{
	if (out->owned)
		free(out->body);
	free(out->set_cookie);
	memset(out, 0, sizeof *out);
}

void httpd_complete(struct httpd_deferred *d, struct httpd_reply *out)
{
	if (d->closed) { /* httpd_close answered it */
		reply_drop(out);
		free(d);
		return;
	}
	d->reply = *out;
	d->done = 1;
	MHD_resume_connection(d->conn);
	httpd_run(d->h);
}

/* httpd_close: a 503 for each reply still to come, so no connection stays
 * suspended (MHD_stop_daemon would wait for it). */
static void deferred_close(struct httpd *h)
{
	static char msg[] = "{\"ok\": false, \"error\": \"caviar serve is stopping\"}";

	for (struct httpd_deferred *d = h->deferred; d; d = d->next)
		if (!d->done) {
			d->closed = d->done = 1;
			d->reply = (struct httpd_reply){.status = 503, .type = "application/json",
							.body = msg, .len = sizeof msg - 1};
			MHD_resume_connection(d->conn);
		}
}

static enum MHD_Result answer(struct httpd *h, struct MHD_Connection *c, const char *method,
			      const char *url, struct pending *p)
{
	struct httpd_request rq;
	struct httpd_reply out = {0};
	struct handling on = {h, c, p};
	struct MHD_Response *r;
	enum MHD_Result ret;

	if (p->deferred) { /* resumed: the reply has come */
		struct httpd_deferred *d = p->deferred;

		if (!d->done)
			return MHD_YES;
		out = d->reply;
		p->deferred = NULL;
		deferred_unlink(d);
		if (!d->closed) /* else httpd_complete frees it when the call ends */
			free(d);
	} else {
		request_fill(h, c, method, url, p, &rq);
		rq.conn = &on;
		h->handler(h->ctx, &rq, &out);
		if (p->deferred) {
			MHD_suspend_connection(c);
			return MHD_YES;
		}
	}
	r = out.stream && out.status == 200 ? stream_response(h, c, out.body, out.len)
					     : reply_response(&out);
	if (out.owned)
		free(out.body);
	free(out.set_cookie);
	if (!r)
		return MHD_NO;
	add_common(r, out.cache);
	ret = MHD_queue_response(c, (unsigned)out.status, r);
	MHD_destroy_response(r);
	return ret;
}

/* MHD's access handler: called once when the headers are in, then for each
 * piece of body, then once more with none left. */
static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
				  const char *method, const char *version,
				  const char *upload_data, size_t *upload_data_size, void **con_cls)
{
	struct pending *p = *con_cls;

	if (!p) {
		struct httpd_conn *k = conn_of(c);

		if (k)
			k->busy = 1; /* being answered: never shut to make room */
		*con_cls = xcalloc(1, sizeof *p);
		return MHD_YES;
	}
	if (*upload_data_size) {
		if (p->len + *upload_data_size > HTTPD_BODY_MAX)
			p->too_large = 1;
		else
			memcpy(p->body + p->len, upload_data, *upload_data_size);
		if (!p->too_large)
			p->len += *upload_data_size;
		*upload_data_size = 0;
		return MHD_YES;
	}
	return answer(cls, c, method, url, p);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct httpd *h = cls;
	struct pending *p = *con_cls;
	struct httpd_conn *k = conn_of(c);

	if (k) { /* waits for its next request from now */
		k->busy = 0;
		k->since = ++h->conn_seq;
	}

	if (p && p->deferred) { /* resumed with its reply, but the client had gone */
		struct httpd_deferred *d = p->deferred;

		deferred_unlink(d);
		if (!d->closed) { /* else httpd_complete frees it when the call ends */
			reply_drop(&d->reply);
			free(d);
		}
	}
	free(p);
	*con_cls = NULL;
}

/* host:port as a socket address MHD can bind. */
static int resolve(const char *host, int port, struct sockaddr_storage *sa, char *err,
		   size_t errlen)
{
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE};
	struct addrinfo *res;
	char service[16];
	int rc;

	snprintf(service, sizeof service, "%d", port);
	if ((rc = getaddrinfo(host, service, &hints, &res)) != 0)
		return err_set(err, errlen, "--host %s: %s", host, gai_strerror(rc));
	memcpy(sa, res->ai_addr, res->ai_addrlen);
	freeaddrinfo(res);
	return 0;
}

static struct MHD_Daemon *mhd_start(struct httpd *h, const char *host, int port, char *err,
				    size_t errlen)
{
	unsigned flags = MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME;
	struct sockaddr_storage sa = {0};
	struct MHD_Daemon *d;

	if (port < 0) {
		flags |= MHD_USE_NO_LISTEN_SOCKET;
	} else {
		if (resolve(host, port, &sa, err, errlen) < 0)
			return NULL;
		if (sa.ss_family == AF_INET6)
			flags |= MHD_USE_IPv6;
	}
	d = MHD_start_daemon(flags, (uint16_t)(port < 0 ? 0 : port), NULL, NULL, on_request, h,
			     MHD_OPTION_SOCK_ADDR, port < 0 ? NULL : (struct sockaddr *)&sa,
			     MHD_OPTION_CONNECTION_LIMIT, (unsigned)(CONN_MAX + CONN_SPARE),
			     MHD_OPTION_NOTIFY_CONNECTION, on_connection, h,
			     MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)CONN_TIMEOUT,
			     MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)CONN_MEMORY,
			     MHD_OPTION_NOTIFY_COMPLETED, on_completed, h,
			     MHD_OPTION_END);
	if (!d)
		err_set(err, errlen, "cannot listen on %s port %d (in use, or not an address of "
			"this machine?)", host, port);
	return d;
}

int httpd_start(struct httpd *h, uv_loop_t *loop, const char *host, int port,
		const char *cookie, httpd_handler handler, void *ctx, char *err, size_t errlen)
{
	const union MHD_DaemonInfo *info;

	memset(h, 0, sizeof *h);
	h->loop = loop;
	h->handler = handler;
	h->ctx = ctx;
	snprintf(h->cookie, sizeof h->cookie, "%s", cookie);
	if (!(h->mhd = mhd_start(h, host, port, err, errlen)))
		return -1;
	info = MHD_get_daemon_info(h->mhd, MHD_DAEMON_INFO_EPOLL_FD);
	uv_poll_init(loop, &h->poll, info->epoll_fd);
	uv_timer_init(loop, &h->timer);
	uv_timer_init(loop, &h->ping);
	h->poll.data = h->timer.data = h->ping.data = h;
	uv_poll_start(&h->poll, UV_READABLE, on_poll);
	uv_timer_start(&h->ping, on_ping, PING_MS, PING_MS);
	arm(h);
	return 0;
}

int httpd_port(const struct httpd *h)
{
	const union MHD_DaemonInfo *info = MHD_get_daemon_info(h->mhd, MHD_DAEMON_INFO_BIND_PORT);

	return info ? info->port : -1;
}

int httpd_add_connection(struct httpd *h, int fd)
{
	struct sockaddr_storage sa = {.ss_family = AF_UNIX};

	return MHD_add_connection(h->mhd, fd, (struct sockaddr *)&sa, sizeof(sa_family_t)) ==
	       MHD_YES ? 0 : -1;
}

void httpd_close(struct httpd *h)
{
	if (!h->mhd)
		return;
	/* A suspended connection would block MHD_stop_daemon: end every stream,
	 * answer every deferred request. */
	for (struct httpd_stream *s = h->streams; s; s = s->next) {
		s->ended = 1;
		stream_resume(s);
	}
	deferred_close(h);
	MHD_run(h->mhd);
	h->closing = 1;
	uv_poll_stop(&h->poll); /* before MHD closes the fd it watches */
	MHD_stop_daemon(h->mhd);
	h->mhd = NULL;
	uv_close((uv_handle_t *)&h->poll, NULL);
	uv_close((uv_handle_t *)&h->timer, NULL);
	uv_close((uv_handle_t *)&h->ping, NULL);
}
