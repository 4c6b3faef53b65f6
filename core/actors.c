/* actors.c — cached lists of sources and destinations and their files (actors.h). Each list is
 * one cache.h key: one walk per list at a time (12 parallel `ls sources` cost one walk, not
 * twelve), and the last listing keeps serving while the API cannot be reached. */
#include "actors.h"
#include "cache.h"
#include "error.h"
#include "json_util.h"
#include "resources.h"
#include "text.h"
#include "weburl.h"

#include <errno.h>
#include <string.h>

/* One listing: immutable once made and shared by reference (refs is atomic). Its json_objects are
 * only read (json-c's reference counts are not atomic, so no one refs them either). */
typedef struct {
    gint refs;
    GHashTable *by_id; /* id → json_object (owned) */
} ActorList;

struct AbfsActors {
    /* Set at creation, then read-only. */
    AbfsClient *client;
    char *workspace_id;
    char *web_root;
    AbfsCache *lists; /* kinds[kind].collection → ActorList; thread-safe by itself */
};

static const struct {
    const char *collection; /* API path */
    const char *id_key;
    const char *type_key;
    const char *web; /* web UI path segment */
} kinds[] = {
    {"/sources", "sourceId", "sourceType", "source"},
    {"/destinations", "destinationId", "destinationType", "destination"},
};

static const char *const files[] = {"name", "type", "definition_id", "configuration.json", "url", NULL};

static ActorList *list_new(void)
{
    ActorList *l = g_new0(ActorList, 1);
    l->refs = 1;
    l->by_id = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, abfs_json_free);
    return l;
}

static gpointer list_ref(gpointer p)
{
    ActorList *l = p;
    g_atomic_int_inc(&l->refs);
    return l;
}

static void list_unref(gpointer p)
{
    ActorList *l = p;
    if (l && g_atomic_int_dec_and_test(&l->refs)) {
        g_hash_table_destroy(l->by_id);
        g_free(l);
    }
}

static void list_stale(const char *key, const GError *err, gpointer value, gint64 age_us, gpointer data)
{
    (void)value;
    (void)age_us;
    (void)data;
    g_warning("listing %s failed (%s); serving the last listing", key + 1, err->message);
}

AbfsActors *abfs_actors_new(AbfsClient *client, const char *workspace_id, const char *web_root, guint ttl_ms)
{
    AbfsActors *a = g_new0(AbfsActors, 1);
    a->client = client;
    a->workspace_id = g_strdup(workspace_id);
    a->web_root = g_strdup(web_root);
    AbfsCacheOptions options = {
        .ttl_ms = ttl_ms,
        .copy = list_ref,
        .free = list_unref,
        .serve_stale = TRUE,
        .on_stale = list_stale,
    };
    a->lists = abfs_cache_new(&options);
    return a;
}

void abfs_actors_free(AbfsActors *a)
{
    if (!a)
        return;
    abfs_cache_free(a->lists);
    g_free(a->workspace_id);
    g_free(a->web_root);
    g_free(a);
}

const char *const *abfs_actor_files(void)
{
    return files;
}

gboolean abfs_actor_file_writable(const char *file)
{
    return g_strcmp0(file, "name") == 0;
}

void abfs_actors_invalidate(AbfsActors *a)
{
    abfs_cache_invalidate(a->lists, NULL);
}

/* The lists cache's fetch: one walk of /sources or /destinations (key: the collection). */
static gpointer walk(const char *collection, gpointer previous, gpointer data, GError **error)
{
    (void)previous;
    AbfsActors *a = data;
    guint kind =
        strcmp(collection, kinds[ABFS_ACTOR_SOURCE].collection) == 0 ? ABFS_ACTOR_SOURCE : ABFS_ACTOR_DESTINATION;
    char *query = g_strdup_printf("workspaceIds=%s", a->workspace_id);
    GPtrArray *items = NULL;
    gboolean ok = abfs_list_all(a->client, collection, query, &items, NULL, error);
    g_free(query);
    if (!ok)
        return NULL;
    ActorList *l = list_new();
    for (guint i = 0; i < items->len; i++) {
        json_object *item = g_ptr_array_index(items, i);
        const char *id = abfs_json_string(item, kinds[kind].id_key);
        if (!abfs_id_is_safe(id) || g_strcmp0(abfs_json_string(item, "workspaceId"), a->workspace_id) != 0) {
            if (!abfs_id_is_safe(id))
                g_warning("skipping a %s whose id is not a UUID", kinds[kind].web);
            continue;
        }
        g_hash_table_replace(l->by_id, g_strdup(id), json_object_get(item));
    }
    g_ptr_array_free(items, TRUE);
    return l;
}

/* The current list of kind (a new reference), or NULL with *error. */
static ActorList *list_get(AbfsActors *a, AbfsActorKind kind, GError **error)
{
    return abfs_cache_get(a->lists, kinds[kind].collection, walk, a, error);
}

static gint compare_strings(gconstpointer x, gconstpointer y)
{
    return strcmp(*(const char *const *)x, *(const char *const *)y);
}

GPtrArray *abfs_actors_list(AbfsActors *a, AbfsActorKind kind, GError **error)
{
    ActorList *l = list_get(a, kind, error);
    if (!l)
        return NULL;
    GPtrArray *ids = g_ptr_array_new_with_free_func(g_free);
    GHashTableIter it;
    gpointer key;
    g_hash_table_iter_init(&it, l->by_id);
    while (g_hash_table_iter_next(&it, &key, NULL))
        g_ptr_array_add(ids, g_strdup(key));
    list_unref(l);
    g_ptr_array_sort(ids, compare_strings);
    return ids;
}

GHashTable *abfs_actors_names(AbfsActors *a, AbfsActorKind kind, GError **error)
{
    ActorList *l = list_get(a, kind, error);
    if (!l)
        return NULL;
    GHashTable *names = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    GHashTableIter it;
    gpointer key, value;
    g_hash_table_iter_init(&it, l->by_id);
    while (g_hash_table_iter_next(&it, &key, &value)) {
        const char *name = abfs_json_string(value, "name");
        g_hash_table_replace(names, g_strdup(key), g_strdup(name ? name : ""));
    }
    list_unref(l);
    return names;
}

gboolean abfs_actor_exists(AbfsActors *a, AbfsActorKind kind, const char *id, GError **error)
{
    ActorList *l = list_get(a, kind, error);
    if (!l)
        return FALSE;
    gboolean found = g_hash_table_contains(l->by_id, id);
    list_unref(l);
    if (!found)
        g_set_error(error, ABFS_ERROR, ENOENT, "no %s %s", kinds[kind].web, id);
    return found;
}

char *abfs_actor_url(AbfsActors *a, AbfsActorKind kind, const char *id)
{
    return abfs_web_url(a->web_root, a->workspace_id,
                        kind == ABFS_ACTOR_SOURCE ? ABFS_WEB_SOURCE : ABFS_WEB_DESTINATION, id);
}

char *abfs_actor_file(AbfsActors *a, AbfsActorKind kind, const char *id, const char *file, GError **error)
{
    if (!g_strv_contains(files, file)) {
        g_set_error(error, ABFS_ERROR, ENOENT, "no file %s", file);
        return NULL;
    }
    if (strcmp(file, "url") == 0) {
        if (!abfs_actor_exists(a, kind, id, error))
            return NULL;
        char *url = abfs_actor_url(a, kind, id);
        char *out = abfs_text_line(url);
        g_free(url);
        return out;
    }
    ActorList *l = list_get(a, kind, error);
    if (!l)
        return NULL;
    json_object *actor = g_hash_table_lookup(l->by_id, id);
    char *out = NULL;
    if (!actor)
        g_set_error(error, ABFS_ERROR, ENOENT, "no %s %s", kinds[kind].web, id);
    else if (strcmp(file, "name") == 0)
        out = abfs_text_line(abfs_json_string(actor, "name"));
    else if (strcmp(file, "type") == 0)
        out = abfs_text_line(abfs_json_string(actor, kinds[kind].type_key));
    else if (strcmp(file, "definition_id") == 0)
        out = abfs_text_line(abfs_json_string(actor, "definitionId"));
    else {
        json_object *config = json_object_object_get(actor, "configuration");
        json_object *empty = config ? NULL : json_object_new_object();
        out = abfs_json_pretty(config ? config : empty);
        json_object_put(empty);
    }
    list_unref(l);
    return out;
}

typedef struct {
    const char *id;
    json_object *actor; /* the PATCH's answer */
} Renamed;

/* abfs_cache_update() of a list: a copy with the renamed actor's new value. The copy's objects
 * are deep copies: the old list's objects may be read by other threads meanwhile. */
static gpointer with_renamed(gpointer current, gpointer data)
{
    ActorList *old = current, *l = list_new();
    Renamed *r = data;
    GHashTableIter it;
    gpointer key, value;
    g_hash_table_iter_init(&it, old->by_id);
    while (g_hash_table_iter_next(&it, &key, &value)) {
        json_object *copy = NULL;
        if (strcmp(key, r->id) != 0)
            json_object_deep_copy(value, &copy, NULL);
        g_hash_table_replace(l->by_id, g_strdup(key), copy ? copy : json_object_get(r->actor));
    }
    if (!g_hash_table_contains(l->by_id, r->id))
        g_hash_table_replace(l->by_id, g_strdup(r->id), json_object_get(r->actor));
    return l;
}

gboolean abfs_actor_rename(AbfsActors *a, AbfsActorKind kind, const char *id, const char *text, gsize len,
                           GError **error)
{
    char *name = g_strndup(text, len);
    abfs_strip_one_newline(name, &len);
    ActorList *l = list_get(a, kind, error);
    if (!l) {
        g_free(name);
        return FALSE;
    }
    json_object *actor = g_hash_table_lookup(l->by_id, id);
    gboolean found = actor != NULL;
    /* what the file shows, written back, changes nothing, even a name the server holds with a
     * character the checks below refuse */
    const char *current = actor ? abfs_json_string(actor, "name") : NULL;
    gboolean same = current && strlen(name) == len && strcmp(current, name) == 0;
    list_unref(l);
    if (!found) {
        g_set_error(error, ABFS_ERROR, ENOENT, "no %s %s", kinds[kind].web, id);
        g_free(name);
        return FALSE;
    }
    if (same) {
        g_free(name);
        return TRUE;
    }
    if (!abfs_text_is_one_line(name, len)) {
        g_set_error(error, ABFS_ERROR, EINVAL,
                    strlen(name) != len ? "name contains a NUL byte" : "name must be one non-empty line of UTF-8 text");
        g_free(name);
        return FALSE;
    }
    json_object *patch = json_object_new_object(), *answer = NULL;
    json_object_object_add(patch, "name", json_object_new_string(name));
    g_free(name);
    char *path = g_strdup_printf("%s/%s", kinds[kind].collection, id);
    gboolean ok =
        abfs_client_call(a->client, ABFS_API_PUBLIC, "PATCH", path, patch, ABFS_CALL_IDEMPOTENT, &answer, error);
    g_free(path);
    json_object_put(patch);
    if (ok && json_object_is_type(answer, json_type_object)) {
        Renamed r = {id, answer};
        abfs_cache_update(a->lists, kinds[kind].collection, with_renamed, &r);
    }
    json_object_put(answer);
    return ok;
}

gboolean abfs_actor_delete(AbfsActors *a, AbfsActorKind kind, const char *id, GError **error)
{
    char *path = g_strdup_printf("%s/%s", kinds[kind].collection, id);
    gboolean ok = abfs_delete_checked(a->client, path, error);
    g_free(path);
    abfs_actors_invalidate(a);
    return ok;
}
