/* json_util.c — stable pretty printing and strict parsing of JSON (json_util.h). */
#include "json_util.h"
#include "error.h"

#include <errno.h>
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
        json_object_object_foreach(value, key, child) {
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

char *abfs_json_pretty(json_object *value)
{
    json_object *sorted = abfs_json_sorted_copy(value);
    const char *text = json_object_to_json_string_ext(
        sorted, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED | JSON_C_TO_STRING_NOSLASHESCAPE);
    char *result = g_strconcat(text, "\n", NULL);
    json_object_put(sorted);
    return result;
}

char *abfs_json_compact(json_object *value)
{
    return g_strdup(json_object_to_json_string_ext(value, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
}

guint abfs_json_depth(json_object *value)
{
    guint deepest = 0;
    if (json_object_is_type(value, json_type_object)) {
        json_object_object_foreach(value, key, child) {
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
    json_tokener *tok = json_tokener_new_ex(ABFS_JSON_PARSE_DEPTH);
    json_object *value = json_tokener_parse_ex(tok, text, -1);
    if (json_tokener_get_error(tok) != json_tokener_success) {
        json_object_put(value);
        value = NULL;
    }
    json_tokener_free(tok);
    return value;
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
        g_set_error(error, ABFS_ERROR, EINVAL, "invalid JSON at byte %zu: %s", end,
                    json_tokener_error_desc(jerr));
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
