/* cli_store: a command's database, from --db, caviard's status or the default. */
#include "cli_store.h"

#include <stdio.h>
#include <unistd.h>

#include "cli.h"
#include "client.h"
#include "errbuf.h"
#include "proto.h"

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

