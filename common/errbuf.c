/* errbuf: formatting of caller-owned error messages (see errbuf.h). */
#include "errbuf.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int err_set(char *err, size_t n, const char *fmt, ...)
{
	va_list ap;

	if (!err || n == 0)
		return -1;
	va_start(ap, fmt);
	vsnprintf(err, n, fmt, ap);
	va_end(ap);
	return -1;
}

int err_prefix(char *err, size_t n, const char *fmt, ...)
{
	char prefix[ERRBUF_LEN], old[ERRBUF_LEN];
	va_list ap;

	if (!err || n == 0)
		return -1;
	va_start(ap, fmt);
	vsnprintf(prefix, sizeof prefix, fmt, ap);
	va_end(ap);
	snprintf(old, sizeof old, "%s", err);
	snprintf(err, n, "%s: %s", prefix, old);
	return -1;
}
