/* create.c — a new connection from a draft file: the request, its checks, and one POST
 * /connections whose lost answer is checked against the listing (create.h). */
#include "create.h"
#include "error.h"
#include "json_util.h"
#include "resources.h"
#include "settings.h"
#include "tags.h"
#include "text.h"

#include <errno.h>
#include <string.h>

static gboolean invalid(GError **error, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
static gboolean invalid(GError **error, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    abfs_text_replace_controls(msg, '?'); /* user text in a message never breaks its line */
    g_set_error_literal(error, ABFS_ERROR, EINVAL, msg);
    g_free(msg);
    return FALSE;
}

/* The ids of table (id → name) whose name is name (borrowed from the table). */
static GPtrArray *ids_named(GHashTable *table, const char *name)
{
    GPtrArray *ids = g_ptr_array_new();
    GHashTableIter it;
    gpointer id, value;
    g_hash_table_iter_init(&it, table);
    while (g_hash_table_iter_next(&it, &id, &value))
        if (strcmp(value, name) == 0)
            g_ptr_array_add(ids, id);
    return ids;
}

static gint compare_str_ptrs(gconstpointer a, gconstpointer b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The actor id the draft names for kind ("source"/"destination"), by id or by name. */
static gboolean resolve_actor(json_object *draft, const char *id_key, const char *name_key, const char *kind,
                              GHashTable *actors, char **id, GError **error)
{
    json_object *by_id = json_object_object_get(draft, id_key);
    json_object *by_name = json_object_object_get(draft, name_key);
    if (by_id && by_name)
        return invalid(error, "give either %s or %s, not both", id_key, name_key);
    if (by_id) {
        const char *value = json_object_get_string(by_id);
        if (!json_object_is_type(by_id, json_type_string) || !abfs_id_is_safe(value))
            return invalid(error, "%s must be the id of a %s (a UUID)", id_key, kind);
        if (!g_hash_table_contains(actors, value))
            return invalid(error, "%s: this workspace has no %s %s", id_key, kind, value);
        *id = g_strdup(value);
        return TRUE;
    }
    if (!by_name)
        return invalid(error, "a new connection needs its %s: give %s (an id) or %s (a name, see %ss/*/name)", kind,
                       id_key, name_key, kind);
    if (!json_object_is_type(by_name, json_type_string) || json_object_get_string_len(by_name) == 0)
        return invalid(error, "%s must be the name of a %s of this workspace", name_key, kind);
    const char *name = json_object_get_string(by_name);
    GPtrArray *ids = ids_named(actors, name);
    g_ptr_array_sort(ids, compare_str_ptrs);
    gboolean ok = ids->len == 1;
    if (ids->len == 0)
        invalid(error, "%s \"%s\": this workspace has no %s of that name", name_key, name, kind);
    else if (ids->len > 1) {
        g_ptr_array_add(ids, NULL);
        char *list = g_strjoinv(", ", (char **)ids->pdata);
        invalid(error, "%s \"%s\" is ambiguous: %u %ss have that name (%s); give %s", name_key, name, ids->len - 1,
                kind, list, id_key);
        g_free(list);
    } else
        *id = g_strdup(g_ptr_array_index(ids, 0));
    g_ptr_array_free(ids, TRUE);
    return ok;
}

/* "tags": [names] → [Tag, ...] from the workspace's tags (name → Tag). */
static gboolean resolve_tags(json_object *value, GHashTable *tags, json_object **out, GError **error)
{
    if (!json_object_is_type(value, json_type_array))
        return invalid(error, "tags must be an array of tag names");
    json_object *list = json_object_new_array();
    GHashTable *seen = g_hash_table_new(g_str_hash, g_str_equal);
    gboolean ok = TRUE;
    for (size_t i = 0; ok && i < json_object_array_length(value); i++) {
        json_object *item = json_object_array_get_idx(value, i);
        const char *name = json_object_is_type(item, json_type_string) ? json_object_get_string(item) : NULL;
        json_object *tag = name && tags ? g_hash_table_lookup(tags, name) : NULL;
        if (!name)
            ok = invalid(error, "tags must be an array of tag names");
        else if (!tag)
            ok = invalid(error, "tags: this workspace has no tag \"%s\" (mkdir tags/NAME creates one)", name);
        else if (!g_hash_table_contains(seen, name)) {
            g_hash_table_add(seen, (gpointer)name);
            json_object *copy = NULL;
            json_object_deep_copy(tag, &copy, NULL);
            json_object_array_add(list, copy);
        }
    }
    g_hash_table_destroy(seen);
    if (!ok) {
        json_object_put(list);
        return FALSE;
    }
    *out = list;
    return TRUE;
}

static gboolean draft_member(const char *key)
{
    return strcmp(key, ABFS_DRAFT_SOURCE_ID) == 0 || strcmp(key, ABFS_DRAFT_SOURCE) == 0 ||
           strcmp(key, ABFS_DRAFT_DESTINATION_ID) == 0 || strcmp(key, ABFS_DRAFT_DESTINATION) == 0 ||
           strcmp(key, "tags") == 0 || strcmp(key, ABFS_SETTINGS_BASE_MEMBER) == 0 || abfs_setting_is_known(key);
}

json_object *abfs_create_request(const char *text, gsize len, const char *stem, GHashTable *sources,
                                 GHashTable *destinations, GHashTable *tags, GError **error)
{
    json_object *draft = abfs_json_parse(text, len, error);
    if (!draft)
        return NULL;
    if (!json_object_is_type(draft, json_type_object)) {
        json_object_put(draft);
        invalid(error, "a new connection is a JSON object with sourceId (or source) and destinationId (or destination)");
        return NULL;
    }
    json_object *request = json_object_new_object();
    char *source = NULL, *destination = NULL;
    gboolean ok = TRUE;
    json_object_object_foreach (draft, key, member) {
        (void)member;
        if (!draft_member(key)) {
            ok = invalid(error, "\"%s\" is not a member of a new connection (sourceId, source, destinationId, "
                                "destination, tags, or a member of settings.json)",
                         key);
            break;
        }
    }
    ok = ok &&
         resolve_actor(draft, ABFS_DRAFT_SOURCE_ID, ABFS_DRAFT_SOURCE, "source", sources, &source, error) &&
         resolve_actor(draft, ABFS_DRAFT_DESTINATION_ID, ABFS_DRAFT_DESTINATION, "destination", destinations,
                       &destination, error);
    if (ok) {
        json_object_object_add(request, "sourceId", json_object_new_string(source));
        json_object_object_add(request, "destinationId", json_object_new_string(destination));
        if (!json_object_object_get(draft, "name"))
            json_object_object_add(request, "name", json_object_new_string(stem));
    }
    json_object_object_foreach (draft, k, v) {
        if (!ok)
            break;
        json_object *normalized = NULL;
        if (strcmp(k, "tags") == 0)
            ok = resolve_tags(v, tags, &normalized, error);
        else if (abfs_setting_is_known(k))
            ok = abfs_setting_normalize(k, v, &normalized, error);
        if (ok && normalized)
            json_object_object_add(request, k, normalized);
    }
    g_free(source);
    g_free(destination);
    json_object_put(draft);
    if (!ok) {
        json_object_put(request);
        return NULL;
    }
    return request;
}

gboolean abfs_create_check_streams(json_object *request, json_object *properties, GError **error)
{
    json_object *streams = json_object_object_get(json_object_object_get(request, "configurations"), "streams");
    if (!json_object_is_type(streams, json_type_array))
        return TRUE;
    if (!json_object_is_type(properties, json_type_array))
        return invalid(error, "the stream properties of the source are not a list");
    for (size_t i = 0; i < json_object_array_length(streams); i++) {
        json_object *stream = json_object_array_get_idx(streams, i);
        const char *name = abfs_json_string(stream, "name"), *ns = abfs_json_string(stream, "namespace");
        const char *mode = abfs_json_string(stream, "syncMode");
        json_object *found = NULL;
        guint named = 0, matching = 0;
        GString *offered = g_string_new(NULL);
        for (size_t j = 0; j < json_object_array_length(properties); j++) {
            json_object *p = json_object_array_get_idx(properties, j);
            const char *pname = abfs_json_string(p, "streamName"), *pns = abfs_json_string(p, "streamnamespace");
            if (!pname)
                continue;
            if (offered->len < 300)
                g_string_append_printf(offered, "%s%s", offered->len ? ", " : "", pname);
            if (g_strcmp0(pname, name) != 0)
                continue;
            named++;
            if (!ns || g_strcmp0(ns, pns) == 0) {
                matching++;
                found = p;
            }
        }
        gboolean ok = TRUE;
        if (named == 0)
            ok = invalid(error, "configurations: the source has no stream \"%s\" (it has: %s)", name, offered->str);
        else if (matching == 0)
            ok = invalid(error, "configurations: the source has no stream \"%s\" in namespace \"%s\"", name, ns);
        else if (matching > 1)
            ok = invalid(error, "configurations: %u streams are named \"%s\": give its namespace", matching, name);
        g_string_free(offered, TRUE);
        if (!ok)
            return FALSE;
        json_object *modes = json_object_object_get(found, "syncModes");
        gboolean allowed = !mode || !json_object_is_type(modes, json_type_array);
        GString *list = g_string_new(NULL);
        for (size_t j = 0; !allowed && j < json_object_array_length(modes); j++) {
            const char *m = json_object_get_string(json_object_array_get_idx(modes, j));
            g_string_append_printf(list, "%s%s", list->len ? ", " : "", m ? m : "");
            allowed = g_strcmp0(m, mode) == 0;
        }
        if (!allowed)
            invalid(error, "configurations: stream %s: syncMode %s is not one this source and destination allow (%s)",
                    name, mode, list->str);
        g_string_free(list, TRUE);
        if (!allowed)
            return FALSE;
    }
    return TRUE;
}

/* Ids of the connections of snap with request's name, source and destination. */
static GPtrArray *same_connections(AbfsSnapshot *snap, json_object *request)
{
    GPtrArray *ids = g_ptr_array_new_with_free_func(g_free);
    const char *name = abfs_json_string(request, "name");
    const char *source = abfs_json_string(request, "sourceId"), *destination = abfs_json_string(request, "destinationId");
    for (guint i = 0; i < abfs_snapshot_count(snap); i++) {
        AbfsEntry *e = abfs_snapshot_lookup(snap, abfs_snapshot_id(snap, i));
        if (g_strcmp0(abfs_entry_field(e, ABFS_ENTRY_NAME), name) == 0 &&
            g_strcmp0(abfs_entry_field(e, ABFS_ENTRY_SOURCE_ID), source) == 0 &&
            g_strcmp0(abfs_entry_field(e, ABFS_ENTRY_DESTINATION_ID), destination) == 0)
            g_ptr_array_add(ids, g_strdup(abfs_snapshot_id(snap, i)));
    }
    return ids;
}

static void exists_error(GError **error, const char *other)
{
    g_set_error(error, ABFS_ERROR, EEXIST,
                "connection %s already has this name, source and destination (settings/%s.json): "
                "edit that file, or give the new one another name",
                other, other);
}

/* A fresh listing (the store walks again). */
static AbfsSnapshot *fresh_listing(AbfsStore *store, GError **error)
{
    abfs_store_invalidate(store);
    return abfs_store_snapshot(store, error);
}

static gboolean check_streams(AbfsClient *client, json_object *request, GError **error)
{
    json_object *streams = json_object_object_get(json_object_object_get(request, "configurations"), "streams");
    if (!streams)
        return TRUE; /* the server selects every stream */
    char *path = g_strdup_printf("/streams?sourceId=%s&destinationId=%s", abfs_json_string(request, "sourceId"),
                                 abfs_json_string(request, "destinationId"));
    json_object *properties = NULL;
    gboolean ok = abfs_client_call(client, ABFS_API_PUBLIC, "GET", path, NULL, ABFS_CALL_IDEMPOTENT, &properties, error);
    g_free(path);
    if (ok)
        ok = abfs_create_check_streams(request, properties, error);
    json_object_put(properties);
    return ok;
}

/* After a POST whose answer was lost (err, taken): the connection it made, from a fresh listing.
 * TRUE with *id when exactly one new connection of that name, source and destination is there. */
static gboolean check_lost_create(AbfsStore *store, json_object *request, GError *err, char **id, GError **error)
{
    GError *look_err = NULL;
    AbfsSnapshot *after = fresh_listing(store, &look_err);
    if (!after) {
        char *reason = g_strdup_printf("reading the listing to check failed (%s)", look_err->message);
        abfs_error_set_unknown(error, err, "POST /connections", reason);
        g_free(reason);
        g_error_free(look_err);
        return FALSE;
    }
    GPtrArray *ids = same_connections(after, request);
    abfs_snapshot_unref(after);
    gboolean ok = ids->len == 1;
    if (ok) {
        g_message("create of \"%s\": the answer was lost (%s) but the server made connection %s",
                  abfs_json_string(request, "name"), err->message, (char *)g_ptr_array_index(ids, 0));
        *id = g_strdup(g_ptr_array_index(ids, 0));
        g_error_free(err);
    } else if (ids->len == 0 && abfs_error_may_act_later(err))
        abfs_error_set_unknown(error, err, "POST /connections",
                               "the listing has no such connection yet, but " ABFS_MAY_ACT_LATER);
    else if (ids->len == 0) /* nothing was made: the request failed, and it says why */
        g_propagate_error(error, err);
    else {
        char *reason = g_strdup_printf("%u connections of that name, source and destination appeared", ids->len);
        abfs_error_set_unknown(error, err, "POST /connections", reason);
        g_free(reason);
    }
    g_ptr_array_free(ids, TRUE);
    return ok;
}

static char *create_within_deadline(AbfsStore *store, json_object *request, GError **error)
{
    AbfsClient *client = abfs_store_client(store);
    if (!check_streams(client, request, error))
        return NULL;
    AbfsSnapshot *before = fresh_listing(store, error);
    if (!before)
        return NULL;
    GPtrArray *same = same_connections(before, request);
    abfs_snapshot_unref(before);
    if (same->len > 0) {
        exists_error(error, g_ptr_array_index(same, 0));
        g_ptr_array_free(same, TRUE);
        return NULL;
    }
    g_ptr_array_free(same, TRUE);

    GError *err = NULL;
    json_object *answer = NULL;
    gint64 outer = abfs_client_deadline_keep_for_check();
    /* ABFS_CALL_DEFAULT: sent once, on a connection of its own, never retried (a retry could make
     * a second connection) */
    gboolean ok = abfs_client_call(client, ABFS_API_PUBLIC, "POST", "/connections", request, ABFS_CALL_DEFAULT, &answer,
                                   &err);
    abfs_client_deadline_set(outer);
    const char *workspace = abfs_store_render_context(store)->workspace_id;
    if (ok && (!abfs_connection_check(answer, &err) ||
               g_strcmp0(abfs_json_string(answer, "workspaceId"), workspace) != 0)) {
        ok = FALSE; /* made, but the answer cannot be used: the listing says what was made */
        if (!err)
            g_set_error(&err, ABFS_ERROR, EIO, "the answer names another workspace");
    }
    if (ok) {
        char *id = g_strdup(abfs_json_string(answer, "connectionId"));
        abfs_store_put_connection(store, answer);
        return id;
    }
    json_object_put(answer);
    if (err->code == EINTR || !(abfs_error_outcome_unknown(err) || err->code == EIO)) {
        g_propagate_error(error, err);
        return NULL;
    }
    char *id = NULL;
    check_lost_create(store, request, err, &id, error);
    return id;
}

char *abfs_connection_create(AbfsStore *store, json_object *request, GError **error)
{
    /* streams, listing, POST and check are one operation: all of it ends within -o timeout */
    gint64 saved = abfs_client_deadline_begin(abfs_store_client(store));
    char *id = create_within_deadline(store, request, error);
    abfs_client_deadline_end(saved);
    return id;
}

json_object *abfs_create_request_for(AbfsStore *store, AbfsActors *actors, const char *text, gsize len,
                                     const char *stem, GError **error)
{
    GHashTable *sources = abfs_actors_names(actors, ABFS_ACTOR_SOURCE, error);
    GHashTable *destinations = sources ? abfs_actors_names(actors, ABFS_ACTOR_DESTINATION, error) : NULL;
    AbfsTags *tags = abfs_store_tags(store);
    GHashTable *tag_table = destinations && tags ? abfs_tags_by_name(tags, error) : NULL;
    json_object *request = destinations && (tag_table || !tags)
                               ? abfs_create_request(text, len, stem, sources, destinations, tag_table, error)
                               : NULL;
    if (tag_table)
        g_hash_table_destroy(tag_table);
    if (sources)
        g_hash_table_destroy(sources);
    if (destinations)
        g_hash_table_destroy(destinations);
    return request;
}

gboolean abfs_create_check(AbfsStore *store, json_object *request, GError **error)
{
    if (!check_streams(abfs_store_client(store), request, error))
        return FALSE;
    AbfsSnapshot *snap = abfs_store_snapshot(store, error);
    if (!snap)
        return FALSE;
    GPtrArray *same = same_connections(snap, request);
    abfs_snapshot_unref(snap);
    gboolean ok = same->len == 0;
    if (!ok)
        exists_error(error, g_ptr_array_index(same, 0));
    g_ptr_array_free(same, TRUE);
    return ok;
}

char *abfs_connection_create_from_draft(AbfsStore *store, AbfsActors *actors, const char *text, gsize len,
                                        const char *stem, GError **error)
{
    /* names are resolved against what the workspace has now, not a listing of a minute ago */
    abfs_actors_invalidate(actors);
    json_object *request = abfs_create_request_for(store, actors, text, len, stem, error);
    char *id = request ? abfs_connection_create(store, request, error) : NULL;
    json_object_put(request);
    return id;
}
