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

#endif
