/* client: blocking request/reply over caviard's socket (see client.h). */
#include "client.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "errbuf.h"
#include "proto.h"
#include "xalloc.h"

/* Whoever listens at the socket must be us: a request is never sent to
 * another user's listener (a stale path, a shared directory). */
static int check_peer(int fd, const char *path, char *err, size_t errlen)
{
	struct ucred cred;
	socklen_t len = sizeof cred;

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0)
		return err_set(err, errlen, "%s: cannot tell who serves it: %s", path, strerror(errno));
	if (cred.uid != geteuid())
		return err_set(err, errlen, "%s is served by uid %u, not you (uid %u); refusing to send",
			       path, (unsigned)cred.uid, (unsigned)geteuid());
	return 0;
}

int client_open(struct client *c, const char *path, char *err, size_t errlen)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};

	memset(c, 0, sizeof *c);
	c->path = path;
	if (strlen(path) >= sizeof sa.sun_path)
		return err_set(err, errlen, "%s: socket path too long", path);
	snprintf(sa.sun_path, sizeof sa.sun_path, "%s", path);
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->fd < 0)
		return err_set(err, errlen, "socket: %s", strerror(errno));
	if (connect(c->fd, (struct sockaddr *)&sa, sizeof sa) == 0) {
		if (check_peer(c->fd, path, err, errlen) == 0)
			return 0;
	} else if (errno == ENOENT || errno == ECONNREFUSED) {
		err_set(err, errlen,
			"no daemon is running at %s; start one with 'caviard &' "
			"(or 'caviard --socket %s'), or point CAVIAR_SOCKET at it",
			path, path);
	} else {
		err_set(err, errlen, "%s: %s", path, strerror(errno));
	}
	close(c->fd);
	c->fd = -1;
	return -1;
}

void client_close(struct client *c)
{
	if (c->fd > 0)
		close(c->fd);
	free(c->buf);
	memset(c, 0, sizeof *c);
	c->fd = -1;
}

static int send_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Reads until a newline is buffered; returns its length, or -1. */
static ssize_t read_line(struct client *c)
{
	for (;;) {
		char *nl = c->len ? memchr(c->buf, '\n', c->len) : NULL;
		ssize_t r;

		if (nl)
			return nl - c->buf;
		if (c->cap - c->len < 4096) {
			c->cap = c->cap ? 2 * c->cap : 65536;
			c->buf = xrealloc(c->buf, c->cap);
		}
		r = recv(c->fd, c->buf + c->len, c->cap - c->len, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		c->len += (size_t)r;
	}
}

int client_send(struct client *c, cJSON *req, char *err, size_t errlen)
{
	char *text;
	int rc;

	if (!cJSON_GetObjectItemCaseSensitive(req, "v"))
		cJSON_AddNumberToObject(req, "v", PROTO_VERSION);
	text = cJSON_PrintUnformatted(req);
	if (!text)
		return err_set(err, errlen, "%s: the request cannot be written as JSON", c->path);
	rc = send_all(c->fd, text, strlen(text));
	free(text);
	if (rc < 0 || send_all(c->fd, "\n", 1) < 0)
		return err_set(err, errlen, "%s: lost the connection to caviard", c->path);
	return 0;
}

cJSON *client_recv(struct client *c, char *err, size_t errlen)
{
	ssize_t n = read_line(c);
	cJSON *reply;

	if (n < 0) {
		err_set(err, errlen, "%s: caviard closed the connection without a reply", c->path);
		return NULL;
	}
	reply = cJSON_ParseWithLength(c->buf, (size_t)n);
	memmove(c->buf, c->buf + n + 1, c->len - (size_t)n - 1);
	c->len -= (size_t)n + 1;
	if (!reply)
		err_set(err, errlen, "caviard sent a reply that is not JSON");
	return reply;
}

cJSON *client_call(struct client *c, cJSON *req, char *err, size_t errlen)
{
	return client_send(c, req, err, errlen) < 0 ? NULL : client_recv(c, err, errlen);
}

cJSON *client_request(const char *path, cJSON *req, char *err, size_t errlen)
{
	struct client c;
	cJSON *reply;

	if (client_open(&c, path, err, errlen) < 0)
		return NULL;
	reply = client_call(&c, req, err, errlen);
	client_close(&c);
	return reply;
}
