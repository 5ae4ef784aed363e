/* strset: a set of strings, each kept once, found by hashing (open
 * addressing, FNV-1a). The daemon interns metric names in it (db.c) and counts
 * each trial's distinct metrics with it (trial.c), so a program that invents
 * a new name on every line costs a lookup per name, not a scan of all. */
#ifndef CAVIAR_STRSET_H
#define CAVIAR_STRSET_H

#include <stddef.h>

struct strset {
	char **slot; /* cap entries, NULL where empty; the strings are owned */
	size_t cap;  /* a power of two, or 0 */
	size_t n;
};

/* Memory the caller provides: a zeroed struct is an empty set.
 * strset_finish frees every string and the table. */
void strset_finish(struct strset *s);

/* The set's copy of name, or NULL when it is not in the set. */
const char *strset_find(const struct strset *s, const char *name);

/* The set's copy of name, added when new. */
const char *strset_add(struct strset *s, const char *name);

/* Joins the strings in byte order with sep into buf (n bytes), cut with
 * "..." when they do not fit. Returns buf. */
char *strset_join(const struct strset *s, const char *sep, char *buf, size_t n);

#endif
