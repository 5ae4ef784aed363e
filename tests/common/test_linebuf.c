/* test_linebuf: line framing across chunk boundaries, the length cap, EOF. */
#include <stdlib.h>

#include "linebuf.h"
#include "test.h"

struct seen {
	char lines[16][64];
	size_t dropped[16];
	int n;
};

static void collect(void *ctx, const char *line, size_t len)
{
	struct seen *s = ctx;

	if (s->n == 16)
		return;
	s->dropped[s->n] = line ? 0 : len;
	snprintf(s->lines[s->n], sizeof s->lines[0], "%.*s", line ? (int)len : 0, line ? line : "");
	s->n++;
}

static void test_whole_and_split(void)
{
	struct linebuf lb;
	struct seen s = {0};
	const char *text = "alpha\nbeta\n\ngamma\n";

	linebuf_init(&lb, 64);
	/* Feed one byte at a time: the same lines as one chunk. */
	for (const char *p = text; *p; p++)
		linebuf_feed(&lb, p, 1, collect, &s);
	linebuf_feed(&lb, text, strlen(text), collect, &s);
	CHECK(s.n == 8);
	CHECK_STR(s.lines[0], "alpha");
	CHECK_STR(s.lines[1], "beta");
	CHECK_STR(s.lines[2], "");
	CHECK_STR(s.lines[3], "gamma");
	CHECK_STR(s.lines[7], "gamma");
	linebuf_finish(&lb);
}

static void test_cap(void)
{
	struct linebuf lb;
	struct seen s = {0};
	char big[100];

	memset(big, 'x', sizeof big);
	linebuf_init(&lb, 10);
	linebuf_feed(&lb, "ok\n", 3, collect, &s);
	linebuf_feed(&lb, big, 40, collect, &s);     /* carried, then dropped */
	linebuf_feed(&lb, big, 60, collect, &s);
	linebuf_feed(&lb, "\nnext\n", 6, collect, &s);
	linebuf_feed(&lb, big, 20, collect, &s);     /* a whole over-long line in one chunk */
	linebuf_feed(&lb, "\n", 1, collect, &s);
	CHECK(s.n == 4);
	CHECK_STR(s.lines[0], "ok");
	CHECK(s.dropped[1] == 100);
	CHECK_STR(s.lines[2], "next");
	CHECK(s.dropped[3] == 20);
	CHECK(lb.cap <= 16); /* memory stays bounded by the cap */
	linebuf_finish(&lb);
}

static void test_eof(void)
{
	struct linebuf lb;
	struct seen s = {0};

	linebuf_init(&lb, 64);
	linebuf_feed(&lb, "a\nlast", 6, collect, &s);
	linebuf_eof(&lb, collect, &s);
	linebuf_eof(&lb, collect, &s); /* nothing left the second time */
	CHECK(s.n == 2);
	CHECK_STR(s.lines[1], "last");
	linebuf_finish(&lb);
}

int main(int argc, char **argv)
{
	static const struct test_case cases[] = {
		{"whole_and_split", test_whole_and_split},
		{"cap", test_cap},
		{"eof", test_eof},
		{NULL, NULL},
	};
	return test_main(argc, argv, cases);
}
