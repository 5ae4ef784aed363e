/* store: opens caviard's database read-only for the client (see store.h). */
#include "store.h"

#include <string.h>

#include "errbuf.h"

#define BUSY_MS 5000 /* how long a read waits for the daemon's checkpoint */

static int schema_of(struct store *s)
{
	sqlite3_stmt *st;
	int version = -1;

	if (sqlite3_prepare_v2(s->db, "PRAGMA user_version", -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		version = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return version;
}

int store_open(struct store *s, const char *path, char *err, size_t errlen)
{
	cJSON *rows;

	memset(s, 0, sizeof *s);
	if (sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
		err_set(err, errlen, "%s: %s", path,
			s->db ? sqlite3_errmsg(s->db) : "cannot open the database");
		store_close(s);
		return -1;
	}
	sqlite3_busy_timeout(s->db, BUSY_MS);
	query_init(&s->query, s->db);
	rows = query_run(&s->query, err, errlen, QUERY_SWEEPS, "");
	if (!rows) {
		err_prefix(err, errlen, "%s: not a caviar database", path);
		store_close(s);
		return -1;
	}
	cJSON_Delete(rows);
	int version = schema_of(s);
	if (version < QUERY_SCHEMA_VERSION) { /* an earlier release's: caviard migrates it */
		err_set(err, errlen,
			"%s: a caviar database of schema version %d, older than this caviar's %d; "
			"start today's caviard on it once (caviard --db %s) to migrate it",
			path, version, QUERY_SCHEMA_VERSION, path);
		store_close(s);
		return -1;
	}
	return 0;
}

void store_close(struct store *s)
{
	query_finish(&s->query);
	sqlite3_close(s->db);
	memset(s, 0, sizeof *s);
}
