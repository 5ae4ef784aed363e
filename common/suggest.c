/* suggest: the nearest known name to a mistyped one (see suggest.h). */
#include "suggest.h"

#include <string.h>

#define SUGGEST_MAX 63 /* longer strings are "far": the rows below stay on the stack */

static int min3(int a, int b, int c)
{
	int m = a < b ? a : b;

	return m < c ? m : c;
}

int suggest_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	int d[SUGGEST_MAX + 1][SUGGEST_MAX + 1]; /* d[i][j]: a's first i bytes to b's first j */

	if (la > SUGGEST_MAX || lb > SUGGEST_MAX)
		return 99;
	for (size_t i = 0; i <= la; i++)
		d[i][0] = (int)i;
	for (size_t j = 0; j <= lb; j++)
		d[0][j] = (int)j;
	for (size_t i = 1; i <= la; i++)
		for (size_t j = 1; j <= lb; j++) {
			d[i][j] = min3(d[i - 1][j] + 1, d[i][j - 1] + 1,
				       d[i - 1][j - 1] + (a[i - 1] != b[j - 1]));
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
			    d[i - 2][j - 2] + 1 < d[i][j])
				d[i][j] = d[i - 2][j - 2] + 1; /* two neighbours swapped */
		}
	return d[la][lb];
}

const char *suggest_nearest(const char *typed, const char *const *names, size_t n)
{
	const char *best = NULL;
	int best_d = 3;

	for (size_t i = 0; i < n; i++) {
		int d = suggest_distance(typed, names[i]);

		if (d < best_d && d < (int)strlen(names[i])) {
			best = names[i];
			best_d = d;
		}
	}
	return best;
}
