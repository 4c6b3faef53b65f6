/* resources.c — paginated listing and the reads of workspaces and connections (resources.h). */
#include "resources.h"
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

gboolean abfs_id_is_safe(const char *id)
{
    if (!id || !*id)
        return FALSE;
    gsize n = strlen(id);
    gboolean digits = n <= 20;
    for (gsize i = 0; i < n && digits; i++)
        digits = g_ascii_isdigit(id[i]);
    if (digits)
        return TRUE;
    if (n != 36)
        return FALSE;
    for (gsize i = 0; i < n; i++) {
        gboolean dash = i == 8 || i == 13 || i == 18 || i == 23;
        if (dash ? id[i] != '-' : !g_ascii_isxdigit(id[i]))
            return FALSE;
    }
    return TRUE;
}

gboolean abfs_list_all(AbfsClient *client, const char *path, const char *query, GPtrArray **items,
                       guint *pages, GError **error)
{
    GPtrArray *all = g_ptr_array_new_with_free_func(abfs_json_free);
    guint requests = 0;
    for (guint64 offset = 0;; offset += ABFS_PAGE_LIMIT) {
        char *page_path = g_strdup_printf("%s?%s%slimit=%d&offset=%" G_GUINT64_FORMAT, path,
                                          query ? query : "", query && *query ? "&" : "",
                                          ABFS_PAGE_LIMIT, offset);
        json_object *page = NULL, *data = NULL;
        gboolean ok = abfs_client_call(client, ABFS_API_PUBLIC, "GET", page_path, NULL,
                                       ABFS_CALL_IDEMPOTENT, &page, error);
        requests++;
        g_free(page_path);
        if (!ok) {
            g_ptr_array_free(all, TRUE);
            return FALSE;
        }
        if (!json_object_object_get_ex(page, "data", &data) || !json_object_is_type(data, json_type_array)) {
            g_set_error(error, ABFS_ERROR, EIO, "GET %s: the answer has no `data` array", path);
            json_object_put(page);
            g_ptr_array_free(all, TRUE);
            return FALSE;
        }
        size_t n = json_object_array_length(data);
        for (size_t i = 0; i < n; i++)
            g_ptr_array_add(all, json_object_get(json_object_array_get_idx(data, i)));
        json_object_put(page);
        if (n < ABFS_PAGE_LIMIT)
            break;
    }
    if (pages)
        *pages = requests;
    *items = all;
    return TRUE;
}

json_object *abfs_workspace_get(AbfsClient *client, const char *workspace_id, GError **error)
{
    if (!abfs_id_is_safe(workspace_id)) {
        g_set_error(error, ABFS_ERROR, EINVAL, "workspace id %s is not a UUID", workspace_id);
        return NULL;
    }
    char *path = g_strdup_printf("/workspaces/%s", workspace_id);
    json_object *ws = NULL;
    GError *err = NULL;
    if (!abfs_client_call(client, ABFS_API_PUBLIC, "GET", path, NULL, ABFS_CALL_IDEMPOTENT, &ws, &err)) {
        if (err->code == ENOENT)
            g_prefix_error(&err, "workspace %s not found: ", workspace_id);
        g_propagate_error(error, err);
    } else if (!ws || !json_object_is_type(ws, json_type_object)) {
        g_set_error(error, ABFS_ERROR, EIO, "GET %s: the answer is not a workspace", path);
        json_object_put(ws);
        ws = NULL;
    }
    g_free(path);
    return ws;
}

static gboolean member_is(json_object *obj, const char *key, json_type type, gboolean required)
{
    json_object *v;
    if (!json_object_object_get_ex(obj, key, &v) || json_object_is_type(v, json_type_null))
        return !required;
    return json_object_is_type(v, type);
}

gboolean abfs_connection_check(json_object *conn, GError **error)
{
    if (!conn || !json_object_is_type(conn, json_type_object)) {
        g_set_error(error, ABFS_ERROR, EIO, "a connection in the answer is not a JSON object");
        return FALSE;
    }
    const char *id = abfs_json_string(conn, "connectionId");
    if (!abfs_id_is_safe(id)) {
        g_set_error(error, ABFS_ERROR, EIO, "a connection has an id that is not a UUID");
        return FALSE;
    }
    static const struct {
        const char *key;
        json_type type;
        gboolean required;
    } members[] = {
        {"name", json_type_string, TRUE},
        {"sourceId", json_type_string, TRUE},
        {"destinationId", json_type_string, TRUE},
        {"workspaceId", json_type_string, TRUE},
        {"status", json_type_string, TRUE},
        {"schedule", json_type_object, TRUE},
        {"configurations", json_type_object, FALSE},
        {"prefix", json_type_string, FALSE},
        {"namespaceDefinition", json_type_string, FALSE},
        {"namespaceFormat", json_type_string, FALSE},
        {"nonBreakingSchemaUpdatesBehavior", json_type_string, FALSE},
    };
    for (gsize i = 0; i < G_N_ELEMENTS(members); i++)
        if (!member_is(conn, members[i].key, members[i].type, members[i].required)) {
            g_set_error(error, ABFS_ERROR, EIO, "connection %s: `%s` is missing or has the wrong type",
                        id, members[i].key);
            return FALSE;
        }
    return TRUE;
}

gboolean abfs_connections_list(AbfsClient *client, const char *workspace_id, GPtrArray **items,
                               GError **error)
{
    char *query = g_strdup_printf("workspaceIds=%s", workspace_id);
    GPtrArray *all = NULL;
    gboolean ok = abfs_list_all(client, "/connections", query, &all, NULL, error);
    g_free(query);
    if (!ok)
        return FALSE;
    GPtrArray *kept = g_ptr_array_new_full(all->len, abfs_json_free);
    for (guint i = 0; i < all->len; i++) {
        json_object *conn = g_ptr_array_index(all, i);
        GError *err = NULL;
        if (!abfs_connection_check(conn, &err)) {
            g_warning("skipping a connection: %s", err->message);
            g_error_free(err);
            continue;
        }
        if (g_strcmp0(abfs_json_string(conn, "workspaceId"), workspace_id) != 0)
            continue;
        g_ptr_array_add(kept, json_object_get(conn));
    }
    g_ptr_array_free(all, TRUE);
    *items = kept;
    return TRUE;
}

json_object *abfs_connection_get(AbfsClient *client, const char *workspace_id,
                                 const char *connection_id, GError **error)
{
    if (!abfs_id_is_safe(connection_id)) {
        g_set_error(error, ABFS_ERROR, ENOENT, "%s is not a connection id", connection_id);
        return NULL;
    }
    char *path = g_strdup_printf("/connections/%s", connection_id);
    json_object *conn = NULL;
    gboolean ok = abfs_client_call(client, ABFS_API_PUBLIC, "GET", path, NULL, ABFS_CALL_IDEMPOTENT,
                                   &conn, error);
    g_free(path);
    if (!ok)
        return NULL;
    if (!abfs_connection_check(conn, error)) {
        json_object_put(conn);
        return NULL;
    }
    if (g_strcmp0(abfs_json_string(conn, "workspaceId"), workspace_id) != 0) {
        g_set_error(error, ABFS_ERROR, ENOENT, "connection %s belongs to another workspace", connection_id);
        json_object_put(conn);
        return NULL;
    }
    return conn;
}

json_object *abfs_connection_patch(AbfsClient *client, const char *workspace_id,
                                   const char *connection_id, json_object *patch, GError **error)
{
    char *path = g_strdup_printf("/connections/%s", connection_id);
    json_object *conn = NULL;
    /* The same PATCH sent twice leaves the same result: safe to retry. */
    gboolean ok = abfs_client_call(client, ABFS_API_PUBLIC, "PATCH", path, patch, ABFS_CALL_IDEMPOTENT,
                                   &conn, error);
    g_free(path);
    if (!ok)
        return NULL;
    if (!abfs_connection_check(conn, error)) {
        json_object_put(conn);
        return NULL;
    }
    if (g_strcmp0(abfs_json_string(conn, "workspaceId"), workspace_id) != 0) {
        g_set_error(error, ABFS_ERROR, ENOENT, "connection %s belongs to another workspace", connection_id);
        json_object_put(conn);
        return NULL;
    }
    return conn;
}

gboolean abfs_connection_delete(AbfsClient *client, const char *connection_id, GError **error)
{
    char *path = g_strdup_printf("/connections/%s", connection_id);
    gboolean ok = abfs_client_call(client, ABFS_API_PUBLIC, "DELETE", path, NULL, ABFS_CALL_DEFAULT, NULL, error);
    g_free(path);
    return ok;
}
