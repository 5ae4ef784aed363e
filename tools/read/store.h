/* store: the client's read-only connection to caviard's SQLite database, for
 * show, export, curves, plot and watch, and ls and top without a daemon: it
 * finds the file and opens it with SQLITE_OPEN_READONLY (WAL mode lets it
 * read while the daemon writes). It has
 * no SQL of its own: commands run the query module's reads (common/query.h)
 * on st->query. */
#ifndef CAVIAR_STORE_H
#define CAVIAR_STORE_H

#include <stddef.h>

#include <cjson/cJSON.h>
#include <sqlite3.h>

#include "query.h"

struct store {
	sqlite3 *db;
	struct query query; /* the reads on db */
};

/* Opens path read-only (busy timeout of a few seconds). Returns 0, or -1 with
 * err set ("FILE: unable to open database file", or "FILE: not a caviar
 * database"); s is then closed already. */
int store_open(struct store *s, const char *path, char *err, size_t errlen);

void store_close(struct store *s); /* accepts a zeroed or closed store */

#endif
