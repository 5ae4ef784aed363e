/* term: text for terminals (see term.h). */
#include "term.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "xalloc.h"

int term_colour(int fd)
{
	const char *no = getenv("NO_COLOR");

	return isatty(fd) && !(no && *no);
}

static int env_int(const char *name, int dflt)
{
	const char *v = getenv(name);
	int n = v ? atoi(v) : 0;

	return n > 0 ? n : dflt;
}

void term_size(int fd, int *cols, int *rows)
{
	struct winsize ws;

	if (ioctl(fd, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0 && ws.ws_row > 0) {
		*cols = ws.ws_col;
		*rows = ws.ws_row;
		return;
	}
	*cols = env_int("COLUMNS", 80);
	*rows = env_int("LINES", 24);
}

void term_line_init(struct term_line *l, int max, int colour)
{
	memset(l, 0, sizeof *l);
	l->max = max;
	l->colour = colour;
	l->cap = 256;
	l->s = xcalloc(1, l->cap);
}

void term_line_finish(struct term_line *l)
{
	free(l->s);
	memset(l, 0, sizeof *l);
}

void term_line_clear(struct term_line *l)
{
	l->len = 0;
	l->cols = 0;
	l->s[0] = '\0';
}

static void put(struct term_line *l, const char *p, size_t n)
{
	if (l->len + n + 1 > l->cap) {
		while (l->len + n + 1 > l->cap)
			l->cap *= 2;
		l->s = xrealloc(l->s, l->cap);
	}
	memcpy(l->s + l->len, p, n);
	l->len += n;
	l->s[l->len] = '\0';
}

/* Appends text one character (a UTF-8 sequence) at a time until the limit. */
static void add_text(struct term_line *l, const char *p)
{
	while (*p) {
		size_t n = 1;

		while (((unsigned char)p[n] & 0xC0) == 0x80)
			n++;
		if (l->max && l->cols >= l->max)
			return;
		put(l, p, n);
		l->cols++;
		p += n;
	}
}

void term_line_add(struct term_line *l, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	add_text(l, buf);
}

void term_line_esc(struct term_line *l, const char *esc)
{
	if (l->colour)
		put(l, esc, strlen(esc));
}

void term_line_raw(struct term_line *l, const char *s)
{
	put(l, s, strlen(s));
}

void term_line_pad(struct term_line *l, int col)
{
	while (l->cols < col && (!l->max || l->cols < l->max))
		add_text(l, " ");
}

void term_line_bar(struct term_line *l, double f, int width)
{
	static const char *const eighths[] = {"", "▏", "▎", "▍", "▌", "▋", "▊", "▉"};
	int units = (int)lround(fmax(0, fmin(1, f)) * width * 8);

	for (int i = 0; i < width; i++, units -= 8) {
		if (units >= 8)
			add_text(l, "█");
		else if (units > 0)
			add_text(l, eighths[units]);
		else
			add_text(l, "·");
	}
}

void term_line_spark(struct term_line *l, const double *v, int n, int width)
{
	static const char *const ticks[] = {"▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"};
	int from = n > width ? n - width : 0;
	double lo = INFINITY, hi = -INFINITY;

	for (int i = from; i < n; i++)
		if (!isnan(v[i])) {
			lo = fmin(lo, v[i]);
			hi = fmax(hi, v[i]);
		}
	for (int i = from; i < n; i++) {
		int k = hi > lo ? (int)lround((v[i] - lo) / (hi - lo) * 7) : 3;

		add_text(l, isnan(v[i]) ? " " : ticks[k < 0 ? 0 : k > 7 ? 7 : k]);
	}
}

/* Columns of n bytes of UTF-8 text. */
static int text_cols(const char *p, size_t n)
{
	int cols = 0;

	for (size_t i = 0; i < n; i++)
		cols += ((unsigned char)p[i] & 0xC0) != 0x80;
	return cols;
}

char *term_wrap(const char *text, int col, int indent, int width)
{
	struct term_line l;
	int fresh = 1; /* nothing on this line yet but its indent */

	term_line_init(&l, 0, 0);
	for (const char *p = text; *p;) {
		size_t n = strcspn(p, " \n");
		int w = text_cols(p, n);

		if (n == 0) {
			if (p[0] == '\n' && p[1] == '\n' && p[2] && !fresh) {
				term_line_raw(&l, "\n\n");
				col = 0;
				fresh = 1;
				p += 2;
			} else {
				p++;
			}
			continue;
		}
		if (!fresh && col + 1 + w > width) {
			term_line_raw(&l, "\n");
			for (col = 0; col < indent; col++)
				term_line_raw(&l, " ");
			fresh = 1;
		}
		if (!fresh) {
			term_line_raw(&l, " ");
			col++;
		}
		put(&l, p, n);
		col += w;
		fresh = 0;
		p += n;
	}
	return l.s;
}
