/* store.c — snapshots of the connection listing with TTL, single-flight refresh, stale serving
 * on network failure, and per-file change times (store.h). */
#include "store.h"
#include "error.h"
#include "json_util.h"
#include "resources.h"
#include "names.h"

#include <errno.h>
#include <string.h>

/* What a refresh compares to tell which files changed: each file's size and hash. */
typedef struct {
    gsize *len;
    guint64 *hash;
} Summary;

struct AbfsEntry {
    gint refs;
    gint64 fetched_at;          /* monotonic µs when it was read */
    char *text;                 /* the connection as compact JSON: ~the bytes the API sent */
    char *fields[ABFS_ENTRY_FIELDS]; /* connectionId, name, sourceId, destinationId */
    gint64 created_at;
    const AbfsRenderContext *ctx;
    const AbfsConnectionFile *files;
    guint nfiles;
    gint64 *mtime;
    gint64 *size;               /* per file, -1 until first asked (set atomically) */
};

struct AbfsSnapshot {
    gint refs;
    gint64 made_at;     /* monotonic µs */
    gint64 wall_time;   /* real seconds */
    GHashTable *by_id;  /* id → AbfsEntry (ref) */
    GPtrArray *ids;     /* sorted, borrowed from the entries */
    GHashTable *by_name; /* lazily (CAS), see abfs_snapshot_by_name() */
};

struct AbfsStore {
    AbfsClient *client;
    AbfsRenderContext ctx;
    char *workspace_id;
    char *web_root;
    gint64 ttl_us;
    GMutex lock;
    GCond done;
    gboolean walking;
    AbfsSnapshot *current;
    gboolean stale;     /* current must be refreshed regardless of age */
    GError *last_error; /* of the last failed walk, for waiters */
    guint walks;
    guint parallel;     /* page requests in flight during a walk */
    gint64 retry_after; /* monotonic µs: after an unreachable API, serve the old snapshot until then */
    AbfsStoreChangeHook on_change;
    AbfsStoreStaleHook on_stale;
    gpointer on_stale_data;
    gpointer on_change_data;
    GHashTable *singles;   /* id → AbfsEntry: connections read one by one before any walk */
    GHashTable *fetching;  /* ids whose single read is in flight (single flight per id) */
    guint64 put_serial; /* counts abfs_store_put_connection() calls */
    GHashTable *puts;   /* connection id → put_serial of its last put */
    GHashTable *skipped; /* lines of the last walk's dropped connections (reported once each) */
};

AbfsEntry *abfs_entry_ref(AbfsEntry *e)
{
    g_atomic_int_inc(&e->refs);
    return e;
}

static void summary_free(Summary *sum)
{
    if (sum) {
        g_free(sum->len);
        g_free(sum->hash);
        g_free(sum);
    }
}

void abfs_entry_unref(AbfsEntry *e)
{
    if (!e || !g_atomic_int_dec_and_test(&e->refs))
        return;
    for (int i = 0; i < ABFS_ENTRY_FIELDS; i++)
        g_free(e->fields[i]);
    g_free(e->size);
    g_free(e->mtime);
    g_free(e->text);
    g_free(e);
}

json_object *abfs_entry_parse(AbfsEntry *e)
{
    return abfs_json_parse_trusted(e->text);
}

const char *abfs_entry_field(AbfsEntry *e, AbfsEntryField field)
{
    return e->fields[field];
}

static char *render_with(AbfsEntry *e, json_object *conn, guint file)
{
    return e->files[file].render(conn, e->ctx);
}

char *abfs_entry_render(AbfsEntry *e, guint file, gsize *len)
{
    json_object *conn = abfs_entry_parse(e);
    char *text = render_with(e, conn, file);
    json_object_put(conn);
    if (len)
        *len = strlen(text);
    return text;
}

static guint64 fnv1a(const char *s)
{
    guint64 h = 1469598103934665603ULL;
    for (; *s; s++)
        h = (h ^ (guchar)*s) * 1099511628211ULL;
    return h;
}

static Summary *summary_of(AbfsEntry *e)
{
    Summary *sum = g_new0(Summary, 1);
    sum->len = g_new0(gsize, e->nfiles);
    sum->hash = g_new0(guint64, e->nfiles);
    json_object *conn = abfs_entry_parse(e);
    for (guint i = 0; i < e->nfiles; i++) {
        char *text = render_with(e, conn, i);
        sum->len[i] = strlen(text);
        sum->hash[i] = fnv1a(text);
        g_free(text);
    }
    json_object_put(conn);
    return sum;
}

gsize abfs_entry_size(AbfsEntry *e, guint file)
{
    gint64 size = __atomic_load_n(&e->size[file], __ATOMIC_ACQUIRE);
    if (size < 0) {
        gsize len;
        g_free(abfs_entry_render(e, file, &len));
        size = (gint64)len;
        __atomic_store_n(&e->size[file], size, __ATOMIC_RELEASE);
    }
    return (gsize)size;
}

gint64 abfs_entry_mtime(AbfsEntry *e, guint file)
{
    return e->mtime[file];
}

/* A new entry for a connection's compact JSON text (taken). With previous (the same connection in
 * the last snapshot), each file keeps its mtime when its content did not change. */
static AbfsEntry *entry_new(AbfsStore *store, char *text, AbfsEntry *previous, gint64 now_s)
{
    static const char *const keys[ABFS_ENTRY_FIELDS] = {"connectionId", "name", "sourceId", "destinationId"};
    AbfsEntry *e = g_new0(AbfsEntry, 1);
    e->refs = 1;
    e->fetched_at = g_get_monotonic_time();
    e->text = text;
    e->ctx = &store->ctx;
    e->files = abfs_connection_files(&e->nfiles);
    e->mtime = g_new0(gint64, e->nfiles);
    e->size = g_new(gint64, e->nfiles);
    for (guint i = 0; i < e->nfiles; i++)
        e->size[i] = -1;
    json_object *conn = abfs_entry_parse(e);
    for (int i = 0; i < ABFS_ENTRY_FIELDS; i++)
        e->fields[i] = g_strdup(abfs_json_string(conn, keys[i]));
    json_object *created = json_object_object_get(conn, "createdAt");
    e->created_at = json_object_is_type(created, json_type_int) ? json_object_get_int64(created) : now_s;
    json_object_put(conn);
    if (!previous) {
        for (guint i = 0; i < e->nfiles; i++)
            e->mtime[i] = e->created_at;
        return e;
    }
    Summary *old = summary_of(previous), *new = summary_of(e);
    for (guint i = 0; i < e->nfiles; i++) {
        gboolean same = old->len[i] == new->len[i] && old->hash[i] == new->hash[i];
        e->mtime[i] = same ? previous->mtime[i] : now_s;
        e->size[i] = (gint64)new->len[i];
        if (!same && store->on_change)
            store->on_change(e->fields[ABFS_ENTRY_ID], (int)i, store->on_change_data);
    }
    summary_free(old);
    summary_free(new);
    return e;
}

static gint compare_ids(gconstpointer a, gconstpointer b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static AbfsSnapshot *snapshot_new(void)
{
    AbfsSnapshot *s = g_new0(AbfsSnapshot, 1);
    s->refs = 1;
    s->made_at = g_get_monotonic_time();
    s->wall_time = g_get_real_time() / G_USEC_PER_SEC;
    s->by_id = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, (GDestroyNotify)abfs_entry_unref);
    s->ids = g_ptr_array_new();
    return s;
}

static void snapshot_add(AbfsSnapshot *s, AbfsEntry *e)
{
    const char *id = e->fields[ABFS_ENTRY_ID];
    if (g_hash_table_contains(s->by_id, id)) { /* a duplicate in a broken listing: first wins */
        abfs_entry_unref(e);
        return;
    }
    g_hash_table_insert(s->by_id, (gpointer)id, e);
    g_ptr_array_add(s->ids, (gpointer)id);
}

static AbfsSnapshot *snapshot_ref(AbfsSnapshot *s)
{
    g_atomic_int_inc(&s->refs);
    return s;
}

void abfs_snapshot_unref(AbfsSnapshot *s)
{
    if (!s || !g_atomic_int_dec_and_test(&s->refs))
        return;
    g_ptr_array_free(s->ids, TRUE);
    if (s->by_name)
        g_hash_table_destroy(s->by_name);
    g_hash_table_destroy(s->by_id);
    g_free(s);
}

guint abfs_snapshot_count(AbfsSnapshot *s)
{
    return s->ids->len;
}

const char *abfs_snapshot_id(AbfsSnapshot *s, guint i)
{
    return g_ptr_array_index(s->ids, i);
}

AbfsEntry *abfs_snapshot_lookup(AbfsSnapshot *s, const char *id)
{
    return g_hash_table_lookup(s->by_id, id);
}

gint64 abfs_snapshot_time(AbfsSnapshot *s)
{
    return s->wall_time;
}

AbfsStore *abfs_store_new(AbfsClient *client, const char *workspace_id, const char *web_root, guint ttl_ms)
{
    AbfsStore *store = g_new0(AbfsStore, 1);
    store->client = client;
    store->workspace_id = g_strdup(workspace_id);
    store->web_root = g_strdup(web_root);
    store->ctx.workspace_id = store->workspace_id;
    store->ctx.web_root = store->web_root;
    store->ttl_us = (gint64)ttl_ms * 1000;
    g_mutex_init(&store->lock);
    g_cond_init(&store->done);
    store->puts = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    store->skipped = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    store->singles = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, (GDestroyNotify)abfs_entry_unref);
    store->fetching = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    store->parallel = 1;
    return store;
}

void abfs_store_free(AbfsStore *store)
{
    if (!store)
        return;
    abfs_snapshot_unref(store->current);
    g_clear_error(&store->last_error);
    g_hash_table_destroy(store->puts);
    g_hash_table_destroy(store->skipped);
    g_hash_table_destroy(store->singles);
    g_hash_table_destroy(store->fetching);
    g_mutex_clear(&store->lock);
    g_cond_clear(&store->done);
    g_free(store->workspace_id);
    g_free(store->web_root);
    g_free(store);
}

const AbfsRenderContext *abfs_store_render_context(AbfsStore *store)
{
    return &store->ctx;
}

guint abfs_store_walks(AbfsStore *store)
{
    g_mutex_lock(&store->lock);
    guint n = store->walks;
    g_mutex_unlock(&store->lock);
    return n;
}

static gboolean is_fresh(AbfsStore *store, AbfsSnapshot *s)
{
    gint64 now = g_get_monotonic_time();
    /* After a walk could not reach the API, the old snapshot serves until the next TTL is up:
     * one bounded attempt per TTL, not one per request. */
    return s && ((!store->stale && now - s->made_at < store->ttl_us) || now < store->retry_after);
}

static gboolean is_unreachable(const GError *err)
{
    return err->domain == ABFS_ERROR &&
           (err->code == ENOTCONN || err->code == ETIMEDOUT || err->code == EIO || err->code == EAGAIN);
}

/* Builds a snapshot from a listing, reusing unchanged entries of previous. */
/* Connection id inside a compact JSON text, without parsing the rest (newly allocated). */
static char *text_id(const char *text)
{
    json_object *conn = abfs_json_parse_trusted(text);
    char *id = g_strdup(abfs_json_string(conn, "connectionId"));
    json_object_put(conn);
    return id;
}

/* Builds a snapshot from a listing (texts, taken), reusing unchanged entries of previous. */
static AbfsSnapshot *snapshot_from_listing(AbfsStore *store, GPtrArray *items, AbfsSnapshot *previous)
{
    AbfsSnapshot *s = snapshot_new();
    for (guint i = 0; i < items->len; i++) {
        char *text = g_ptr_array_index(items, i);
        items->pdata[i] = NULL;
        char *id = text_id(text);
        if (!id) { /* resources.c checked every id: never, but never a NULL key either */
            g_free(text);
            continue;
        }
        AbfsEntry *old = previous && id ? abfs_snapshot_lookup(previous, id) : NULL;
        g_free(id);
        if (old && strcmp(old->text, text) == 0) {
            snapshot_add(s, abfs_entry_ref(old));
            g_free(text);
        } else
            snapshot_add(s, entry_new(store, text, old, s->wall_time));
    }
    g_ptr_array_sort(s->ids, compare_ids);
    if (store->on_change && previous) {
        gboolean same_set = abfs_snapshot_count(previous) == abfs_snapshot_count(s);
        for (guint i = 0; same_set && i < s->ids->len; i++)
            same_set = strcmp(g_ptr_array_index(s->ids, i), g_ptr_array_index(previous->ids, i)) == 0;
        for (guint i = 0; i < previous->ids->len; i++) /* gone: forget the whole directory */
            if (!abfs_snapshot_lookup(s, g_ptr_array_index(previous->ids, i)))
                store->on_change(g_ptr_array_index(previous->ids, i), -1, store->on_change_data);
        if (!same_set)
            store->on_change(NULL, -1, store->on_change_data);
    }
    return s;
}

/* A PATCH answer stored while a walk was in flight is newer than what that walk read: keep it.
 * Caller holds the lock. */
static void keep_newer_puts(AbfsStore *store, AbfsSnapshot *fresh, guint64 serial_at_start)
{
    if (!store->current || store->put_serial == serial_at_start)
        return;
    GHashTableIter it;
    gpointer id, serial;
    g_hash_table_iter_init(&it, store->puts);
    while (g_hash_table_iter_next(&it, &id, &serial)) {
        if ((guint64)GPOINTER_TO_SIZE(serial) <= serial_at_start)
            continue;
        AbfsEntry *newer = abfs_snapshot_lookup(store->current, id);
        AbfsEntry *walked = abfs_snapshot_lookup(fresh, id);
        if (newer && walked && newer != walked) {
            /* ids and the table's key borrow the walked entry's id: point them at the newer
             * entry's before replacing frees the walked one. */
            const char *key = newer->fields[ABFS_ENTRY_ID];
            const char *old_key = walked->fields[ABFS_ENTRY_ID];
            for (guint i = 0; i < fresh->ids->len; i++)
                if (g_ptr_array_index(fresh->ids, i) == old_key)
                    fresh->ids->pdata[i] = (gpointer)key;
            g_hash_table_replace(fresh->by_id, (gpointer)key, abfs_entry_ref(newer));
        }
    }
}

/* Tells the stale hook about connections a walk dropped (skipped: lines, may be NULL), each once
 * while it stays dropped: a broken connection is said once, not once per TTL. Caller holds the lock. */
static void report_skipped(AbfsStore *store, GPtrArray *skipped)
{
    GHashTable *now = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    for (guint i = 0; skipped && i < skipped->len; i++) {
        const char *line = g_ptr_array_index(skipped, i);
        if (!g_hash_table_contains(store->skipped, line)) {
            if (store->on_stale)
                store->on_stale(EIO, line, store->on_stale_data);
            else
                g_warning("%s", line);
        }
        g_hash_table_add(now, g_strdup(line));
    }
    g_hash_table_destroy(store->skipped);
    store->skipped = now;
}

AbfsSnapshot *abfs_store_snapshot(AbfsStore *store, GError **error)
{
    g_mutex_lock(&store->lock);
    for (;;) {
        if (is_fresh(store, store->current)) {
            AbfsSnapshot *s = snapshot_ref(store->current);
            g_mutex_unlock(&store->lock);
            return s;
        }
        if (!store->walking)
            break;
        /* Someone is walking: wait for their result instead of walking too. */
        guint walks = store->walks;
        while (store->walking)
            g_cond_wait(&store->done, &store->lock);
        if (store->walks != walks && !is_fresh(store, store->current)) {
            if (store->current && (!store->last_error || is_unreachable(store->last_error))) {
                /* their walk could not reach the API; serve what we have */
                AbfsSnapshot *s = snapshot_ref(store->current);
                g_mutex_unlock(&store->lock);
                return s;
            }
            if (error)
                *error = g_error_copy(store->last_error);
            g_mutex_unlock(&store->lock);
            return NULL;
        }
    }
    store->walking = TRUE;
    AbfsSnapshot *previous = store->current ? snapshot_ref(store->current) : NULL;
    guint64 serial_at_start = store->put_serial;
    g_mutex_unlock(&store->lock);

    GPtrArray *items = NULL, *skipped = NULL;
    GError *err = NULL;
    AbfsSnapshot *fresh = NULL;
    guint hint = previous ? abfs_snapshot_count(previous) : 0;
    if (abfs_connections_list(store->client, store->workspace_id, hint, store->parallel, &items, &skipped,
                              &err)) {
        fresh = snapshot_from_listing(store, items, previous);
        g_ptr_array_free(items, TRUE);
    }

    g_mutex_lock(&store->lock);
    store->walking = FALSE;
    store->walks++;
    AbfsSnapshot *result = NULL;
    g_clear_error(&store->last_error);
    if (fresh) {
        report_skipped(store, skipped);
        keep_newer_puts(store, fresh, serial_at_start);
        abfs_snapshot_unref(store->current);
        store->current = fresh;
        g_hash_table_remove_all(store->singles); /* the listing knows them all now */
        store->stale = FALSE;
        result = snapshot_ref(fresh);
    } else {
        store->last_error = g_error_copy(err);
        if (store->current && is_unreachable(err)) {
            char *msg = g_strdup_printf("listing connections failed (%s); serving the listing of %" G_GINT64_FORMAT
                                        " s ago", err->message,
                                        g_get_real_time() / G_USEC_PER_SEC - store->current->wall_time);
            store->retry_after = g_get_monotonic_time() + MAX(store->ttl_us, G_USEC_PER_SEC);
            if (store->on_stale)
                store->on_stale(err->code, msg, store->on_stale_data);
            else
                g_warning("%s", msg);
            g_free(msg);
            result = snapshot_ref(store->current);
        } else
            g_propagate_error(error, g_error_copy(err));
    }
    g_cond_broadcast(&store->done);
    g_mutex_unlock(&store->lock);
    g_clear_error(&err);
    if (skipped)
        g_ptr_array_free(skipped, TRUE);
    abfs_snapshot_unref(previous);
    return result;
}

void abfs_store_invalidate(AbfsStore *store)
{
    g_mutex_lock(&store->lock);
    store->stale = TRUE;
    store->retry_after = 0;
    g_hash_table_remove_all(store->singles);
    g_mutex_unlock(&store->lock);
}

void abfs_store_put_connection(AbfsStore *store, json_object *conn)
{
    char *id = g_strdup(abfs_json_string(conn, "connectionId"));
    char *text = abfs_json_compact(conn);
    json_object_put(conn);
    g_mutex_lock(&store->lock);
    AbfsSnapshot *old = store->current;
    if (!old && id && g_hash_table_contains(store->singles, id)) {
        /* no listing yet: the connection was read alone, so its new value replaces that */
        AbfsEntry *prev = g_hash_table_lookup(store->singles, id);
        AbfsEntry *e = strcmp(prev->text, text) == 0 ? abfs_entry_ref(prev)
                                                     : entry_new(store, g_strdup(text), prev, g_get_real_time() / G_USEC_PER_SEC);
        g_hash_table_replace(store->singles, g_strdup(id), e);
    }
    if (!old || !id) {
        g_mutex_unlock(&store->lock);
        g_free(id);
        g_free(text);
        return;
    }
    AbfsSnapshot *s = snapshot_new();
    s->made_at = old->made_at;
    s->wall_time = old->wall_time;
    gint64 now = g_get_real_time() / G_USEC_PER_SEC;
    gboolean placed = FALSE;
    for (guint i = 0; i < old->ids->len; i++) {
        AbfsEntry *e = abfs_snapshot_lookup(old, g_ptr_array_index(old->ids, i));
        if (strcmp(g_ptr_array_index(old->ids, i), id) == 0) {
            if (strcmp(e->text, text) == 0)
                snapshot_add(s, abfs_entry_ref(e));
            else {
                snapshot_add(s, entry_new(store, text, e, now));
                text = NULL;
            }
            placed = TRUE;
        } else
            snapshot_add(s, abfs_entry_ref(e));
    }
    if (!placed) {
        snapshot_add(s, entry_new(store, text, NULL, now));
        text = NULL;
    }
    g_free(text);
    g_ptr_array_sort(s->ids, compare_ids);
    store->current = s;
    store->put_serial++;
    g_hash_table_replace(store->puts, id, GSIZE_TO_POINTER((gsize)store->put_serial));
    g_mutex_unlock(&store->lock);
    abfs_snapshot_unref(old);
}

AbfsClient *abfs_store_client(AbfsStore *store)
{
    return store->client;
}

/* Before the first walk, one connection asked for by id (cat connections/<id>/name on a fresh
 * mount) is read with GET /connections/{id} instead of walking the whole listing: 16 readers of
 * 16 connections cost 16 requests, not a walk of every page. One read per id at a time; entries
 * live until the first walk installs a snapshot, or the TTL. */
static AbfsEntry *single_entry(AbfsStore *store, const char *id, GError **error)
{
    g_mutex_lock(&store->lock);
    for (;;) {
        AbfsEntry *e = g_hash_table_lookup(store->singles, id);
        if (e && g_get_monotonic_time() - e->fetched_at < store->ttl_us) {
            abfs_entry_ref(e);
            g_mutex_unlock(&store->lock);
            return e;
        }
        if (!g_hash_table_contains(store->fetching, id))
            break;
        g_cond_wait(&store->done, &store->lock);
    }
    g_hash_table_add(store->fetching, g_strdup(id));
    g_mutex_unlock(&store->lock);

    GError *err = NULL;
    json_object *conn = abfs_connection_get(store->client, store->workspace_id, id, &err);
    AbfsEntry *e = NULL;
    if (conn) {
        char *text = abfs_json_compact(conn);
        json_object_put(conn);
        e = entry_new(store, text, NULL, g_get_real_time() / G_USEC_PER_SEC);
    }
    g_mutex_lock(&store->lock);
    AbfsEntry *old = g_hash_table_lookup(store->singles, id);
    if (!e && old && is_unreachable(err)) {
        /* the API cannot be reached: the value read before keeps serving, as a listing would */
        e = abfs_entry_ref(old);
        old->fetched_at = g_get_monotonic_time(); /* one attempt per TTL */
        char *msg = g_strdup_printf("reading connection %s failed (%s); serving the value read before", id, err->message);
        if (store->on_stale)
            store->on_stale(err->code, msg, store->on_stale_data);
        g_free(msg);
        g_clear_error(&err);
        g_hash_table_remove(store->fetching, id);
        g_cond_broadcast(&store->done);
        g_mutex_unlock(&store->lock);
        return e;
    }
    if (err)
        g_propagate_error(error, err);
    g_hash_table_remove(store->fetching, id);
    if (e && !store->current)
        g_hash_table_replace(store->singles, g_strdup(id), abfs_entry_ref(e));
    g_cond_broadcast(&store->done);
    g_mutex_unlock(&store->lock);
    return e;
}

AbfsEntry *abfs_store_entry(AbfsStore *store, const char *connection_id, GError **error)
{
    g_mutex_lock(&store->lock);
    gboolean cold = !store->current && !store->walking && abfs_id_is_safe(connection_id);
    g_mutex_unlock(&store->lock);
    if (cold)
        return single_entry(store, connection_id, error);
    AbfsSnapshot *snap = abfs_store_snapshot(store, error);
    if (!snap)
        return NULL;
    AbfsEntry *e = abfs_snapshot_lookup(snap, connection_id);
    if (e)
        abfs_entry_ref(e);
    else
        g_set_error(error, ABFS_ERROR, ENOENT, "connection %s does not exist", connection_id);
    abfs_snapshot_unref(snap);
    return e;
}

void abfs_store_set_parallel(AbfsStore *store, guint parallel)
{
    store->parallel = MAX(parallel, 1);
}

void abfs_store_set_change_hook(AbfsStore *store, AbfsStoreChangeHook hook, gpointer data)
{
    store->on_change = hook;
    store->on_change_data = data;
}

void abfs_store_set_stale_hook(AbfsStore *store, AbfsStoreStaleHook hook, gpointer data)
{
    store->on_stale = hook;
    store->on_stale_data = data;
}

GHashTable *abfs_snapshot_by_name(AbfsSnapshot *s)
{
    GHashTable *t = g_atomic_pointer_get(&s->by_name);
    if (t)
        return t;
    GHashTable *fresh = abfs_by_name_table(s);
    if (g_atomic_pointer_compare_and_exchange(&s->by_name, NULL, fresh))
        return fresh;
    g_hash_table_destroy(fresh);
    return g_atomic_pointer_get(&s->by_name);
}
