/* stream_names.c — labels of streams in the tree (stream_names.h). */
#include "stream_names.h"
#include "json_util.h"
#include "names.h"

#include <string.h>

GPtrArray *abfs_stream_labels(json_object *streams, const char *name_key, const char *namespace_key)
{
    GPtrArray *labels = g_ptr_array_new_with_free_func(g_free);
    gsize n = json_object_is_type(streams, json_type_array) ? json_object_array_length(streams) : 0;
    GHashTable *count = g_hash_table_new(g_str_hash, g_str_equal);
    for (gsize i = 0; i < n; i++) {
        const char *name = abfs_json_string(json_object_array_get_idx(streams, i), name_key);
        if (name)
            g_hash_table_insert(count, (gpointer)name,
                                GUINT_TO_POINTER(GPOINTER_TO_UINT(g_hash_table_lookup(count, name)) + 1));
    }
    for (gsize i = 0; i < n; i++) {
        json_object *s = json_object_array_get_idx(streams, i);
        const char *name = abfs_json_string(s, name_key);
        const char *ns = abfs_json_string(s, namespace_key);
        gboolean shared = name && GPOINTER_TO_UINT(g_hash_table_lookup(count, name)) > 1;
        char *raw = shared && ns && *ns ? g_strdup_printf("%s.%s", ns, name) : g_strdup(name ? name : "");
        g_ptr_array_add(labels, *raw ? abfs_safe_name(raw) : g_strdup(""));
        g_free(raw);
    }
    g_hash_table_destroy(count);
    return labels;
}

int abfs_stream_find(json_object *streams, const char *name_key, const char *namespace_key, const char *label)
{
    GPtrArray *labels = abfs_stream_labels(streams, name_key, namespace_key);
    int found = -1;
    for (guint i = 0; i < labels->len && found < 0; i++)
        if (*label && strcmp(g_ptr_array_index(labels, i), label) == 0)
            found = (int)i;
    g_ptr_array_free(labels, TRUE);
    return found;
}
