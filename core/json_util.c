/* json_util.c — stable pretty printing and strict parsing of JSON (json_util.h). */
#include "json_util.h"
#include "error.h"

#include "text.h"

#include <errno.h>
#include <float.h>
#include <math.h>
#include <string.h>

void abfs_json_free(gpointer value)
{
    json_object_put(value);
}

const char *abfs_json_string(json_object *obj, const char *key)
{
    json_object *v;
    if (obj && json_object_is_type(obj, json_type_object) && json_object_object_get_ex(obj, key, &v) &&
        json_object_is_type(v, json_type_string))
        return json_object_get_string(v);
    return NULL;
}

static int compare_keys(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

json_object *abfs_json_sorted_copy(json_object *value)
{
    switch (json_object_get_type(value)) {
    case json_type_object: {
        GPtrArray *keys = g_ptr_array_new();
        json_object_object_foreach (value, key, child) {
            (void)child;
            g_ptr_array_add(keys, key);
        }
        if (keys->len > 1) /* pdata is NULL when empty */
            qsort(keys->pdata, keys->len, sizeof(gpointer), compare_keys);
        json_object *copy = json_object_new_object();
        for (guint i = 0; i < keys->len; i++) {
            const char *key = g_ptr_array_index(keys, i);
            json_object_object_add(copy, key, abfs_json_sorted_copy(json_object_object_get(value, key)));
        }
        g_ptr_array_free(keys, TRUE);
        return copy;
    }
    case json_type_array: {
        size_t n = json_object_array_length(value);
        json_object *copy = json_object_new_array_ext((int)n);
        for (size_t i = 0; i < n; i++)
            json_object_array_add(copy, abfs_json_sorted_copy(json_object_array_get_idx(value, i)));
        return copy;
    }
    default: {
        /* A copy, not a reference: the value may be shared with other threads, and json-c's
         * reference counts are not atomic. */
        json_object *copy = NULL;
        json_object_deep_copy(value, &copy, NULL);
        return copy;
    }
    }
}

/* ---- pretty printing, byte for byte as `jq -S .` (jq 1.6) prints ---- */

/* A JSON string as jq writes it: `"` and `\` escaped, \b \f \n \r \t for those, \u00xx for the
 * other control characters and DEL, "/" and non-ASCII as they are. Bytes that are not UTF-8 become
 * U+FFFD, as jq reads them, so the text is valid UTF-8 and jq leaves it unchanged. */
static void append_string(GString *out, const char *s, gsize len)
{
    g_string_append_c(out, '"');
    const char *p = s, *end = s + len;
    while (p < end) {
        guchar c = (guchar)*p;
        if (c >= 0x80) {
            gunichar u = g_utf8_get_char_validated(p, end - p);
            if (u == (gunichar)-1 || u == (gunichar)-2) {
                g_string_append(out, "\xef\xbf\xbd");
                p++;
            } else {
                const char *next = g_utf8_next_char(p);
                g_string_append_len(out, p, next - p);
                p = next;
            }
            continue;
        }
        switch (c) {
        case '"': g_string_append(out, "\\\""); break;
        case '\\': g_string_append(out, "\\\\"); break;
        case '\b': g_string_append(out, "\\b"); break;
        case '\f': g_string_append(out, "\\f"); break;
        case '\n': g_string_append(out, "\\n"); break;
        case '\r': g_string_append(out, "\\r"); break;
        case '\t': g_string_append(out, "\\t"); break;
        default:
            if (abfs_char_is_control(c))
                g_string_append_printf(out, "\\u%04x", c);
            else
                g_string_append_c(out, (char)c);
        }
        p++;
    }
    g_string_append_c(out, '"');
}

/* A number as jq 1.6 writes it: every number is a double (so integers past 2^53 round as they do
 * in jq), printed with the fewest digits that read back to it, in plain notation unless the
 * exponent is below -4 or the digits would need more than 15 zeros after them; then d.ddde±XX.
 * NaN prints as null and the infinities as ±DBL_MAX, like jq; -0 prints as 0. */
static void append_number(GString *out, double d)
{
    if (isnan(d)) {
        g_string_append(out, "null");
        return;
    }
    d = CLAMP(d, -DBL_MAX, DBL_MAX);
    if (d == 0) { /* -0 too, which jq prints as "-0": json-c reads "-0" back as the integer 0 */
        g_string_append(out, "0");
        return;
    }
    char buf[G_ASCII_DTOSTR_BUF_SIZE];
    for (int precision = 0; precision <= 16; precision++) {
        char format[8];
        g_snprintf(format, sizeof format, "%%.%de", precision);
        g_ascii_formatd(buf, sizeof buf, format, d);
        if (g_ascii_strtod(buf, NULL) == d)
            break;
    }
    /* buf: [-]d[.ddd]e±XX → its digits and the position of the decimal point */
    const char *p = buf;
    if (*p == '-') {
        g_string_append_c(out, '-');
        p++;
    }
    char digits[32];
    gsize nd = 0;
    for (; *p && *p != 'e' && nd < sizeof digits - 1; p++)
        if (g_ascii_isdigit(*p))
            digits[nd++] = *p;
    while (nd > 1 && digits[nd - 1] == '0')
        nd--;
    digits[nd] = '\0';
    int decpt = (*p == 'e' ? (int)g_ascii_strtoll(p + 1, NULL, 10) : 0) + 1;
    if (decpt <= -4 || decpt > (int)nd + 15) {
        g_string_append_c(out, digits[0]);
        if (nd > 1) {
            g_string_append_c(out, '.');
            g_string_append(out, digits + 1);
        }
        g_string_append_printf(out, "e%c%02d", decpt - 1 < 0 ? '-' : '+', ABS(decpt - 1));
    } else if (decpt <= 0) {
        g_string_append(out, "0.");
        for (int i = decpt; i < 0; i++)
            g_string_append_c(out, '0');
        g_string_append(out, digits);
    } else {
        for (int i = 0; i < MAX(decpt, (int)nd); i++) {
            if (i == decpt)
                g_string_append_c(out, '.');
            g_string_append_c(out, i < (int)nd ? digits[i] : '0');
        }
    }
}

typedef struct {
    char *printed; /* the key as jq reads it (U+FFFD for bytes that are not UTF-8): what it sorts by */
    json_object *value;
    int index; /* in the object's order: of keys that print the same, jq keeps the last */
} Member;

static int compare_members(const void *a, const void *b)
{
    const Member *x = a, *y = b;
    int c = strcmp(x->printed, y->printed);
    return c ? c : x->index - y->index;
}

static void indent(GString *out, guint depth)
{
    for (guint i = 0; i < depth; i++)
        g_string_append(out, "  ");
}

/* value reads only: other threads may read the same value meanwhile. */
static void append_value(GString *out, json_object *value, guint depth)
{
    switch (json_object_get_type(value)) {
    case json_type_null: g_string_append(out, "null"); break;
    case json_type_boolean: g_string_append(out, json_object_get_boolean(value) ? "true" : "false"); break;
    case json_type_int:
    case json_type_double: append_number(out, json_object_get_double(value)); break;
    case json_type_string:
        append_string(out, json_object_get_string(value), (gsize)json_object_get_string_len(value));
        break;
    case json_type_array: {
        size_t n = json_object_array_length(value);
        if (n == 0) {
            g_string_append(out, "[]");
            break;
        }
        g_string_append(out, "[\n");
        for (size_t i = 0; i < n; i++) {
            indent(out, depth + 1);
            append_value(out, json_object_array_get_idx(value, i), depth + 1);
            g_string_append(out, i + 1 < n ? ",\n" : "\n");
        }
        indent(out, depth);
        g_string_append_c(out, ']');
        break;
    }
    case json_type_object: {
        int n = json_object_object_length(value);
        if (n == 0) {
            g_string_append(out, "{}");
            break;
        }
        Member *members = g_new(Member, n);
        int count = 0;
        json_object_object_foreach (value, key, child) {
            if (count == n)
                break;
            members[count].printed = g_utf8_make_valid(key, -1);
            members[count].index = count;
            members[count++].value = child;
        }
        qsort(members, (size_t)count, sizeof *members, compare_members);
        int last = count - 1;
        while (last > 0 && strcmp(members[last].printed, members[last - 1].printed) == 0)
            last--; /* the first of the last run of equal keys: where the final comma is not */
        g_string_append(out, "{\n");
        for (int i = 0; i < count; i++) {
            if (i + 1 < count && strcmp(members[i].printed, members[i + 1].printed) == 0) {
                g_free(members[i].printed); /* another key prints the same: the later one wins */
                continue;
            }
            indent(out, depth + 1);
            append_string(out, members[i].printed, strlen(members[i].printed));
            g_string_append(out, ": ");
            append_value(out, members[i].value, depth + 1);
            g_string_append(out, i < last ? ",\n" : "\n");
            g_free(members[i].printed);
        }
        g_free(members);
        indent(out, depth);
        g_string_append_c(out, '}');
        break;
    }
    }
}

char *abfs_json_pretty(json_object *value)
{
    GString *out = g_string_new(NULL);
    append_value(out, value, 0);
    g_string_append_c(out, '\n');
    return g_string_free(out, FALSE);
}

char *abfs_json_compact(json_object *value)
{
    return g_strdup(json_object_to_json_string_ext(value, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
}

guint abfs_json_depth(json_object *value)
{
    guint deepest = 0;
    if (json_object_is_type(value, json_type_object)) {
        json_object_object_foreach (value, key, child) {
            (void)key;
            guint d = abfs_json_depth(child); /* not inside MAX(): it would recurse twice */
            deepest = MAX(deepest, d);
        }
        return deepest + 1;
    }
    if (json_object_is_type(value, json_type_array)) {
        size_t n = json_object_array_length(value);
        for (size_t i = 0; i < n; i++) {
            guint d = abfs_json_depth(json_object_array_get_idx(value, i));
            deepest = MAX(deepest, d);
        }
        return deepest + 1;
    }
    return 0;
}

json_object *abfs_json_parse_trusted(const char *text)
{
    /* Text the store keeps fits in ABFS_JSON_MAX_DEPTH levels, whose parse stack (8 KiB) comes from
     * the heap; json-c's stack for ABFS_JSON_PARSE_DEPTH is 128 KiB, which malloc maps, the kernel
     * zeroes and malloc unmaps again at every parse: only deeper text pays for it. (A tokener is
     * not kept for reuse: json-c 0.16's reset leaves a half-read \\u escape's state behind, and
     * the next parse reads another value; fuzz_json_parse found it.) */
    for (int depth = ABFS_JSON_MAX_DEPTH + 1;; depth = ABFS_JSON_PARSE_DEPTH) {
        json_tokener *tok = json_tokener_new_ex(depth);
        json_object *value = json_tokener_parse_ex(tok, text, -1);
        enum json_tokener_error err = json_tokener_get_error(tok);
        json_tokener_free(tok);
        if (err == json_tokener_success)
            return value;
        json_object_put(value);
        if (err != json_tokener_error_depth || depth == ABFS_JSON_PARSE_DEPTH)
            return NULL;
    }
}

json_object *abfs_json_parse(const char *text, gsize len, GError **error)
{
    json_tokener *tok = json_tokener_new_ex(ABFS_JSON_MAX_DEPTH);
    json_tokener_set_flags(tok, JSON_TOKENER_STRICT); /* what users write must be real JSON */
    /* Including the terminating NUL lets a bare top-level number end. */
    json_object *value = json_tokener_parse_ex(tok, text, (int)MIN(len + 1, (gsize)G_MAXINT));
    enum json_tokener_error jerr = json_tokener_get_error(tok);
    size_t end = json_tokener_get_parse_end(tok);
    json_tokener_free(tok);
    if (jerr == json_tokener_continue) {
        g_set_error(error, ABFS_ERROR, EINVAL, "invalid JSON: the text ends too early");
        json_object_put(value);
        return NULL;
    }
    if (jerr != json_tokener_success) {
        g_set_error(error, ABFS_ERROR, EINVAL, "invalid JSON at byte %zu: %s", end, json_tokener_error_desc(jerr));
        json_object_put(value);
        return NULL;
    }
    if (!value) { /* the JSON literal null: valid JSON, but never a value of a file */
        g_set_error(error, ABFS_ERROR, EINVAL, "null is not a value this file takes");
        return NULL;
    }
    for (gsize i = MIN(end, len); i < len; i++)
        if (!g_ascii_isspace(text[i])) {
            g_set_error(error, ABFS_ERROR, EINVAL, "invalid JSON: unexpected text after the value at byte %zu", i);
            json_object_put(value);
            return NULL;
        }
    return value;
}

gboolean abfs_json_is_complete(const char *text, gsize len)
{
    if (len == 0 || text[len - 1] != '\n')
        return FALSE;
    json_object *value = abfs_json_parse(text, len, NULL);
    gboolean whole = value != NULL;
    json_object_put(value);
    return whole;
}
