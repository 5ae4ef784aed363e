/* xalloc: the project's one out-of-memory policy.
 * Allocation failure is not a recoverable condition for caviar's programs: these
 * wrappers print "caviar: out of memory" and abort. Everything else returns codes. */
#ifndef CAVIAR_XALLOC_H
#define CAVIAR_XALLOC_H

#include <stddef.h>

void *xmalloc(size_t n);              /* never NULL; caller frees */
void *xcalloc(size_t count, size_t n); /* zeroed; never NULL; caller frees */
void *xrealloc(void *p, size_t n);    /* never NULL; caller frees */
char *xstrdup(const char *s);         /* never NULL; caller frees */
char *xstrndup(const char *s, size_t n);

/* Routes cJSON's allocations through xmalloc/free, so that they too abort on
 * out-of-memory instead of failing silently. Call first thing in main, before
 * any cJSON call; it changes cJSON's process-wide hooks. */
void xalloc_cjson_hooks(void);

#endif
