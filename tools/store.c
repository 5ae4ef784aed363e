/* store: opens caviard's database read-only for the client (see store.h). */
#include "store.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "client.h"
#include "errbuf.h"
#include "proto.h"

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

int store_open_offline(struct store *s, const struct cli *cli, const char *why)
{
	char path[4096], err[ERRBUF_LEN];

	if (proto_default_db(path, sizeof path) < 0 || access(path, F_OK) < 0)
		return cli_fail(cli, EXIT_NODAEMON, "%s; or read a database with --db FILE", why);
	if (store_open(s, path, err, sizeof err) < 0)
		return cli_fail(cli, EXIT_FAILED, "%s", err);
	fprintf(stderr, "caviar: %s: no daemon is running; reading %s\n", cli->cmd, path);
	return 0;
}

int store_open_cli(struct store *s, const struct cli *cli, const char *db)
{
	char err[ERRBUF_LEN];
	cJSON *req, *reply;
	const char *path;
	int rc;

	if (db)
		return store_open(s, db, err, sizeof err) ? cli_fail(cli, EXIT_FAILED, "%s", err) : 0;
	req = proto_request(PROTO_STATUS);
	reply = client_request(cli->socket, req, err, sizeof err);
	cJSON_Delete(req);
	if (!reply)
		return store_open_offline(s, cli, err);
	path = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(reply, "db"));
	if (!path)
		rc = cli_fail(cli, EXIT_FAILED, "caviard did not say where its database is; use --db FILE");
	else if ((rc = store_open(s, path, err, sizeof err)) < 0)
		rc = cli_fail(cli, EXIT_FAILED, "%s", err);
	cJSON_Delete(reply);
	return rc;
}

void store_close(struct store *s)
{
	query_finish(&s->query);
	sqlite3_close(s->db);
	memset(s, 0, sizeof *s);
}
