/* test_term: terminal lines cut at the screen's width in characters (not
 * bytes, not escape sequences), prose wrapped between words, bars and
 * sparklines. */
#include <math.h>
#include <stdlib.h>

#include "term.h"
#include "test.h"

static void test_width_counts_characters(void)
{
	struct term_line l;

	term_line_init(&l, 5, 1);
	term_line_esc(&l, TERM_BOLD); /* takes no column */
	term_line_add(&l, "héllo, world");
	CHECK(l.cols == 5);
	CHECK_STR(l.s, TERM_BOLD "héllo");
	term_line_add(&l, "more");
	CHECK(l.cols == 5); /* already at the limit */
	term_line_finish(&l);
}

static void test_no_colour(void)
{
	struct term_line l;

	term_line_init(&l, 0, 0);
	term_line_esc(&l, TERM_RED);
	term_line_add(&l, "plain");
	term_line_esc(&l, TERM_RESET);
	CHECK_STR(l.s, "plain");
	term_line_finish(&l);
}

static void test_pad_and_grow(void)
{
	struct term_line l;

	term_line_init(&l, 0, 0);
	term_line_add(&l, "ab");
	term_line_pad(&l, 6);
	CHECK_STR(l.s, "ab    ");
	for (int i = 0; i < 200; i++) /* past the initial buffer */
		term_line_add(&l, "0123456789");
	CHECK(l.cols == 6 + 2000);
	CHECK(strlen(l.s) == 2006);
	term_line_clear(&l);
	CHECK(l.cols == 0 && l.s[0] == '\0');
	term_line_finish(&l);
}

static void test_bar(void)
{
	struct term_line l;

	term_line_init(&l, 0, 0);
	term_line_bar(&l, 0.5, 4);
	CHECK(l.cols == 4);
	CHECK_STR(l.s, "██··"); /* empty cells are dots */
	term_line_clear(&l);
	term_line_bar(&l, 2.0, 3); /* clamped */
	CHECK_STR(l.s, "███");
	term_line_clear(&l);
	term_line_bar(&l, NAN, 2);
	CHECK(l.cols == 2);
	term_line_finish(&l);
}

static void test_spark(void)
{
	const double v[] = {0, 1, 2, 3, 4, 5, 6, 7};
	const double flat[] = {3, 3, 3};
	const double gap[] = {0, NAN, 1};
	struct term_line l;

	term_line_init(&l, 0, 0);
	term_line_spark(&l, v, 8, 8);
	CHECK_STR(l.s, "▁▂▃▄▅▆▇█");
	term_line_clear(&l);
	term_line_spark(&l, v, 8, 3); /* the last 3 values */
	CHECK(l.cols == 3);
	term_line_clear(&l);
	term_line_spark(&l, flat, 3, 3); /* no range: still 3 cells */
	CHECK(l.cols == 3);
	term_line_clear(&l);
	term_line_spark(&l, gap, 3, 3);
	CHECK(l.cols == 3);
	CHECK_CONTAINS(l.s, " ");
	term_line_finish(&l);
}

static void test_wrap(void)
{
	char *s;

	s = term_wrap("one two three four", 0, 0, 9);
	CHECK_STR(s, "one two\nthree\nfour");
	free(s);
	/* single newlines and runs of spaces are one space; a blank line stays */
	s = term_wrap("a  b\nc\n\nd", 0, 0, 80);
	CHECK_STR(s, "a b c\n\nd");
	free(s);
	/* after a prefix the caller printed; later lines indented */
	s = term_wrap("alpha beta gamma", 10, 4, 20);
	CHECK_STR(s, "alpha beta\n    gamma"); /* 10 + 10 columns */
	free(s);
	/* a word wider than the line is kept whole, on a line of its own */
	s = term_wrap("a SWEEP|--trial|TRIAL b", 0, 2, 8);
	CHECK_STR(s, "a\n  SWEEP|--trial|TRIAL\n  b");
	free(s);
	/* columns are characters, not bytes */
	s = term_wrap("ééé ééé", 0, 0, 7);
	CHECK_STR(s, "ééé ééé");
	free(s);
	s = term_wrap("", 0, 0, 80);
	CHECK_STR(s, "");
	free(s);
}

int main(int argc, char **argv)
{
	static const struct test_case cases[] = {
		{"width_counts_characters", test_width_counts_characters},
		{"no_colour", test_no_colour},
		{"pad_and_grow", test_pad_and_grow},
		{"bar", test_bar},
		{"spark", test_spark},
		{"wrap", test_wrap},
		{NULL, NULL},
	};
	return test_main(argc, argv, cases);
}
