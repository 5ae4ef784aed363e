/* linebuf: newline framing with a length cap (see linebuf.h). */
#include "linebuf.h"

#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

void linebuf_init(struct linebuf *lb, size_t max)
{
	memset(lb, 0, sizeof *lb);
	lb->max = max;
}

void linebuf_finish(struct linebuf *lb)
{
	free(lb->buf);
	lb->buf = NULL;
	lb->len = lb->cap = 0;
}

/* Appends to the carried partial line, or starts dropping when it grows past max. */
static void carry(struct linebuf *lb, const char *data, size_t n)
{
	if (lb->dropped || lb->len + n > lb->max) {
		lb->dropped += lb->len + n;
		lb->len = 0;
		return;
	}
	if (lb->len + n > lb->cap) {
		lb->cap = lb->cap ? lb->cap : 256;
		while (lb->cap < lb->len + n)
			lb->cap *= 2;
		lb->buf = xrealloc(lb->buf, lb->cap);
	}
	memcpy(lb->buf + lb->len, data, n);
	lb->len += n;
}

/* Completes the carried line with the chunk's head (n bytes before '\n'). */
static void complete(struct linebuf *lb, const char *data, size_t n, linebuf_fn fn, void *ctx)
{
	carry(lb, data, n);
	if (lb->dropped)
		fn(ctx, NULL, lb->dropped);
	else
		fn(ctx, lb->buf, lb->len);
	lb->len = 0;
	lb->dropped = 0;
}

void linebuf_feed(struct linebuf *lb, const char *data, size_t n, linebuf_fn fn, void *ctx)
{
	const char *end = data + n;

	while (data < end) {
		const char *nl = memchr(data, '\n', (size_t)(end - data));
		size_t len;

		if (!nl) {
			carry(lb, data, (size_t)(end - data));
			return;
		}
		len = (size_t)(nl - data);
		if (lb->len || lb->dropped)
			complete(lb, data, len, fn, ctx);
		else if (len > lb->max)
			fn(ctx, NULL, len);
		else
			fn(ctx, data, len);
		data = nl + 1;
	}
}

void linebuf_eof(struct linebuf *lb, linebuf_fn fn, void *ctx)
{
	if (lb->len || lb->dropped)
		complete(lb, "", 0, fn, ctx);
}
