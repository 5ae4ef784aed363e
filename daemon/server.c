/* server: caviard's unix socket and its clients (see server.h, and proto.h
 * for the protocol). */
#include "server.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "errbuf.h"
#include "linebuf.h"
#include "log.h"
#include "proto.h"
#include "xalloc.h"

struct server_client {
	uv_pipe_t pipe;
	struct server *srv;
	struct server_client *next;
	int64_t id;
	struct linebuf lb;
	int64_t waiting;  /* sweep id this client waits on; 0: none */
	int64_t watching; /* subscribed to this sweep's events; 0: all; -1: none */
	int closing;
	int throttled;    /* replies wait to be read: requests are not (see MAX_PENDING) */
	char *held;       /* requests that came in with the read that throttled it */
	size_t n_held, cap_held;
};

#define MAX_BACKLOG (8u << 20) /* bytes queued to a subscriber before it is dropped */
#define MAX_PENDING (1u << 20) /* reply bytes a client may leave unread before the
				* daemon stops reading its requests */

struct reply {
	uv_write_t req;
	char *text;
};

static void on_client_close(uv_handle_t *h)
{
	struct server_client *c = h->data;

	linebuf_finish(&c->lb);
	free(c->held);
	free(c);
}

static void client_drop(struct server_client *c)
{
	if (c->closing)
		return;
	c->closing = 1;
	if (c->watching >= 0)
		c->srv->subscribers--;
	for (struct server_client **p = &c->srv->clients; *p; p = &(*p)->next)
		if (*p == c) {
			*p = c->next;
			break;
		}
	uv_close((uv_handle_t *)&c->pipe, on_client_close);
}

static void resume_requests(struct server_client *c);

static size_t pending(struct server_client *c)
{
	return uv_stream_get_write_queue_size((uv_stream_t *)&c->pipe);
}

static void on_written(uv_write_t *req, int status)
{
	struct reply *r = (struct reply *)req;
	struct server_client *c = req->handle->data;

	(void)status; /* a client gone before its reply is simply gone */
	free(r->text);
	free(r);
	if (c->throttled && !c->closing && pending(c) < MAX_PENDING / 2)
		resume_requests(c);
}

/* Sends obj as one line and deletes it. */
void server_reply(struct server_client *c, cJSON *obj)
{
	struct reply *r;
	char *text = cJSON_PrintUnformatted(obj);
	size_t n = strlen(text);
	uv_buf_t buf;

	cJSON_Delete(obj);
	if (c->closing) {
		free(text);
		return;
	}
	r = xcalloc(1, sizeof *r);
	r->text = xrealloc(text, n + 2);
	memcpy(r->text + n, "\n", 2);
	buf = uv_buf_init(r->text, (unsigned)(n + 1));
	if (uv_write(&r->req, (uv_stream_t *)&c->pipe, &buf, 1, on_written) < 0) {
		free(r->text);
		free(r);
		client_drop(c);
	}
}

void server_refuse(struct server_client *c, int code, const char *msg)
{
	cJSON *obj = cJSON_CreateObject();

	cJSON_AddFalseToObject(obj, "ok");
	cJSON_AddStringToObject(obj, "error", msg);
	cJSON_AddStringToObject(obj, "code", proto_error_name(code));
	server_reply(c, obj);
}

void server_error(struct server_client *c, const char *msg)
{
	server_refuse(c, PROTO_E_REFUSED, msg);
}

/* Replies first: the events follow. */
static int subscribe(struct server_client *c, const struct request *req, cJSON *reply)
{
	if (c->watching < 0)
		c->srv->subscribers++;
	c->watching = req->sweep;
	cJSON_AddNumberToObject(reply, "sweep", (double)req->sweep);
	return 0;
}

int64_t server_client_id(const struct server_client *c)
{
	return c->id;
}

struct server_client *server_find(const struct server *srv, int64_t id)
{
	for (struct server_client *c = srv->clients; c; c = c->next)
		if (c->id == id && !c->closing)
			return c;
	return NULL;
}

void server_wait(struct server_client *c, int64_t sweep_id)
{
	c->waiting = sweep_id;
}

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf);
static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf);

/* A client that leaves its replies unread stops being read: its requests
 * wait in the socket, not in our memory. */
static void throttle(struct server_client *c)
{
	if (c->throttled || c->closing || pending(c) <= MAX_PENDING)
		return;
	c->throttled = 1;
	uv_read_stop((uv_stream_t *)&c->pipe);
}

static void answer(struct server_client *c, const char *text, size_t len);

/* Keeps a request that arrived with the read that throttled c. */
static void hold(struct server_client *c, const char *text, size_t len)
{
	if (c->n_held + len + 1 > c->cap_held) {
		c->cap_held = 2 * (c->n_held + len + 1);
		c->held = xrealloc(c->held, c->cap_held);
	}
	memcpy(c->held + c->n_held, text, len);
	c->held[c->n_held + len] = '\n';
	c->n_held += len + 1;
}

/* Its replies were read: answers what was held, then reads again. */
static void resume_requests(struct server_client *c)
{
	size_t pos = 0;

	c->throttled = 0;
	while (!c->throttled && !c->closing && pos < c->n_held) {
		char *nl = memchr(c->held + pos, '\n', c->n_held - pos);
		size_t len = (size_t)(nl - (c->held + pos));

		answer(c, c->held + pos, len);
		pos += len + 1;
	}
	memmove(c->held, c->held + pos, c->n_held - pos);
	c->n_held -= pos;
	if (!c->throttled && !c->closing &&
	    uv_read_start((uv_stream_t *)&c->pipe, on_alloc, on_read) < 0)
		client_drop(c);
}

static void on_request(void *ctx, const char *text, size_t len)
{
	struct server_client *c = ctx;

	if (c->closing)
		return;
	if (c->throttled && text)
		hold(c, text, len);
	else
		answer(c, text, len);
}

static void answer(struct server_client *c, const char *text, size_t len)
{
	char err[ERRBUF_LEN] = "";
	struct request req;
	cJSON *reply;
	int64_t subscribed = -1;
	int rc;

	if (!text) {
		snprintf(err, sizeof err, "request of %zu bytes exceeds %u", len, PROTO_MAX_REQUEST);
		server_refuse(c, PROTO_E_BAD_REQUEST, err);
		throttle(c);
		return;
	}
	if ((rc = request_parse(&req, text, len, err, sizeof err)) < 0) {
		request_finish(&req);
		server_refuse(c, -rc, err);
		throttle(c);
		return;
	}
	reply = cJSON_CreateObject();
	cJSON_AddTrueToObject(reply, "ok");
	if (req.cmd == PROTO_SUBSCRIBE) {
		rc = subscribe(c, &req, reply);
		subscribed = req.sweep;
	} else
		rc = c->srv->handler(c->srv->ctx, c, &req, reply, err, sizeof err);
	request_finish(&req);
	if (rc == 1) {
		cJSON_Delete(reply);
		throttle(c);
		return;
	}
	if (rc < 0) {
		cJSON_Delete(reply);
		server_refuse(c, -rc, err);
		throttle(c);
		return;
	}
	server_reply(c, reply);
	if (subscribed >= 0 && c->srv->on_subscribe)
		c->srv->on_subscribe(c->srv->ctx, c, subscribed);
	throttle(c);
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	struct server_client *c = h->data;

	(void)suggested;
	buf->base = c->srv->readbuf;
	buf->len = c->srv->readbuf_len;
}

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
	struct server_client *c = s->data;

	if (n > 0)
		linebuf_feed(&c->lb, buf->base, (size_t)n, on_request, c);
	else if (n < 0)
		client_drop(c); /* EOF or error: whatever was half-sent is dropped */
}

static int same_user(uv_pipe_t *p)
{
	struct ucred cred;
	socklen_t len = sizeof cred;
	uv_os_fd_t fd;

	if (uv_fileno((uv_handle_t *)p, &fd) < 0 ||
	    getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0)
		return 0;
	return cred.uid == getuid();
}

static void on_connection(uv_stream_t *server, int status)
{
	struct server *srv = server->data;
	struct server_client *c;
	int rc;

	if (status < 0) {
		log_msg("accept: %s", uv_strerror(status));
		return;
	}
	c = xcalloc(1, sizeof *c);
	c->srv = srv;
	c->id = ++srv->next_client_id;
	c->watching = -1;
	uv_pipe_init(srv->loop, &c->pipe, 0);
	c->pipe.data = c;
	linebuf_init(&c->lb, PROTO_MAX_REQUEST);
	c->next = srv->clients;
	srv->clients = c;
	if ((rc = uv_accept(server, (uv_stream_t *)&c->pipe)) < 0) {
		log_msg("accept: %s", uv_strerror(rc));
		client_drop(c);
		return;
	}
	if (!same_user(&c->pipe)) {
		log_msg("client refused: not the daemon's user");
		client_drop(c);
		return;
	}
	if ((rc = uv_read_start((uv_stream_t *)&c->pipe, on_alloc, on_read)) < 0) {
		log_msg("client dropped: cannot read from it: %s", uv_strerror(rc));
		client_drop(c);
	}
}

/* mkdir -p for the socket's directory, new directories mode 0700. */
static int make_dirs(const char *path, char *err, size_t errlen)
{
	char *dir = xstrdup(path);
	int rc = 0;

	for (char *p = dir + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(dir, 0700) < 0 && errno != EEXIST)
			rc = err_set(err, errlen, "%s: %s", dir, strerror(errno));
		*p = '/';
		if (rc < 0)
			break;
	}
	free(dir);
	return rc;
}

/* An existing socket file is either a live daemon (refuse) or stale (remove). */
static int clear_stale(const char *path, char *err, size_t errlen)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd, live;

	if (access(path, F_OK) < 0)
		return 0;
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	snprintf(sa.sun_path, sizeof sa.sun_path, "%s", path);
	live = fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0;
	if (fd >= 0)
		close(fd);
	if (live)
		return err_set(err, errlen, "%s: another caviard is already listening there", path);
	unlink(path);
	return 0;
}

/* The socket's directory must be the user's own: whoever owns it can replace
 * the socket with theirs, answer clients and read every spec they send (the
 * default /tmp/caviar-$UID could be made by anyone). Refused when another
 * user owns it; a warning when others may enter it (the socket itself is
 * 0600 and peers are checked either way). */
static int check_private_dir(const char *path, char *err, size_t errlen)
{
	char *dir = xstrdup(path), *slash = strrchr(dir, '/');
	const char *name = slash && slash != dir ? dir : slash ? "/" : ".";
	struct stat st;
	int rc = 0;

	if (slash && slash != dir)
		*slash = '\0';
	if (stat(name, &st) < 0)
		rc = err_set(err, errlen, "%s: %s", name, strerror(errno));
	else if (st.st_uid != getuid() && strcmp(name, "/") != 0)
		rc = err_set(err, errlen,
			     "%s, the socket's directory, belongs to uid %u, not to you (uid %u): "
			     "its owner could replace the socket; remove it or give another "
			     "--socket",
			     name, (unsigned)st.st_uid, (unsigned)getuid());
	else if ((st.st_mode & 0077) != 0)
		log_msg("warning: %s is open to other users; prefer a directory only you "
			"can enter (the default is)",
			name);
	free(dir);
	return rc;
}

int server_start(struct server *srv, char *err, size_t errlen)
{
	const char *path = srv->path;
	int rc;

	if (strlen(path) >= sizeof(((struct sockaddr_un *)0)->sun_path))
		return err_set(err, errlen, "%s: socket path too long", path);
	if (make_dirs(path, err, errlen) < 0 || check_private_dir(path, err, errlen) < 0 ||
	    clear_stale(path, err, errlen) < 0)
		return -1;
	uv_pipe_init(srv->loop, &srv->pipe, 0);
	srv->pipe.data = srv;
	rc = uv_pipe_bind(&srv->pipe, path);
	if (rc == 0 && chmod(path, 0600) < 0)
		rc = -errno;
	if (rc == 0)
		rc = uv_listen((uv_stream_t *)&srv->pipe, 64, on_connection);
	if (rc < 0) {
		uv_close((uv_handle_t *)&srv->pipe, NULL);
		return err_set(err, errlen, "%s: %s", path, uv_strerror(rc));
	}
	return 0;
}

void server_stop(struct server *srv)
{
	if (!uv_is_closing((uv_handle_t *)&srv->pipe)) {
		uv_close((uv_handle_t *)&srv->pipe, NULL);
		unlink(srv->path);
	}
	for (struct server_client *c = srv->clients; c; c = c->next)
		if (c->waiting) {
			c->waiting = 0;
			server_refuse(c, PROTO_E_SHUTTING_DOWN,
				      "caviard is shutting down; the sweep resumes at its next start");
		}
}

static void on_client_shutdown(uv_shutdown_t *req, int status)
{
	struct server_client *c = req->data;

	(void)status;
	free(req);
	uv_close((uv_handle_t *)&c->pipe, on_client_close);
}

/* Closes a client after the replies already written to it have gone out. */
static void client_finish(struct server_client *c)
{
	uv_shutdown_t *req = xcalloc(1, sizeof *req);

	c->closing = 1;
	req->data = c;
	uv_read_stop((uv_stream_t *)&c->pipe);
	if (uv_shutdown(req, (uv_stream_t *)&c->pipe, on_client_shutdown) < 0) {
		free(req);
		uv_close((uv_handle_t *)&c->pipe, on_client_close);
	}
}

void server_drop_clients(struct server *srv)
{
	while (srv->clients) {
		struct server_client *c = srv->clients;

		srv->clients = c->next;
		if (!c->closing)
			client_finish(c);
	}
}

int server_listening(void *server, int64_t sweep_id)
{
	const struct server *srv = server;

	if (srv->subscribers == 0)
		return 0;
	for (const struct server_client *c = srv->clients; c; c = c->next)
		if (c->watching == 0 || c->watching == sweep_id)
			return 1;
	return 0;
}

void server_publish(void *server, int64_t sweep_id, cJSON *event)
{
	struct server *srv = server;
	struct server_client *next;

	for (struct server_client *c = srv->clients; c; c = next) {
		next = c->next;
		if (c->closing || !(c->watching == 0 || c->watching == sweep_id))
			continue;
		if (uv_stream_get_write_queue_size((uv_stream_t *)&c->pipe) > MAX_BACKLOG) {
			log_msg("subscriber dropped: it stopped reading events");
			client_drop(c);
			continue;
		}
		server_reply(c, cJSON_Duplicate(event, 1));
	}
	cJSON_Delete(event);
}

void server_sweep_ended(struct server *srv, int64_t sweep_id, const char *status,
			const char *reason)
{
	for (struct server_client *c = srv->clients; c; c = c->next) {
		cJSON *reply;

		if (c->waiting != sweep_id)
			continue;
		c->waiting = 0;
		reply = cJSON_CreateObject();
		cJSON_AddTrueToObject(reply, "ok");
		cJSON_AddNumberToObject(reply, "sweep", (double)sweep_id);
		cJSON_AddStringToObject(reply, "status", status);
		if (reason)
			cJSON_AddStringToObject(reply, "reason", reason);
		else
			cJSON_AddNullToObject(reply, "reason");
		server_reply(c, reply);
	}
}
