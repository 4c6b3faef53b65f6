/* json_scan.h — reading a list page without building a tree.
 *
 * A walk of 10,000 connections is 100 pages of ~90 KB. Building json-c's tree of each page (an
 * object per value, a hash table per object, a string per member) and freeing it again cost more
 * than half of the daemon's CPU, while the listing needs only a handful of each connection's
 * members and its text. The scanner checks the whole page against RFC 8259 as json-c's strict mode
 * reads it (no comments, no single quotes, no trailing commas; like json-c it lets control
 * characters other than NUL stand unescaped in strings, and does not check UTF-8; numbers
 * follow RFC 8259's grammar, stricter than json-c, which takes "02" and "4."), finds the items of one array member of the top-level object
 * (`data`), and gives each item's bytes, its nesting depth and its top-level members' types and
 * bytes. The item's text is parsed (json-c) only when a file is read from it. */
#ifndef ABFS_JSON_SCAN_H
#define ABFS_JSON_SCAN_H

#include <glib.h>
#include <json-c/json.h>

/* A member of an item, as the scanner saw it. Pointers are into the scanned text. */
typedef struct {
    const char *key; /* between the quotes, escapes not decoded */
    gsize key_len;
    gboolean key_escaped; /* the key has escapes: compare it decoded (abfs_json_scan_member does) */
    json_type type;       /* json_type_int for a number without fraction or exponent */
    const char *value;    /* the value's bytes (a string with its quotes) */
    gsize value_len;
} AbfsScanMember;

/* An item of the array. members/n_members: the top-level members, in text order, when the item
 * is an object (n_members 0 otherwise). Valid during the callback only. */
typedef struct {
    const char *text;
    gsize len;
    json_type type;
    guint depth; /* as abfs_json_depth(): 0 for a scalar, 1 for {} or [] ... */
    const AbfsScanMember *members;
    guint n_members;
} AbfsScanItem;

typedef void (*AbfsScanItemFunc)(const AbfsScanItem *item, gpointer data);

/* Checks that text[0, len) is exactly one JSON object (blanks around it allowed), nested at most
 * max_depth levels, with one member array_key that is an array, and calls each() for each of that
 * array's elements, in order. *count (may be NULL) receives the number of elements. Otherwise
 * FALSE with an ABFS_ERROR saying what and where: EBADMSG when the text is not JSON (or nests too
 * deep), EPROTO when it is JSON of another shape (an array, no array_key array, or two array_key
 * members: json-c would keep the second); each() may have been called for items before the
 * fault. */
gboolean abfs_json_scan_items(const char *text, gsize len, const char *array_key, guint max_depth,
                              AbfsScanItemFunc each, gpointer data, gsize *count, GError **error);

/* Checks that text[0, len) is exactly one JSON value (blanks around it allowed), nested at most
 * max_depth levels, and calls each() once with it as an item (its top-level members when it is an
 * object): reading one member of a connection's stored text without parsing the rest. Otherwise
 * FALSE with an ABFS_ERROR (EBADMSG) saying what and where, and each() is not called. */
gboolean abfs_json_scan_value(const char *text, gsize len, guint max_depth, AbfsScanItemFunc each, gpointer data,
                              GError **error);

/* The member called key of an object item (the last one, if the name repeats, as json-c keeps),
 * or NULL. */
const AbfsScanMember *abfs_json_scan_member(const AbfsScanItem *item, const char *key);

/* A string member's value decoded (escapes, \u with surrogate pairs; a lone surrogate becomes
 * U+FFFD), newly allocated; NULL if m is NULL or not a string. A decoded NUL ends the C string, as
 * json_object_get_string() shows it. */
char *abfs_json_scan_string(const AbfsScanMember *m);

/* text[0, len) (one value the scanner accepted) without the blanks between tokens, newly
 * allocated and NUL-terminated. */
char *abfs_json_scan_compact(const char *text, gsize len);

#endif
