/* term: text for terminals, shared by watch, show and curves: whether to use
 * colour (a terminal, and NO_COLOR unset), the terminal's size, lines that are
 * cut at the screen's width (counting UTF-8 characters, not bytes, and not
 * escape sequences), prose wrapped at word boundaries, progress bars and
 * sparklines. It does no I/O besides
 * asking the terminal its size. */
#ifndef CAVIAR_TERM_H
#define CAVIAR_TERM_H

#include <stddef.h>

#define TERM_RESET "\033[0m"
#define TERM_BOLD "\033[1m"
#define TERM_DIM "\033[2m"
#define TERM_GREEN "\033[32m"
#define TERM_RED "\033[31m"
#define TERM_YELLOW "\033[33m"
#define TERM_CYAN "\033[36m"

/* 1 when fd is a terminal and NO_COLOR is unset or empty. */
int term_colour(int fd);

/* The terminal's columns and rows (fd's window size, else $COLUMNS/$LINES,
 * else 80x24). */
void term_size(int fd, int *cols, int *rows);

/* A line of text being built; cut at max display columns. */
struct term_line {
	char *s;        /* NUL-terminated; the caller frees with term_line_finish */
	size_t len, cap;
	int cols, max;  /* columns used; the limit (0: none) */
	int colour;     /* 0: term_line_esc adds nothing */
};
void term_line_init(struct term_line *l, int max, int colour);
void term_line_finish(struct term_line *l);
void term_line_clear(struct term_line *l);
/* Appends printable text (cut at the limit). */
void term_line_add(struct term_line *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Appends an escape sequence (TERM_*): only when colour is on; takes no column. */
void term_line_esc(struct term_line *l, const char *esc);
/* Appends bytes as they are, taking no column (a frame being assembled). */
void term_line_raw(struct term_line *l, const char *s);
/* Pads with spaces up to column col. */
void term_line_pad(struct term_line *l, int col);

/* A bar of width cells, filled to fraction f in [0, 1] (eighth blocks). */
void term_line_bar(struct term_line *l, double f, int width);

/* The last width values of v[0..n) as a sparkline (▁▂▃▄▅▆▇█), scaled between
 * their min and max; NaN values are blanks. */
void term_line_spark(struct term_line *l, const double *v, int n, int width);

/* Prose reflowed to lines of at most width columns, broken only between
 * words: a run of spaces and single newlines is one space; a blank line
 * ("\n\n") ends a paragraph and is kept. The first line goes on from column
 * col (text the caller printed before it), later lines start with indent
 * spaces. A word wider than a line has a line of its own. Returns a malloc'd
 * string without a final newline; the caller frees it. */
char *term_wrap(const char *text, int col, int indent, int width);

#endif
