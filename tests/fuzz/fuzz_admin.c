/*
 * libFuzzer target for rt_admin_decode: the bytes are an admin request as
 * it arrives on the socket. A request that decodes must hold 1..64
 * NUL-terminated arguments whose bytes, re-encoded, give back the input
 * exactly; anything else must be refused without a crash, leak or hang.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rt_admin.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rt_buf wire;
	char **argv = NULL;
	int argc = 0;

	if (rt_admin_decode(data, size, &argc, &argv) != 0) {
		if (argv != NULL || argc != 0)
			abort();
		return 0;
	}
	if (argc < 1 || argc > RT_ADMIN_MAX_ARGS || argv[argc] != NULL ||
	    argv[0][0] == '\0')
		abort();
	rt_buf_init(&wire, RT_ADMIN_REQ_MAX);
	if (rt_admin_encode(argc, argv, &wire) != 0 || wire.len != size ||
	    memcmp(wire.data, data, size) != 0)
		abort();
	rt_buf_fini(&wire);
	rt_admin_argv_free(argv);
	return 0;
}
