/* strset: a hashed set of strings (see strset.h). */
#include "strset.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

static uint64_t hash(const char *s)
{
	uint64_t h = 1469598103934665603ull;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return h;
}

/* The slot that holds name, or the empty one where it would go. */
static size_t probe(char *const *slot, size_t cap, const char *name)
{
	size_t i = (size_t)hash(name) & (cap - 1);

	while (slot[i] && strcmp(slot[i], name) != 0)
		i = (i + 1) & (cap - 1);
	return i;
}

static void grow(struct strset *s)
{
	size_t cap = s->cap ? 2 * s->cap : 16;
	char **slot = xcalloc(cap, sizeof *slot);

	for (size_t i = 0; i < s->cap; i++)
		if (s->slot[i])
			slot[probe(slot, cap, s->slot[i])] = s->slot[i];
	free(s->slot);
	s->slot = slot;
	s->cap = cap;
}

const char *strset_find(const struct strset *s, const char *name)
{
	return s->cap ? s->slot[probe(s->slot, s->cap, name)] : NULL;
}

const char *strset_add(struct strset *s, const char *name)
{
	size_t i;

	if (2 * (s->n + 1) > s->cap) /* at most half full */
		grow(s);
	i = probe(s->slot, s->cap, name);
	if (!s->slot[i]) {
		s->slot[i] = xstrdup(name);
		s->n++;
	}
	return s->slot[i];
}

static int by_bytes(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

char *strset_join(const struct strset *s, const char *sep, char *buf, size_t n)
{
	const char **all = xcalloc(s->n + 1, sizeof *all);
	size_t k = 0, len = 0;

	for (size_t i = 0; i < s->cap; i++)
		if (s->slot[i])
			all[k++] = s->slot[i];
	qsort(all, k, sizeof *all, by_bytes);
	if (n)
		buf[0] = '\0';
	for (size_t i = 0; i < k && len < n; i++) {
		int w = snprintf(buf + len, n - len, "%s%s", i ? sep : "", all[i]);

		len += w > 0 ? (size_t)w : 0;
	}
	if (len >= n && n > 4)
		memcpy(buf + n - 4, "...", 4);
	free(all);
	return buf;
}

void strset_finish(struct strset *s)
{
	for (size_t i = 0; i < s->cap; i++)
		free(s->slot[i]);
	free(s->slot);
	memset(s, 0, sizeof *s);
}
