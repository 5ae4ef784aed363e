/* fuzz_request: libFuzzer target for the client request parser: any input is
 * a valid request with checked fields, or refused with a reason. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "request.h"
#include "xalloc.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

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
	struct request r;
	char err[512] = "";

	if (request_parse(&r, (const char *)data, size, err, sizeof err) == 0) {
		if (r.cmd >= PROTO_CMD_COUNT || r.sweep < 0 || r.trial < 0 || r.n < 0 ||
		    (r.cmd == PROTO_SUBMIT && !r.spec))
			__builtin_trap();
	} else if (strlen(err) == 0) {
		__builtin_trap();
	}
	request_finish(&r);
	return 0;
}
