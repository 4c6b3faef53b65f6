/* json_util.h — JSON helpers shared by core/: printing (pretty as `jq -S .` prints, compact),
 * parsing (strict for what users write, deep for answers), depth, and member access. */
#ifndef ABFS_JSON_UTIL_H
#define ABFS_JSON_UTIL_H

#include <glib.h>
#include <json-c/json.h>

/* GDestroyNotify for json_object pointers in GLib containers. */
void abfs_json_free(gpointer value);

/* String member of obj, or NULL if absent or not a string. */
const char *abfs_json_string(json_object *obj, const char *key);

/* A deep copy of value whose objects have their keys in sorted (byte) order. */
json_object *abfs_json_sorted_copy(json_object *value);

/* value pretty-printed with a final newline, byte for byte as `jq -S .` (jq 1.6) prints it: keys
 * sorted by bytes, two-space indent, `"key": value`, [] and {} when empty, "/" and non-ASCII as
 * they are, control characters escaped, numbers as jq writes doubles (1.0 → 1, 1e100 → 1e+100,
 * integers past 2^53 rounded). So a file equals `jq -S .` of itself. Only reads value. Newly
 * allocated. */
char *abfs_json_pretty(json_object *value);

/* value as compact JSON text ("/" not escaped), newly allocated: how the store keeps connections. */
char *abfs_json_compact(json_object *value);

/* How deep JSON may nest. An API answer is parsed up to ABFS_JSON_PARSE_DEPTH levels (json-c's own
 * default, 32, is far too shallow for real connections and catalogs); a connection nested deeper
 * than ABFS_JSON_MAX_DEPTH is not kept (resources.h), so whatever the store re-parses always fits.
 * json-c frees and prints recursively: these bounds keep that within a thread's stack. */
#define ABFS_JSON_PARSE_DEPTH 4096
#define ABFS_JSON_MAX_DEPTH 256

/* Nesting depth of value: 0 for a scalar, 1 for [] or {}, ... */
guint abfs_json_depth(json_object *value);

/* Parses JSON text that airbytefs itself made (compact text of the store), up to
 * ABFS_JSON_PARSE_DEPTH levels. NULL if it is not JSON. */
json_object *abfs_json_parse_trusted(const char *text);

/* Parses text (NUL-terminated at len) as exactly one JSON value (trailing blanks allowed).
 * NULL with an EINVAL error otherwise. */
json_object *abfs_json_parse(const char *text, gsize len, GError **error);

/* TRUE when text (NUL-terminated at len) is one whole JSON value (not null), only blanks after it,
 * ending with a newline: a JSON file that is complete as written (more bytes could only spoil it). */
gboolean abfs_json_is_complete(const char *text, gsize len);

#endif
