/* cli_store: how a command finds the database it reads (tools/read/store.h):
 * the --db file when given, else the one caviard reports in its status, else,
 * with no daemon, the default database; failures are the command's own
 * messages and exit codes (cli_fail). */
#ifndef CAVIAR_CLI_STORE_H
#define CAVIAR_CLI_STORE_H

#include "store.h"

struct cli;

/* Opens the database of a command: db when given (no daemon needed), else the
 * one the daemon at cli->socket reports in its status, else (no daemon) the
 * default database (store_open_offline). Returns 0 or an exit code after
 * printing "caviar: CMD: ..." (3 without a daemon nor a default database, 1
 * otherwise). */
int store_open_cli(struct store *s, const struct cli *cli, const char *db);

/* With no daemon to ask: opens the default database (proto_default_db) when
 * it exists, saying so on stderr ("caviar: CMD: no daemon is running; reading
 * PATH"); otherwise fails with exit 3 and "WHY; or read a database with --db
 * FILE". Returns 0 or the exit code. */
int store_open_offline(struct store *s, const struct cli *cli, const char *why);

#endif
