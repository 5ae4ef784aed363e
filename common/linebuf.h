/* linebuf: splits a byte stream into lines, with a cap on line length so a peer
 * that never sends a newline cannot grow our memory. Used for worker pipes and
 * client sockets alike. Complete lines inside a chunk are handed out in place
 * (no copy); only a partial tail is buffered. */
#ifndef CAVIAR_LINEBUF_H
#define CAVIAR_LINEBUF_H

#include <stddef.h>

/* Called for each line: line points at len bytes without the '\n' (not
 * NUL-terminated). For a line longer than the cap, called once with line NULL
 * and len the number of bytes dropped (the line is discarded). */
typedef void (*linebuf_fn)(void *ctx, const char *line, size_t len);

struct linebuf {
	char *buf;     /* partial line carried between chunks */
	size_t len;    /* bytes in buf */
	size_t cap;    /* allocated */
	size_t max;    /* longest line accepted */
	size_t dropped; /* > 0 while discarding an over-long line */
};

void linebuf_init(struct linebuf *lb, size_t max);
void linebuf_finish(struct linebuf *lb); /* frees; accepts a zeroed struct */

/* Feeds n bytes, calling fn for every line completed. */
void linebuf_feed(struct linebuf *lb, const char *data, size_t n, linebuf_fn fn, void *ctx);

/* At end of stream: hands out a last line that had no newline, if any. */
void linebuf_eof(struct linebuf *lb, linebuf_fn fn, void *ctx);

#endif
