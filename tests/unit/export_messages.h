/*
 * Whether the two ways of reading an export (the fast path and libxml2)
 * agree on an error message: "line N: " exactly, and the rest but for
 * numbers (libxml2 names the line a tag opened on, and after a handoff it
 * saw the root tag on its line 1); libxml2 cuts long messages, so only
 * their start is compared. Header-only: test_export_xml and the
 * fuzz_export_diff target (a .c linked alone) both include it.
 */
#ifndef EXPORT_MESSAGES_H
#define EXPORT_MESSAGES_H

#include <string.h>

static inline int
export_messages_agree(const char *a, const char *b)
{
	const char *ca = strchr(a, ':'), *cb = strchr(b, ':'), *x, *y;

	if ((ca == NULL) != (cb == NULL) || (ca != NULL &&
	    (ca - a != cb - b || strncmp(a, b, (size_t)(ca - a)) != 0)))
		return 0;
	for (x = ca != NULL ? ca : a, y = cb != NULL ? cb : b;
	    (*x != '\0' || *y != '\0') && x - a < 100;) {
		if (*x >= '0' && *x <= '9' && *y >= '0' && *y <= '9') {
			while (*x >= '0' && *x <= '9')
				x++;
			while (*y >= '0' && *y <= '9')
				y++;
			continue;
		}
		if (*x++ != *y++)
			return 0;
	}
	return 1;
}

#endif
