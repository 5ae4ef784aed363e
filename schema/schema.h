/* schema: the SQL files of schema/, embedded at build time. Migration i (0-based)
 * takes a database from user_version i to i+1; schema_version is the newest. */
#ifndef CAVIAR_SCHEMA_H
#define CAVIAR_SCHEMA_H

extern const char *const schema_migrations[];
extern const int schema_version;

#endif
