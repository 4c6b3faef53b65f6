/* actors.c — cached lists of sources and destinations and their files (actors.h). */
#include "actors.h"
#include "error.h"
#include "json_util.h"
#include "resources.h"

#include <errno.h>
#include <string.h>

typedef struct {
    GHashTable *by_id; /* id → json_object (owned; only read under the lock); protected by lock */
    gint64 fetched;    /* monotonic µs; 0 = never; protected by lock */
    gboolean fetching; /* one walk at a time: others wait for it; protected by lock */
    guint walks;       /* walks ended so far; protected by lock */
    GError *last_error; /* of the last walk, when it failed; protected by lock */
    gboolean has_data; /* by_id holds a listing (possibly old); protected by lock */
} ActorList;

struct AbfsActors {
    AbfsClient *client;
    char *workspace_id;
    char *web_root;
    gint64 ttl_us;
    GMutex lock;
    GCond walked;      /* signalled when a walk of either list ends */
    ActorList lists[2];
};

static const struct {
    const char *collection; /* API path */
    const char *id_key;
    const char *type_key;
    const char *web;        /* web UI path segment */
} kinds[] = {
    {"/sources", "sourceId", "sourceType", "source"},
    {"/destinations", "destinationId", "destinationType", "destination"},
};

static const char *const files[] = {"name", "type", "definition_id", "configuration.json", "url", NULL};

AbfsActors *abfs_actors_new(AbfsClient *client, const char *workspace_id, const char *web_root, guint ttl_ms)
{
    AbfsActors *a = g_new0(AbfsActors, 1);
    a->client = client;
    a->workspace_id = g_strdup(workspace_id);
    a->web_root = g_strdup(web_root);
    a->ttl_us = (gint64)ttl_ms * 1000;
    g_mutex_init(&a->lock);
    g_cond_init(&a->walked);
    for (int i = 0; i < 2; i++)
        a->lists[i].by_id = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, abfs_json_free);
    return a;
}

void abfs_actors_free(AbfsActors *a)
{
    if (!a)
        return;
    for (int i = 0; i < 2; i++) {
        g_hash_table_destroy(a->lists[i].by_id);
        g_clear_error(&a->lists[i].last_error);
    }
    g_mutex_clear(&a->lock);
    g_cond_clear(&a->walked);
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
    g_mutex_lock(&a->lock);
    a->lists[0].fetched = a->lists[1].fetched = 0;
    g_mutex_unlock(&a->lock);
}

static gboolean unreachable(const GError *err)
{
    return err->code == ENOTCONN || err->code == ETIMEDOUT || err->code == EIO || err->code == EAGAIN;
}

/* Makes sure the list of kind is fresh; returns with the lock held on success (callers read
 * by_id under it and unlock). One walk per list at a time: concurrent callers wait for it (12
 * parallel `ls sources` cost one walk, not twelve). When the API cannot be reached, the last
 * listing keeps serving until the next TTL. */
static gboolean lock_fresh(AbfsActors *a, AbfsActorKind kind, GError **error)
{
    g_mutex_lock(&a->lock);
    ActorList *l = &a->lists[kind];
    for (;;) {
        if (l->fetched && g_get_monotonic_time() - l->fetched < a->ttl_us)
            return TRUE;
        if (!l->fetching)
            break;
        guint walks = l->walks;
        while (l->fetching)
            g_cond_wait(&a->walked, &a->lock);
        if (l->walks != walks && l->last_error && !(l->has_data && unreachable(l->last_error))) {
            g_propagate_error(error, g_error_copy(l->last_error));
            g_mutex_unlock(&a->lock);
            return FALSE;
        }
        if (l->walks != walks && l->has_data)
            return TRUE; /* served from the last listing */
    }
    l->fetching = TRUE;
    g_mutex_unlock(&a->lock);
    char *query = g_strdup_printf("workspaceIds=%s", a->workspace_id);
    GPtrArray *items = NULL;
    GError *err = NULL;
    gboolean ok = abfs_list_all(a->client, kinds[kind].collection, query, &items, NULL, &err);
    g_free(query);
    g_mutex_lock(&a->lock);
    l->fetching = FALSE;
    l->walks++;
    g_clear_error(&l->last_error);
    g_cond_broadcast(&a->walked);
    if (!ok) {
        l->last_error = g_error_copy(err);
        if (l->has_data && unreachable(err)) {
            g_warning("listing %s failed (%s); serving the last listing", kinds[kind].collection + 1, err->message);
            l->fetched = g_get_monotonic_time(); /* one attempt per TTL */
            g_error_free(err);
            return TRUE;
        }
        g_propagate_error(error, err);
        g_mutex_unlock(&a->lock);
        return FALSE;
    }
    l->has_data = TRUE;
    g_hash_table_remove_all(l->by_id);
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
    l->fetched = g_get_monotonic_time();
    g_ptr_array_free(items, TRUE);
    return TRUE;
}

static gint compare_strings(gconstpointer x, gconstpointer y)
{
    return strcmp(*(const char *const *)x, *(const char *const *)y);
}

GPtrArray *abfs_actors_list(AbfsActors *a, AbfsActorKind kind, GError **error)
{
    if (!lock_fresh(a, kind, error))
        return NULL;
    GPtrArray *ids = g_ptr_array_new_with_free_func(g_free);
    GHashTableIter it;
    gpointer key;
    g_hash_table_iter_init(&it, a->lists[kind].by_id);
    while (g_hash_table_iter_next(&it, &key, NULL))
        g_ptr_array_add(ids, g_strdup(key));
    g_mutex_unlock(&a->lock);
    g_ptr_array_sort(ids, compare_strings);
    return ids;
}

gboolean abfs_actor_exists(AbfsActors *a, AbfsActorKind kind, const char *id, GError **error)
{
    if (!lock_fresh(a, kind, error))
        return FALSE;
    gboolean found = g_hash_table_contains(a->lists[kind].by_id, id);
    g_mutex_unlock(&a->lock);
    if (!found)
        g_set_error(error, ABFS_ERROR, ENOENT, "no %s %s", kinds[kind].web, id);
    return found;
}

char *abfs_actor_url(AbfsActors *a, AbfsActorKind kind, const char *id)
{
    return g_strdup_printf("%s/workspaces/%s/%s/%s", a->web_root, a->workspace_id, kinds[kind].web, id);
}

static char *line(const char *s)
{
    return g_strconcat(s ? s : "", "\n", NULL);
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
        char *out = line(url);
        g_free(url);
        return out;
    }
    if (!lock_fresh(a, kind, error))
        return NULL;
    json_object *actor = g_hash_table_lookup(a->lists[kind].by_id, id);
    char *out = NULL;
    if (!actor)
        g_set_error(error, ABFS_ERROR, ENOENT, "no %s %s", kinds[kind].web, id);
    else if (strcmp(file, "name") == 0)
        out = line(abfs_json_string(actor, "name"));
    else if (strcmp(file, "type") == 0)
        out = line(abfs_json_string(actor, kinds[kind].type_key));
    else if (strcmp(file, "definition_id") == 0)
        out = line(abfs_json_string(actor, "definitionId"));
    else {
        json_object *config = json_object_object_get(actor, "configuration");
        json_object *empty = config ? NULL : json_object_new_object();
        out = abfs_json_pretty(config ? config : empty);
        json_object_put(empty);
    }
    g_mutex_unlock(&a->lock);
    return out;
}

gboolean abfs_actor_rename(AbfsActors *a, AbfsActorKind kind, const char *id, const char *text, gsize len,
                           GError **error)
{
    char *name = g_strndup(text, len);
    gsize n = strlen(name);
    if (n != len) {
        g_set_error(error, ABFS_ERROR, EINVAL, "name contains a NUL byte");
        g_free(name);
        return FALSE;
    }
    if (n > 0 && name[n - 1] == '\n')
        name[--n] = '\0';
    if (n > 0 && name[n - 1] == '\r')
        name[--n] = '\0';
    gboolean bad = n == 0 || !g_utf8_validate(name, -1, NULL);
    for (gsize i = 0; i < n && !bad; i++)
        bad = (unsigned char)name[i] < 0x20 || name[i] == 0x7f;
    if (bad) {
        g_set_error(error, ABFS_ERROR, EINVAL, "name must be one non-empty line of UTF-8 text");
        g_free(name);
        return FALSE;
    }
    if (!lock_fresh(a, kind, error)) {
        g_free(name);
        return FALSE;
    }
    json_object *actor = g_hash_table_lookup(a->lists[kind].by_id, id);
    gboolean same = actor && g_strcmp0(abfs_json_string(actor, "name"), name) == 0;
    g_mutex_unlock(&a->lock);
    if (!actor) {
        g_set_error(error, ABFS_ERROR, ENOENT, "no %s %s", kinds[kind].web, id);
        g_free(name);
        return FALSE;
    }
    if (same) {
        g_free(name);
        return TRUE;
    }
    json_object *patch = json_object_new_object(), *answer = NULL;
    json_object_object_add(patch, "name", json_object_new_string(name));
    g_free(name);
    char *path = g_strdup_printf("%s/%s", kinds[kind].collection, id);
    gboolean ok = abfs_client_call(a->client, ABFS_API_PUBLIC, "PATCH", path, patch, ABFS_CALL_IDEMPOTENT,
                                   &answer, error);
    g_free(path);
    json_object_put(patch);
    if (ok && json_object_is_type(answer, json_type_object)) {
        g_mutex_lock(&a->lock);
        g_hash_table_replace(a->lists[kind].by_id, g_strdup(id), answer);
        answer = NULL;
        g_mutex_unlock(&a->lock);
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
