/* client: the CLI's connection to caviard: connect to the unix socket, send
 * one JSON request line, read one JSON reply line. Blocking and simple: the
 * CLI does one thing at a time. */
#ifndef CAVIAR_CLIENT_H
#define CAVIAR_CLIENT_H

#include <stddef.h>

#include <cjson/cJSON.h>

struct client {
	int fd;
	const char *path;
	char *buf;         /* bytes read past the last reply */
	size_t len, cap;
};

/* Connects to path and checks that the peer runs as our user (SO_PEERCRED)
 * before anything is sent. Returns 0, or -1 with a message: how to start a
 * daemon when none listens there, or whose listener it is. */
int client_open(struct client *c, const char *path, char *err, size_t errlen);
void client_close(struct client *c); /* accepts a zeroed struct */

/* Sends req (adds "v": PROTO_VERSION; req stays the caller's) and waits for the
 * reply. Returns the reply (caller deletes), or NULL with err set when the
 * connection failed or the reply is not JSON. The reply may be {"ok": false}. */
cJSON *client_call(struct client *c, cJSON *req, char *err, size_t errlen);

/* The two halves of client_call, for a caller that waits in between. */
int client_send(struct client *c, cJSON *req, char *err, size_t errlen);
cJSON *client_recv(struct client *c, char *err, size_t errlen);

/* Opens, calls, closes. */
cJSON *client_request(const char *path, cJSON *req, char *err, size_t errlen);

#endif
