/*
 * rt_embed: files compiled into the binaries (scripts/embed.sh), so the
 * daemons carry their XSDs and never read a schema from a path an attacker
 * might control. Each table ends with an entry whose name is NULL.
 */
#ifndef RT_EMBED_H
#define RT_EMBED_H

#include <stddef.h>

struct rt_embedded_file {
	const char *name;
	const unsigned char *data;	/* NUL-terminated, not counted in len */
	size_t len;
};

extern const struct rt_embedded_file rt_schema_files[];

#endif
