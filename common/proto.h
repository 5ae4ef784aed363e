/* proto: what caviard and its clients agree on. Over a unix socket, a client
 * sends one JSON request per line ({"cmd": "ls", "v": 1, ...}) and gets one
 * JSON reply per line ({"ok": true, ...} or {"ok": false, "error": "..."}).
 * Bump PROTO_VERSION when a request or reply changes incompatibly. */
#ifndef CAVIAR_PROTO_H
#define CAVIAR_PROTO_H

#include <stddef.h>

#define PROTO_VERSION 1
#define PROTO_MAX_REQUEST (1u << 20) /* bytes in one request line */
/* What a trial's program prints to caviard is another protocol: worker_proto.h. */

/* The socket path clients and the daemon use when none is given:
 * $CAVIAR_SOCKET, else $XDG_RUNTIME_DIR/caviar/caviard.sock, else
 * /tmp/caviar-$UID/caviard.sock. Returns 0, or -1 if it does not fit in n. */
int proto_default_socket(char *buf, size_t n);

/* The database caviard uses when none is given, where the client looks
 * without a daemon: $XDG_DATA_HOME/caviar/caviar.db, else
 * ~/.local/share/caviar/caviar.db. Returns 0, or -1 if it does not fit in n. */
int proto_default_db(char *buf, size_t n);

#endif
