/* fuzz_line: libFuzzer target for the worker-line parser, fed through the
 * same line framing the daemon uses (with its 64 KiB cap). */
#include <stddef.h>
#include <stdint.h>

#include "line.h"
#include "linebuf.h"
#include "xalloc.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void on_line(void *ctx, const char *text, size_t len)
{
	struct worker_line l;
	char err[256];

	(void)ctx;
	if (!text)
		return;
	/* a metrics line has at least one value, finite or not, and at most the cap */
	if (line_parse(&l, text, len, err, sizeof err) == 0 && l.kind == LINE_METRICS &&
	    (l.n_metrics + l.n_nonfinite < 1 || l.n_metrics + l.n_nonfinite > LINE_MAX_METRICS ||
	     l.n_metrics < 0 || l.n_nonfinite < 0 || l.epoch < 0))
		__builtin_trap();
	line_finish(&l);
}

/* cJSON allocates through xalloc, as in the programs. */
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	xalloc_cjson_hooks();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct linebuf lb;

	linebuf_init(&lb, WORKER_PROTO_MAX_LINE);
	/* in two chunks, as pipe reads may split a line anywhere */
	linebuf_feed(&lb, (const char *)data, size / 2, on_line, NULL);
	linebuf_feed(&lb, (const char *)data + size / 2, size - size / 2, on_line, NULL);
	linebuf_eof(&lb, on_line, NULL);
	linebuf_finish(&lb);
	return 0;
}
