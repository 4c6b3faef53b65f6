/* names.c — safe, distinct link names for connections (names.h). */
#include "names.h"
#include "text.h"

#include <string.h>

char *abfs_safe_name(const char *name)
{
    GString *out = g_string_new(NULL);
    const char *p = name ? name : "";
    if (!g_utf8_validate(p, -1, NULL))
        p = "";
    for (; *p; p = g_utf8_next_char(p)) {
        gunichar c = g_utf8_get_char(p);
        if (c == '/')
            g_string_append(out, "\u2215");
        else if (abfs_char_is_control(c))
            g_string_append(out, "\uFFFD");
        else
            g_string_append_unichar(out, c);
    }
    if (out->len == 0 || strcmp(out->str, ".") == 0 || strcmp(out->str, "..") == 0)
        g_string_prepend(out, "\u2219");
    if (out->len > 200) {
        const char *end = g_utf8_find_prev_char(out->str, out->str + 201);
        g_string_truncate(out, (gsize)(end - out->str));
    }
    return g_string_free(out, FALSE);
}

GHashTable *abfs_by_name_table(guint n, const char *const *ids, const char *const *names)
{
    GHashTable *counts = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    char **safe = g_new0(char *, n);
    for (guint i = 0; i < n; i++) {
        safe[i] = abfs_safe_name(names[i]);
        guint c = GPOINTER_TO_UINT(g_hash_table_lookup(counts, safe[i]));
        g_hash_table_replace(counts, g_strdup(safe[i]), GUINT_TO_POINTER(c + 1));
    }
    GHashTable *table = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    for (guint i = 0; i < n; i++) {
        const char *id = ids[i];
        char *link = GPOINTER_TO_UINT(g_hash_table_lookup(counts, safe[i])) > 1
                         ? g_strdup_printf("%s [%s]", safe[i], id)
                         : g_strdup(safe[i]);
        g_hash_table_replace(table, link, g_strdup(id));
        g_free(safe[i]);
    }
    g_free(safe);
    g_hash_table_destroy(counts);
    return table;
}
