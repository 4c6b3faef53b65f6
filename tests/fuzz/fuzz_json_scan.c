/* tests/fuzz/fuzz_json_scan.c — libFuzzer harness for core/json_scan.c, the scanner that reads list
 * pages without json-c, checked against json-c's strict parser (the differential oracle).
 *
 * Invariants: the scanner accepts a text exactly when json-c's strict mode parses it as one object
 * with one `data` array (a text with two `data` members, which json-c reads as the last, is refused
 * with EPROTO; so is any other shape of valid JSON), except numbers that RFC 8259 does not allow
 * and json-c takes ("02", "4."), which the scanner refuses; an accepted text's item count is the array's
 * length, and each item's compact text parses with json-c to a value equal to json-c's item, with
 * a depth at least abfs_json_depth's (equal
 * without repeated keys); each member of an object item has json-c's type (numbers: int
 * for json-c's int, allowing json-c's double for an integer too big for 64 bits) and, for strings,
 * json-c's decoded value (up to a NUL). A refused text gives a one-line error. */
#include "error.h"
#include "fuzz_common.h"
#include "json_scan.h"
#include "json_util.h"

#include <errno.h>

typedef struct {
    json_object *data; /* json-c's `data` array, when it parsed */
    gsize index;
    char *mismatch; /* the first difference from json-c's items (checked once the scan is accepted:
                       items seen before a refusal, e.g. of a second `data`, may differ) */
} Check;

#define NOTE(cond, ...)                                                                                                \
    do {                                                                                                               \
        if (!(cond) && !c->mismatch) {                                                                                 \
            char *what_ = g_strdup_printf(__VA_ARGS__);                                                                \
            c->mismatch = g_strdup_printf("%s:%d: %s: %s", __FILE__, __LINE__, #cond, what_);                          \
            g_free(what_);                                                                                             \
        }                                                                                                              \
    } while (0)

static gboolean numeric(json_type t)
{
    return t == json_type_int || t == json_type_double;
}

static void check_item(const AbfsScanItem *item, gpointer user)
{
    Check *c = user;
    json_object *want = c->data ? json_object_array_get_idx(c->data, c->index) : NULL;
    c->index++;
    NOTE(c->data != NULL, "the scanner found items where json-c found none");
    NOTE(!c->data || c->index <= json_object_array_length(c->data), "more items than json-c's array has");
    if (c->mismatch)
        return;
    char *compact = abfs_json_scan_compact(item->text, item->len);
    json_tokener *tok = json_tokener_new_ex(ABFS_JSON_PARSE_DEPTH);
    json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
    json_object *got = json_tokener_parse_ex(tok, compact, (int)strlen(compact) + 1); /* the NUL ends a number */
    NOTE(json_tokener_get_error(tok) == json_tokener_success, "an item's compact text does not parse: %s", compact);
    json_tokener_free(tok);
    NOTE(json_object_equal(got, want), "item %zu differs from json-c's: %s", c->index - 1, compact);
    /* the text's depth: at least the tree's (json-c drops a repeated key's earlier values) */
    NOTE(item->depth >= abfs_json_depth(want), "item depth %u, json-c's %u", item->depth, abfs_json_depth(want));
    NOTE(item->type == json_object_get_type(want) ||
             (item->type == json_type_int && json_object_get_type(want) == json_type_double) ||
             (item->type == json_type_null && want == NULL),
         "item type %d, json-c's %d", item->type, json_object_get_type(want));
    NOTE((item->n_members > 0) == (json_object_is_type(want, json_type_object) && json_object_object_length(want) > 0),
         "members listed for an item that has none, or none for one that has");
    if (json_object_is_type(want, json_type_object)) {
        json_object_object_foreach (want, key, value) {
            const AbfsScanMember *m = abfs_json_scan_member(item, key);
            NOTE(m != NULL, "member %s not found", key);
            if (!m)
                continue;
            json_type t = json_object_get_type(value);
            NOTE(m->type == t || (numeric(m->type) && numeric(t) && m->type == json_type_int) ||
                     (m->type == json_type_null && value == NULL),
                 "member %s: type %d, json-c's %d", key, m->type, t);
            char *s = abfs_json_scan_string(m);
            NOTE((s != NULL) == (t == json_type_string), "member %s: a string only for a string", key);
            if (s)
                NOTE(strcmp(s, json_object_get_string(value)) == 0, "member %s decodes to %s, json-c's %s", key, s,
                     json_object_get_string(value));
            g_free(s);
        }
    }
    json_object_put(got);
    g_free(compact);
}

int LLVMFuzzerTestOneInput(const uint8_t *bytes, size_t size)
{
    char *text = fuzz_copy(bytes, size);
    json_tokener *tok = json_tokener_new_ex(ABFS_JSON_PARSE_DEPTH);
    json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
    json_object *tree = json_tokener_parse_ex(tok, text, (int)size);
    gboolean parsed =
        json_tokener_get_error(tok) == json_tokener_success && (size_t)json_tokener_get_parse_end(tok) <= size;
    if (parsed) /* only blanks may follow */
        for (size_t i = (size_t)json_tokener_get_parse_end(tok); i < size; i++)
            parsed = parsed && (text[i] == ' ' || text[i] == '\n' || text[i] == '\r' || text[i] == '\t');
    json_tokener_free(tok);
    json_object *data = NULL;
    gboolean page = parsed && json_object_is_type(tree, json_type_object) &&
                    json_object_object_get_ex(tree, "data", &data) && json_object_is_type(data, json_type_array);

    Check c = {page ? data : NULL, 0, NULL};
    gsize count = 0;
    GError *err = NULL;
    gboolean ok = abfs_json_scan_items(text, size, "data", ABFS_JSON_PARSE_DEPTH, check_item, &c, &count, &err);
    if (ok) {
        FUZZ_CHECK(!c.mismatch, "%s", c.mismatch);
        FUZZ_CHECK(page, "the scanner accepted what json-c's strict mode does not read as a page");
        FUZZ_CHECK(count == json_object_array_length(data), "%zu items, json-c's %zu", count,
                   json_object_array_length(data));
    } else {
        fuzz_check_error(err, "abfs_json_scan_items");
        FUZZ_CHECK(err->code == EBADMSG || err->code == EPROTO, "error code %d", err->code);
        /* Numbers are the one place the scanner is stricter than json-c (RFC 8259: no "02", no "4.") */
        gboolean number = strstr(err->message, "number") != NULL;
        FUZZ_CHECK(!page || err->code == EPROTO || number, "json-c reads a page the scanner calls not JSON: %s",
                   err->message);
        FUZZ_CHECK(!parsed || err->code == EPROTO || number, "json-c parses what the scanner calls not JSON: %s",
                   err->message);
        g_error_free(err);
    }
    g_free(c.mismatch);
    json_object_put(tree);
    g_free(text);
    return 0;
}
