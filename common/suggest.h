/* suggest: the nearest of a few known names to a mistyped one, for messages
 * such as "unknown command 'stauts'; did you mean 'status'?". It is not a
 * fuzzy search: only names within two edits of the typed one count. */
#ifndef CAVIAR_SUGGEST_H
#define CAVIAR_SUGGEST_H

#include <stddef.h>

/* The optimal string alignment distance of a and b (Damerau-Levenshtein:
 * inserts, deletes, substitutions and swaps of two neighbours, each 1);
 * 99 when either is longer than 63 bytes. */
int suggest_distance(const char *a, const char *b);

/* The candidate (one of names[0..n)) nearest to typed, if it is at most two
 * edits away and fewer edits than its length; the first wins a tie. Returns
 * one of names (not a copy), or NULL. */
const char *suggest_nearest(const char *typed, const char *const *names, size_t n);

#endif
