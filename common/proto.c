/* proto: the default socket path (see proto.h). */
#include "proto.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int proto_default_socket(char *buf, size_t n)
{
	const char *env = getenv("CAVIAR_SOCKET");
	const char *run = getenv("XDG_RUNTIME_DIR");
	int len;

	if (env && *env)
		len = snprintf(buf, n, "%s", env);
	else if (run && *run)
		len = snprintf(buf, n, "%s/caviar/caviard.sock", run);
	else
		len = snprintf(buf, n, "/tmp/caviar-%u/caviard.sock", (unsigned)getuid());
	return (len < 0 || (size_t)len >= n) ? -1 : 0;
}

int proto_default_db(char *buf, size_t n)
{
	const char *data = getenv("XDG_DATA_HOME");
	const char *home = getenv("HOME");
	int len;

	if (data && *data)
		len = snprintf(buf, n, "%s/caviar/caviar.db", data);
	else
		len = snprintf(buf, n, "%s/.local/share/caviar/caviar.db", home ? home : ".");
	return (len < 0 || (size_t)len >= n) ? -1 : 0;
}
