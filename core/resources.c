/* resources.c — paginated listing and the reads of workspaces and connections (resources.h). */
#include "resources.h"
#include "error.h"
#include "json_scan.h"
#include "json_util.h"

#include <errno.h>
#include <string.h>

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

/* One page request of a walk, run on a pool thread. */
typedef struct {
    AbfsClient *client;
    const char *path;
    const char *query;
    guint index;
    AbfsListItemFunc keep;      /* the page parsed into a tree; or */
    AbfsListScanFunc keep_scan; /* the page scanned (json_scan.h) */
    gpointer keep_data;
    GPtrArray *kept; /* what keep() made of the page's items */
    gsize count;     /* items on the page (kept or not) */
    GError *error;
    GAsyncQueue *done;
    gint64 deadline; /* the walk's operation deadline (client.h), for pool threads */
} PageTask;

static void keep_scanned(const AbfsScanItem *item, gpointer task)
{
    PageTask *t = task;
    gpointer v = t->keep_scan(item, t->keep_data);
    if (v)
        g_ptr_array_add(t->kept, v);
}

/* The page's text scanned into what the caller keeps, item by item: no tree is built. */
static void page_scan(PageTask *t, const char *page_path)
{
    GString *body = NULL;
    if (!abfs_client_call_text(t->client, ABFS_API_PUBLIC, "GET", page_path, NULL, ABFS_CALL_IDEMPOTENT, &body,
                               &t->error))
        return;
    GError *err = NULL;
    t->kept = g_ptr_array_new();
    if (!abfs_json_scan_items(body->str, body->len, "data", ABFS_JSON_PARSE_DEPTH, keep_scanned, t, &t->count, &err)) {
        if (err->code == EPROTO)
            g_set_error(&t->error, ABFS_ERROR, EIO, "GET %s: the answer has no `data` array (%s)", t->path, err->message);
        else
            g_set_error(&t->error, ABFS_ERROR, EIO, "GET %s: the server's answer is not valid JSON (%s)", page_path,
                        err->message);
        g_error_free(err);
    }
    g_string_free(body, TRUE);
}

static void page_fetch(gpointer task_ptr, gpointer unused)
{
    (void)unused;
    PageTask *t = task_ptr;
    char *page_path =
        g_strdup_printf("%s?%s%slimit=%d&offset=%" G_GUINT64_FORMAT, t->path, t->query ? t->query : "",
                        t->query && *t->query ? "&" : "", ABFS_PAGE_LIMIT, (guint64)t->index * ABFS_PAGE_LIMIT);
    json_object *page = NULL, *data = NULL;
    gint64 saved = abfs_client_deadline_set(t->deadline);
    if (t->keep_scan) {
        page_scan(t, page_path);
        abfs_client_deadline_set(saved);
        g_free(page_path);
        g_async_queue_push(t->done, t);
        return;
    }
    gboolean ok =
        abfs_client_call(t->client, ABFS_API_PUBLIC, "GET", page_path, NULL, ABFS_CALL_IDEMPOTENT, &page, &t->error);
    abfs_client_deadline_set(saved);
    if (ok) {
        if (json_object_object_get_ex(page, "data", &data) && json_object_is_type(data, json_type_array)) {
            /* The page's tree is turned into what the caller keeps right here, on the pool
             * thread, and freed: a walk never holds more than `parallel` parsed pages. */
            t->count = json_object_array_length(data);
            t->kept = g_ptr_array_new();
            for (gsize i = 0; i < t->count; i++) {
                json_object *item = json_object_array_get_idx(data, i);
                gpointer v = t->keep ? t->keep(item, t->keep_data) : json_object_get(item);
                if (v)
                    g_ptr_array_add(t->kept, v);
            }
        } else
            g_set_error(&t->error, ABFS_ERROR, EIO, "GET %s: the answer has no `data` array", t->path);
    }
    json_object_put(page);
    g_free(page_path);
    g_async_queue_push(t->done, t);
}

/* The walk of abfs_list_all_parallel() and abfs_list_scanned_parallel(): keep or keep_scan. */
static gboolean list_walk(AbfsClient *client, const char *path, const char *query, guint hint, guint parallel,
                          AbfsListItemFunc keep, AbfsListScanFunc keep_scan, gpointer keep_data,
                          GDestroyNotify free_kept, GPtrArray **items, guint *pages, GError **error)
{
    /* Pages believed to exist (from the hint) are fetched in parallel. Past them the walk starts
     * slow, as TCP does: one page, then two, four ... in flight per round trip, up to `parallel`.
     * A workspace of up to three pages costs exactly its pages; a big one reaches full speed in a
     * few round trips. The stop rule is always the same: the first short page is the last. */
    guint believed = hint ? hint / ABFS_PAGE_LIMIT + 1 : 0;
    guint window = CLAMP(parallel, 1, 64);
    GAsyncQueue *done = g_async_queue_new();
    GThreadPool *pool = window > 1 ? g_thread_pool_new(page_fetch, NULL, (gint)window, FALSE, NULL) : NULL;
    GHashTable *got = g_hash_table_new(g_direct_hash, g_direct_equal); /* index → PageTask */
    guint next = 0, in_flight = 0, stop = G_MAXUINT, requests = 0;
    /* Past the believed pages: generations of 1, 2, 4 ... pages, each launched once the one before
     * came back full, until a generation is `window` pages; from then on a page goes out whenever
     * one comes back. A generation's pages past the end are the only ones asked in vain, and the
     * count does not depend on which answer arrives first. */
    guint probing = 0, generation = 1, generation_end = believed + 1;
    gboolean sliding = window == 1;
    GError *first_error = NULL;
    gint64 saved_deadline = abfs_client_deadline_begin(client); /* the whole walk: one -o timeout */

    for (;;) {
        while (next < stop && in_flight < window) {
            gboolean probe = next >= believed;
            if (probe && !sliding) {
                if (in_flight > probing) /* the hinted pages first */
                    break;
                if (next >= generation_end) {
                    if (probing > 0) /* the generation is not all back */
                        break;
                    generation = MIN(generation * 2, window);
                    generation_end = next + generation;
                    sliding = generation == window;
                }
            }
            PageTask *t = g_new0(PageTask, 1);
            *t = (PageTask){client, path,     query, next++, keep, keep_scan, keep_data,
                            NULL,   0,        NULL,  done,   abfs_client_deadline()};
            in_flight++;
            probing += probe;
            requests++;
            /* A page that is the only one in flight runs on the caller's thread, where an
             * interrupt (Ctrl-C) is seen. */
            if (pool && !(probe && in_flight == 1 && next == believed + 1))
                g_thread_pool_push(pool, t, NULL);
            else
                page_fetch(t, NULL);
        }
        if (in_flight == 0)
            break;
        PageTask *t = g_async_queue_pop(done);
        in_flight--;
        if (t->index >= believed)
            probing--;
        g_hash_table_insert(got, GUINT_TO_POINTER(t->index), t);
        if (t->error) {
            if (!first_error)
                first_error = g_error_copy(t->error);
            stop = 0; /* launch nothing more; wait for what is in flight */
        } else if (t->count < ABFS_PAGE_LIMIT && t->index + 1 < stop)
            stop = t->index + 1;
    }
    if (pool)
        g_thread_pool_free(pool, FALSE, TRUE);
    g_async_queue_unref(done);
    abfs_client_deadline_end(saved_deadline);

    GPtrArray *all = first_error ? NULL : g_ptr_array_new_with_free_func(free_kept);
    for (guint i = 0; i < next; i++) {
        PageTask *t = g_hash_table_lookup(got, GUINT_TO_POINTER(i));
        for (guint k = 0; t->kept && k < t->kept->len; k++) {
            if (all && i < stop)
                g_ptr_array_add(all, g_ptr_array_index(t->kept, k));
            else if (free_kept)
                free_kept(g_ptr_array_index(t->kept, k));
        }
        if (t->kept)
            g_ptr_array_free(t->kept, TRUE);
        g_clear_error(&t->error);
        g_free(t);
    }
    g_hash_table_destroy(got);
    if (pages)
        *pages = requests;
    if (first_error) {
        g_propagate_error(error, first_error);
        return FALSE;
    }
    *items = all;
    return TRUE;
}

gboolean abfs_list_all_parallel(AbfsClient *client, const char *path, const char *query, guint hint, guint parallel,
                                AbfsListItemFunc keep, gpointer keep_data, GDestroyNotify free_kept, GPtrArray **items,
                                guint *pages, GError **error)
{
    return list_walk(client, path, query, hint, parallel, keep, NULL, keep_data, keep ? free_kept : abfs_json_free,
                     items, pages, error);
}

gboolean abfs_list_scanned_parallel(AbfsClient *client, const char *path, const char *query, guint hint,
                                    guint parallel, AbfsListScanFunc keep, gpointer keep_data, GDestroyNotify free_kept,
                                    GPtrArray **items, guint *pages, GError **error)
{
    return list_walk(client, path, query, hint, parallel, NULL, keep, keep_data, free_kept, items, pages, error);
}

gboolean abfs_list_all(AbfsClient *client, const char *path, const char *query, GPtrArray **items, guint *pages,
                       GError **error)
{
    return abfs_list_all_parallel(client, path, query, 0, 1, NULL, NULL, NULL, items, pages, error);
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

/* A connection as the checks see it: a json-c tree (an answer read alone), or an item of a
 * scanned list page (json_scan.h). */
typedef struct {
    json_object *tree;
    const AbfsScanItem *item;
} ConnView;

static gboolean view_is_object(const ConnView *v)
{
    return v->tree ? json_object_is_type(v->tree, json_type_object) : v->item->type == json_type_object;
}

/* The type of member key; FALSE if it is absent. */
static gboolean view_type(const ConnView *v, const char *key, json_type *type)
{
    if (v->tree) {
        json_object *m;
        if (!json_object_object_get_ex(v->tree, key, &m))
            return FALSE;
        *type = json_object_get_type(m);
        return TRUE;
    }
    const AbfsScanMember *m = abfs_json_scan_member(v->item, key);
    if (m)
        *type = m->type;
    return m != NULL;
}

/* String member key, newly allocated; NULL if absent or not a string. */
static char *view_string(const ConnView *v, const char *key)
{
    return v->tree ? g_strdup(abfs_json_string(v->tree, key)) : abfs_json_scan_string(abfs_json_scan_member(v->item, key));
}

static gboolean member_is(const ConnView *v, const char *key, json_type type, gboolean required)
{
    json_type t;
    if (!view_type(v, key, &t) || t == json_type_null)
        return !required;
    return t == type;
}

/* abfs_connection_check() of a view; *id_out (may be NULL) receives its id when it passes. */
static gboolean check_view(const ConnView *v, char **id_out, GError **error)
{
    if (!view_is_object(v)) {
        g_set_error(error, ABFS_ERROR, EIO, "a connection in the answer is not a JSON object");
        return FALSE;
    }
    char *id = view_string(v, "connectionId");
    gboolean ok = FALSE;
    if (!abfs_id_is_safe(id))
        g_set_error(error, ABFS_ERROR, EIO, "a connection has an id that is not a UUID");
    else if ((v->tree ? abfs_json_depth(v->tree) : v->item->depth) > ABFS_JSON_MAX_DEPTH) /* the store could not re-parse it */
        g_set_error(error, ABFS_ERROR, EIO, "connection %s nests deeper than %d levels", id, ABFS_JSON_MAX_DEPTH);
    else if (!member_is(v, "workspaceId", json_type_string, TRUE)) /* whose it is must be known */
        g_set_error(error, ABFS_ERROR, EIO, "connection %s: `workspaceId` is missing or has the wrong type", id);
    else
        ok = TRUE;
    if (ok && id_out)
        *id_out = id;
    else
        g_free(id);
    return ok;
}

gboolean abfs_connection_check(json_object *conn, GError **error)
{
    if (!conn) {
        g_set_error(error, ABFS_ERROR, EIO, "a connection in the answer is not a JSON object");
        return FALSE;
    }
    ConnView v = {conn, NULL};
    return check_view(&v, NULL, error);
}

static char *defects_of(const ConnView *v)
{
    static const struct {
        const char *key;
        json_type type;
        gboolean required;
    } members[] = {
        {"name", json_type_string, TRUE},
        {"sourceId", json_type_string, TRUE},
        {"destinationId", json_type_string, TRUE},
        {"status", json_type_string, TRUE},
        {"schedule", json_type_object, TRUE},
        {"configurations", json_type_object, FALSE},
        {"prefix", json_type_string, FALSE},
        {"namespaceDefinition", json_type_string, FALSE},
        {"namespaceFormat", json_type_string, FALSE},
        {"nonBreakingSchemaUpdatesBehavior", json_type_string, FALSE},
    };
    GString *out = NULL;
    for (gsize i = 0; i < G_N_ELEMENTS(members); i++)
        if (!member_is(v, members[i].key, members[i].type, members[i].required)) {
            if (!out)
                out = g_string_new(NULL);
            g_string_append_printf(out, "%s`%s`", out->len ? ", " : "", members[i].key);
        }
    return out ? g_string_free(out, FALSE) : NULL;
}

char *abfs_connection_defects(json_object *conn)
{
    ConnView v = {conn, NULL};
    return defects_of(&v);
}

/* What keep_connection() needs; pages are kept on several threads at once. */
typedef struct {
    const char *workspace_id;
    GMutex lock;
    GPtrArray *skipped; /* protected by lock */
} ConnectionWalk;

void abfs_listed_connection_free(gpointer listed)
{
    AbfsListedConnection *c = listed;
    if (!c)
        return;
    g_free(c->text);
    g_free(c->id);
    g_free(c->name);
    g_free(c->source_id);
    g_free(c->destination_id);
    g_free(c->tag_ids);
    g_free(c);
}

/* The ids of a connection's tags (its `tags` array), separated by spaces. */
static char *tag_ids_of(json_object *tags)
{
    GString *tag_ids = g_string_new(NULL);
    for (size_t i = 0; json_object_is_type(tags, json_type_array) && i < json_object_array_length(tags); i++) {
        const char *tid = abfs_json_string(json_object_array_get_idx(tags, i), "tagId");
        if (tid)
            g_string_append_printf(tag_ids, "%s%s", tag_ids->len ? " " : "", tid);
    }
    return g_string_free(tag_ids, FALSE);
}

AbfsListedConnection *abfs_listed_connection_of(json_object *conn, char *text)
{
    AbfsListedConnection *c = g_new0(AbfsListedConnection, 1);
    c->text = text ? text : abfs_json_compact(conn);
    c->id = g_strdup(abfs_json_string(conn, "connectionId"));
    c->name = g_strdup(abfs_json_string(conn, "name"));
    c->source_id = g_strdup(abfs_json_string(conn, "sourceId"));
    c->destination_id = g_strdup(abfs_json_string(conn, "destinationId"));
    c->tag_ids = tag_ids_of(json_object_object_get(conn, "tags"));
    json_object *created = json_object_object_get(conn, "createdAt");
    c->created_at = json_object_is_type(created, json_type_int) ? json_object_get_int64(created) : -1;
    return c;
}

/* The same from a scanned item (id: its checked id, taken). Only the tags, when there are any,
 * are parsed (a small array). */
static AbfsListedConnection *listed_connection_of_item(const AbfsScanItem *item, char *id)
{
    AbfsListedConnection *c = g_new0(AbfsListedConnection, 1);
    c->text = abfs_json_scan_compact(item->text, item->len);
    c->id = id;
    c->name = abfs_json_scan_string(abfs_json_scan_member(item, "name"));
    c->source_id = abfs_json_scan_string(abfs_json_scan_member(item, "sourceId"));
    c->destination_id = abfs_json_scan_string(abfs_json_scan_member(item, "destinationId"));
    const AbfsScanMember *tags = abfs_json_scan_member(item, "tags");
    json_object *tags_tree = NULL;
    if (tags && tags->type == json_type_array && memchr(tags->value, '{', tags->value_len)) {
        json_tokener *tok = json_tokener_new_ex(ABFS_JSON_MAX_DEPTH);
        tags_tree = json_tokener_parse_ex(tok, tags->value, (int)tags->value_len);
        json_tokener_free(tok);
    }
    c->tag_ids = tag_ids_of(tags_tree);
    json_object_put(tags_tree);
    const AbfsScanMember *created = abfs_json_scan_member(item, "createdAt");
    c->created_at = created && created->type == json_type_int ? g_ascii_strtoll(created->value, NULL, 10) : -1;
    return c;
}

/* Records a line of the walk's skipped connections. */
static void walk_skipped(ConnectionWalk *walk, char *line)
{
    g_mutex_lock(&walk->lock);
    if (!walk->skipped)
        walk->skipped = g_ptr_array_new_with_free_func(g_free);
    g_ptr_array_add(walk->skipped, line);
    g_mutex_unlock(&walk->lock);
}

/* keep() of the connection walk: a checked connection of the workspace (AbfsListedConnection). */
static gpointer keep_connection(const AbfsScanItem *item, gpointer data)
{
    ConnectionWalk *walk = data;
    ConnView v = {NULL, item};
    GError *err = NULL;
    char *id = NULL, *workspace = NULL;
    gpointer kept = NULL;
    if (!check_view(&v, &id, &err)) {
        walk_skipped(walk, g_strdup_printf("skipping a connection: %s", err->message));
        g_clear_error(&err);
    } else if (g_strcmp0(workspace = view_string(&v, "workspaceId"), walk->workspace_id) != 0)
        g_free(id);
    else {
        char *defects = defects_of(&v);
        if (defects) /* shown all the same: its files show what the connection has */
            walk_skipped(walk, g_strdup_printf("connection %s: %s missing or of the wrong type; its files show the rest",
                                               id, defects));
        g_free(defects);
        kept = listed_connection_of_item(item, id);
    }
    g_free(workspace);
    return kept;
}

gboolean abfs_connections_list(AbfsClient *client, const char *workspace_id, guint hint, guint parallel,
                               GPtrArray **items, GPtrArray **skipped, GError **error)
{
    char *query = g_strdup_printf("workspaceIds=%s", workspace_id);
    ConnectionWalk walk = {workspace_id, {0}, NULL};
    g_mutex_init(&walk.lock);
    gboolean ok = abfs_list_scanned_parallel(client, "/connections", query, hint, parallel, keep_connection, &walk,
                                             abfs_listed_connection_free, items, NULL, error);
    g_mutex_clear(&walk.lock);
    g_free(query);
    if (skipped)
        *skipped = walk.skipped;
    else if (walk.skipped)
        g_ptr_array_free(walk.skipped, TRUE);
    return ok;
}

/* GET or PATCH (body) of /connections/{id}: the checked connection, which must belong to the
 * workspace (ENOENT otherwise). Both are idempotent: the same PATCH twice leaves the same result. */
static json_object *connection_call(AbfsClient *client, const char *workspace_id, const char *connection_id,
                                    const char *method, json_object *body, GError **error)
{
    if (!abfs_id_is_safe(connection_id)) {
        g_set_error(error, ABFS_ERROR, ENOENT, "%s is not a connection id", connection_id);
        return NULL;
    }
    char *path = g_strdup_printf("/connections/%s", connection_id);
    json_object *conn = NULL;
    gboolean ok = abfs_client_call(client, ABFS_API_PUBLIC, method, path, body, ABFS_CALL_IDEMPOTENT, &conn, error);
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
    if (g_strcmp0(abfs_json_string(conn, "status"), "deprecated") == 0) { /* soft-deleted: gone */
        g_set_error(error, ABFS_ERROR, ENOENT, "connection %s was deleted", connection_id);
        json_object_put(conn);
        return NULL;
    }
    return conn;
}

json_object *abfs_connection_get(AbfsClient *client, const char *workspace_id, const char *connection_id,
                                 GError **error)
{
    return connection_call(client, workspace_id, connection_id, "GET", NULL, error);
}

json_object *abfs_connection_patch(AbfsClient *client, const char *workspace_id, const char *connection_id,
                                   json_object *patch, GError **error)
{
    return connection_call(client, workspace_id, connection_id, "PATCH", patch, error);
}

gboolean abfs_delete_checked(AbfsClient *client, const char *path, GError **error)
{
    gint64 saved = abfs_client_deadline_begin(client);
    gint64 deadline = abfs_client_deadline_keep_for_check();
    GError *err = NULL;
    gboolean ok = abfs_client_call(client, ABFS_API_PUBLIC, "DELETE", path, NULL, ABFS_CALL_DEFAULT, NULL, &err);
    abfs_client_deadline_set(deadline);
    if (!ok && abfs_error_outcome_unknown(err) && err->code != EINTR) {
        /* Was it deleted? A 404, or a connection the server now calls deprecated (soft-deleted). */
        json_object *now = NULL;
        GError *check_err = NULL;
        if (abfs_client_call(client, ABFS_API_PUBLIC, "GET", path, NULL, ABFS_CALL_IDEMPOTENT, &now, &check_err)) {
            if (g_strcmp0(abfs_json_string(now, "status"), "deprecated") == 0) {
                g_message("DELETE %s: the answer was lost (%s) but the server deleted it", path, err->message);
                g_clear_error(&err);
                ok = TRUE;
            } else if (abfs_error_may_act_later(err)) {
                char *what = g_strdup_printf("DELETE %s", path);
                GError *lost = err;
                err = NULL;
                abfs_error_set_unknown(&err, lost, what, "it is not deleted yet, but " ABFS_MAY_ACT_LATER);
                g_free(what);
            }
        } else if (check_err->code == ENOENT) {
            g_message("DELETE %s: the answer was lost (%s) but the server deleted it", path, err->message);
            g_clear_error(&err);
            ok = TRUE;
        } else {
            char *what = g_strdup_printf("DELETE %s", path);
            char *reason = g_strdup_printf("reading it to check failed too (%s)", check_err->message);
            GError *lost = err;
            err = NULL;
            abfs_error_set_unknown(&err, lost, what, reason);
            g_free(what);
            g_free(reason);
        }
        json_object_put(now);
        g_clear_error(&check_err);
    }
    if (err)
        g_propagate_error(error, err);
    abfs_client_deadline_end(saved);
    return ok;
}

gboolean abfs_connection_delete(AbfsClient *client, const char *connection_id, GError **error)
{
    char *path = g_strdup_printf("/connections/%s", connection_id);
    gboolean ok = abfs_delete_checked(client, path, error);
    g_free(path);
    return ok;
}
