/* errbuf: how caviar reports errors. A function that can fail returns a code
 * (0 / -1, or a negative errno) and writes the human message into a buffer the
 * caller owns, redis-style. Library code in common/ never prints. */
#ifndef CAVIAR_ERRBUF_H
#define CAVIAR_ERRBUF_H

#include <stddef.h>

#define ERRBUF_LEN 512

/* Formats into err (size n, may be NULL); always returns -1 so callers can
 * write `return err_set(err, n, "...")`. */
int err_set(char *err, size_t n, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Prepends "prefix: " to the message already in err. Returns -1. */
int err_prefix(char *err, size_t n, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
