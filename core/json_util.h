/* json_util.h — JSON helpers shared by the renderers: stable pretty printing. */
#ifndef ABFS_JSON_UTIL_H
#define ABFS_JSON_UTIL_H

#include <glib.h>
#include <json-c/json.h>

/* A deep copy of value whose objects have their keys in sorted (byte) order. */
json_object *abfs_json_sorted_copy(json_object *value);

/* value pretty-printed (two-space indent, keys sorted, "/" not escaped) with a final newline.
 * Newly allocated. */
char *abfs_json_pretty(json_object *value);

/* value as compact JSON text ("/" not escaped), newly allocated: how the store keeps connections. */
char *abfs_json_compact(json_object *value);

/* Parses text (NUL-terminated at len) as exactly one JSON value (trailing blanks allowed).
 * NULL with an EINVAL error otherwise. */
json_object *abfs_json_parse(const char *text, gsize len, GError **error);

#endif
