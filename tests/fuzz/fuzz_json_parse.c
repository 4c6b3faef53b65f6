/* tests/fuzz/fuzz_json_parse.c — libFuzzer harness for core/json_util.c: abfs_json_parse (the parser
 * of every JSON file written through the mount: configurations.json, settings.json, state.json,
 * catalog.json) and abfs_json_pretty (how every JSON file renders).
 *
 * Invariants: a value or an EINVAL error with a one-line message (JSON `null`, which json-c
 * represents as NULL, is refused with EINVAL); the pretty text ends with one newline and parses
 * back; sorted copies equal the original. abfs_json_parse uses json-c's strict mode; when the input
 * is accepted, the pretty text also parses back to an equal value (numbers as the doubles jq
 * prints them as, strings as printed) and pretty-prints to the same text again: the text is a
 * fixed point of abfs_json_pretty, as it is of `jq -S .` (tests/unit/test_json.c checks jq). */
#include "error.h"
#include "fuzz_common.h"
#include "json_util.h"

#include <errno.h>
#include <float.h>
#include <math.h>

static gboolean is_number(json_type t)
{
    return t == json_type_int || t == json_type_double;
}

/* A string as abfs_json_pretty() prints it, unescaped: bytes that are not UTF-8 become U+FFFD (as
 * jq reads them), everything else stays. */
static GString *as_printed(json_object *s)
{
    const char *p = json_object_get_string(s), *end = p + json_object_get_string_len(s);
    GString *out = g_string_new(NULL);
    while (p < end) {
        gunichar u = (guchar)*p < 0x80 ? (guchar)*p : g_utf8_get_char_validated(p, end - p);
        if (u == (gunichar)-1 || u == (gunichar)-2) {
            g_string_append(out, "\xef\xbf\xbd");
            p++;
        } else {
            const char *next = (guchar)*p < 0x80 ? p + 1 : g_utf8_next_char(p);
            g_string_append_len(out, p, next - p);
            p = next;
        }
    }
    return out;
}

/* json-c reads an integer literal past 64 bits as the nearest 64-bit bound: so it reads back a
 * double of 2^64 or more printed in full (84467440530709540000, as jq prints it). */
static gboolean saturated(double printed, json_object *read)
{
    if (!json_object_is_type(read, json_type_int))
        return FALSE;
    return (printed >= 18446744073709551616.0 && json_object_get_uint64(read) == G_MAXUINT64) ||
           (printed < -9223372036854775808.0 && json_object_get_int64(read) == G_MININT64);
}

/* TRUE if value holds a number json-c cannot read back from its printed digits (saturated()). */
static gboolean has_huge(json_object *value)
{
    switch (json_object_get_type(value)) {
    case json_type_double: {
        double x = fabs(json_object_get_double(value));
        return x >= 9223372036854775808.0 && !isnan(x);
    }
    case json_type_array:
        for (size_t i = 0; i < json_object_array_length(value); i++)
            if (has_huge(json_object_array_get_idx(value, i)))
                return TRUE;
        return FALSE;
    case json_type_object: {
        json_object_object_foreach(value, key, child) {
            (void)key;
            if (has_huge(child))
                return TRUE;
        }
        return FALSE;
    }
    default:
        return FALSE;
    }
}

/* The value of obj's last key that prints as printed, or NULL. */
static json_object *last_printed_as(json_object *obj, const char *printed)
{
    json_object *found = NULL;
    json_object_object_foreach(obj, key, value) {
        char *k = g_utf8_make_valid(key, -1);
        if (strcmp(k, printed) == 0)
            found = value;
        g_free(k);
    }
    return found;
}

/* How many keys obj has once printed. */
static guint printed_keys(json_object *obj)
{
    GHashTable *keys = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    json_object_object_foreach(obj, key, value) {
        (void)value;
        g_hash_table_add(keys, g_utf8_make_valid(key, -1));
    }
    guint n = g_hash_table_size(keys);
    g_hash_table_destroy(keys);
    return n;
}

/* TRUE if an object of value has keys that print the same (bytes that are not UTF-8 in distinct
 * keys, both printed as U+FFFD): the printed text keeps one of them, so it cannot equal value. */
static gboolean has_colliding_keys(json_object *value)
{
    if (json_object_is_type(value, json_type_array)) {
        for (size_t i = 0; i < json_object_array_length(value); i++)
            if (has_colliding_keys(json_object_array_get_idx(value, i)))
                return TRUE;
        return FALSE;
    }
    if (!json_object_is_type(value, json_type_object))
        return FALSE;
    if ((int)printed_keys(value) != json_object_object_length(value))
        return TRUE;
    json_object_object_foreach(value, key, child) {
        (void)key;
        if (has_colliding_keys(child))
            return TRUE;
    }
    return FALSE;
}

/* json_object_equal, except that numbers compare as the doubles they print as (abfs_json_pretty
 * prints every number as jq does, as a double: an integer past 2^53 reads back rounded, and
 * json-c reads the non-JSON "2e" as the double 2, which prints as "2" and reads back as the int
 * 2), NaN equals NaN (json-c reads NaN), and strings compare as they print (U+FFFD for bytes that
 * are not UTF-8). */
static gboolean equal(json_object *a, json_object *b)
{
    json_type ta = json_object_get_type(a), tb = json_object_get_type(b);
    if (is_number(ta) && is_number(tb)) { /* an infinity prints as ±DBL_MAX, as jq prints it */
        double x = CLAMP(json_object_get_double(a), -DBL_MAX, DBL_MAX);
        double y = CLAMP(json_object_get_double(b), -DBL_MAX, DBL_MAX);
        return (isnan(x) && isnan(y)) || x == y || saturated(x, b) || saturated(y, a);
    }
    if (ta == json_type_string && tb == json_type_string) {
        GString *x = as_printed(a), *y = as_printed(b);
        gboolean same = x->len == y->len && memcmp(x->str, y->str, x->len) == 0;
        g_string_free(x, TRUE);
        g_string_free(y, TRUE);
        return same;
    }
    if (ta != tb)
        return FALSE;
    switch (ta) {
    case json_type_array: {
        size_t n = json_object_array_length(a);
        if (n != json_object_array_length(b))
            return FALSE;
        for (size_t i = 0; i < n; i++)
            if (!equal(json_object_array_get_idx(a, i), json_object_array_get_idx(b, i)))
                return FALSE;
        return TRUE;
    }
    case json_type_object: {
        /* keys compare as they print (U+FFFD for bytes that are not UTF-8), and of keys that print
         * the same the last one is printed */
        if (printed_keys(a) != printed_keys(b))
            return FALSE;
        json_object_object_foreach(a, key, unused) {
            (void)unused;
            char *ka = g_utf8_make_valid(key, -1);
            json_object *va = last_printed_as(a, ka), *vb = last_printed_as(b, ka);
            g_free(ka);
            if (!vb || !equal(va, vb))
                return FALSE;
        }
        return TRUE;
    }
    default:
        return json_object_equal(a, b);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *input = fuzz_copy(data, size);
    GError *error = NULL;
    json_object *value = abfs_json_parse(input, size, &error);

    if (error) {
        FUZZ_CHECK(value == NULL, "a value and an error");
        FUZZ_CHECK(error->domain == ABFS_ERROR && error->code == EINVAL, "error %d", error->code);
        fuzz_check_error(error, "abfs_json_parse");
        g_error_free(error);
        g_free(input);
        return 0;
    }

    char *pretty = abfs_json_pretty(value);
    size_t plen = strlen(pretty);
    FUZZ_CHECK(plen >= 2 && pretty[plen - 1] == '\n' && pretty[plen - 2] != '\n',
               "pretty text does not end with exactly one newline");
    /* The JSON null literal is refused (EINVAL above): a value is never NULL here. */
    FUZZ_CHECK(value != NULL, "a NULL value without an error");

    /* The oracle: is the input JSON, by json-c's strict parser? */
    json_tokener *tok = json_tokener_new_ex(64);
    json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
    json_object *strict = json_tokener_parse_ex(tok, input, (int)MIN(size + 1, (size_t)G_MAXINT));
    gboolean is_json = json_tokener_get_error(tok) == json_tokener_success;
    size_t end = json_tokener_get_parse_end(tok);
    for (size_t i = MIN(end, size); is_json && i < size; i++)
        is_json = g_ascii_isspace(input[i]);
    json_tokener_free(tok);
    if (is_json)
        FUZZ_CHECK(equal(value, strict), "the strict parser reads another value");
    json_object_put(strict);

    /* Keys that print the same leave one in the text: nothing to compare the text with. */
    if (has_colliding_keys(value))
        is_json = FALSE;
    json_object *sorted = abfs_json_sorted_copy(value);
    FUZZ_CHECK(is_json ? equal(value, sorted) : TRUE, "sorted copy differs from the value");

    GError *again_error = NULL;
    json_object *again = abfs_json_parse(pretty, plen, &again_error);
    FUZZ_CHECK(again_error == NULL, "pretty output does not parse back: %s\n%s", again_error->message, pretty);
    char *pretty2 = abfs_json_pretty(again);
    if (is_json) {
        FUZZ_CHECK(equal(value, again), "pretty output parses back to a different value:\n%s", pretty);
        /* what json-c saturated when reading the text back prints otherwise */
        if (!has_huge(value))
            FUZZ_CHECK(strcmp(pretty, pretty2) == 0, "pretty printing is not stable:\n%s\n---\n%s", pretty, pretty2);
    }

    g_free(pretty2);
    json_object_put(again);
    json_object_put(sorted);
    g_free(pretty);
    json_object_put(value);
    g_free(input);
    return 0;
}
