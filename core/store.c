/* store.c — snapshots of the connection listing and per-file change times (store.h). The TTL,
 * the single flight of walks and the stale serving while the API cannot be reached are cache.h's;
 * the by-name index of a snapshot is built from names.h's rules. */
#include "store.h"
#include "json_scan.h"
#include "cache.h"
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

/* Immutable once made, except size[] (each set once, atomically); shared by reference. */
struct AbfsEntry {
    gint refs;                       /* atomic */
    char *text;                      /* the connection as compact JSON: ~the bytes the API sent */
    char *fields[ABFS_ENTRY_FIELDS]; /* connectionId, name, sourceId, destinationId, tag ids */
    gint64 created_at;
    const AbfsRenderContext *ctx;
    const AbfsConnectionFile *files;
    guint nfiles;
    gint64 *mtime;
    gint64 *size; /* per file, -1 until first asked (set atomically) */
};

/* Immutable once made (by_name is set once, by compare-and-swap); shared by reference. */
struct AbfsSnapshot {
    gint refs;           /* atomic */
    gint64 wall_time;    /* real seconds of the walk */
    gint64 mono_time;    /* monotonic µs of the walk */
    GHashTable *by_id;   /* id → AbfsEntry (ref) */
    GPtrArray *ids;      /* sorted, borrowed from the entries */
    GHashTable *by_name; /* lazily (CAS), see abfs_snapshot_by_name() */
    /* Puts since the walk: a snapshot made by abfs_store_put_connection() has put_serial one more
     * than the one it replaced, and puts maps each id put since the walk to the serial of its put
     * (NULL for a walked snapshot), so a walk can tell which entries are newer than what it read. */
    guint64 put_serial;
    GHashTable *puts;
};

struct AbfsStore {
    /* Set at creation (or by the setters, before the store is shared), then read-only. */
    AbfsClient *client;
    AbfsRenderContext ctx;
    char *workspace_id;
    char *web_root;
    guint parallel; /* page requests in flight during a walk */
    AbfsStoreChangeHook on_change;
    gpointer on_change_data;
    AbfsStoreStaleHook on_stale;
    gpointer on_stale_data;
    struct AbfsTags *tags;
    /* Thread-safe by themselves (cache.h). */
    AbfsCache *listing; /* LISTING → AbfsSnapshot */
    AbfsCache *singles; /* id → AbfsEntry: connections read one by one before the first walk */
    /* Lines of the last walk's dropped connections (each reported once); only touched by a walk,
     * and the listing cache runs one walk at a time. */
    GHashTable *skipped;
};

#define LISTING "connections"

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

typedef struct {
    const char *key;
    json_object *conn;
} OneMember;

static void take_member(const AbfsScanItem *item, gpointer data)
{
    OneMember *one = data;
    const AbfsScanMember *m = abfs_json_scan_member(item, one->key);
    one->conn = json_object_new_object();
    if (m) {
        char *bytes = g_strndup(m->value, m->value_len); /* json-c ends a number only at a NUL */
        json_object_object_add(one->conn, one->key, abfs_json_parse_trusted(bytes));
        g_free(bytes);
    }
}

/* What file's renderer reads of e: the object holding only its row's member when it names one
 * (scanned out of the text, not the whole connection parsed), else the whole connection. */
static json_object *render_input(AbfsEntry *e, guint file)
{
    OneMember one = {e->files[file].member, NULL};
    if (one.key && abfs_json_scan_value(e->text, strlen(e->text), ABFS_JSON_MAX_DEPTH, take_member, &one, NULL))
        return one.conn;
    return abfs_entry_parse(e);
}

char *abfs_entry_render(AbfsEntry *e, guint file, gsize *len)
{
    json_object *conn = render_input(e, file);
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

/* A new entry for a listed connection (its members taken; the struct freed). With previous (the
 * same connection in the last snapshot), each file keeps its mtime when its content did not
 * change. */
static AbfsEntry *entry_new_listed(AbfsStore *store, AbfsListedConnection *c, AbfsEntry *previous, gint64 now_s)
{
    AbfsEntry *e = g_new0(AbfsEntry, 1);
    e->refs = 1;
    e->text = c->text;
    e->fields[ABFS_ENTRY_ID] = c->id;
    e->fields[ABFS_ENTRY_NAME] = c->name;
    e->fields[ABFS_ENTRY_SOURCE_ID] = c->source_id;
    e->fields[ABFS_ENTRY_DESTINATION_ID] = c->destination_id;
    e->fields[ABFS_ENTRY_TAG_IDS] = c->tag_ids;
    e->created_at = c->created_at >= 0 ? c->created_at : now_s;
    g_free(c);
    e->ctx = &store->ctx;
    e->files = abfs_connection_files(&e->nfiles);
    e->mtime = g_new0(gint64, e->nfiles);
    e->size = g_new(gint64, e->nfiles);
    for (guint i = 0; i < e->nfiles; i++)
        e->size[i] = -1;
    if (!previous) {
        for (guint i = 0; i < e->nfiles; i++)
            e->mtime[i] = e->created_at;
        return e;
    }
    Summary *old = summary_of(previous), *new = summary_of(e);
    for (guint i = 0; i < e->nfiles; i++) {
        gboolean same = old->len[i] == new->len[i] && old->hash[i] == new->hash[i];
        e->mtime[i] = same ? previous->mtime[i] : now_s;
        e->size[i] = (gint64) new->len[i];
        if (!same && store->on_change)
            store->on_change(e->fields[ABFS_ENTRY_ID], (int)i, store->on_change_data);
    }
    summary_free(old);
    summary_free(new);
    return e;
}

/* A new entry for a connection's compact JSON text (taken), as entry_new_listed(). */
static AbfsEntry *entry_new(AbfsStore *store, char *text, AbfsEntry *previous, gint64 now_s)
{
    json_object *conn = abfs_json_parse_trusted(text);
    AbfsListedConnection *c = abfs_listed_connection_of(conn, text);
    json_object_put(conn);
    return entry_new_listed(store, c, previous, now_s);
}

static gint compare_ids(gconstpointer a, gconstpointer b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static AbfsSnapshot *snapshot_new(void)
{
    AbfsSnapshot *s = g_new0(AbfsSnapshot, 1);
    s->refs = 1;
    s->wall_time = g_get_real_time() / G_USEC_PER_SEC;
    s->mono_time = g_get_monotonic_time();
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
    if (s->puts)
        g_hash_table_destroy(s->puts);
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

static void listing_stale(const char *key, const GError *err, gpointer value, gint64 age_us, gpointer data);
static void single_stale(const char *key, const GError *err, gpointer value, gint64 age_us, gpointer data);
static gpointer keep_put_single(gpointer fetched, gpointer started, gpointer current, gpointer data);
static gpointer keep_newer_puts(gpointer fetched, gpointer started, gpointer current, gpointer data);

AbfsStore *abfs_store_new(AbfsClient *client, const char *workspace_id, const char *web_root, guint ttl_ms)
{
    AbfsStore *store = g_new0(AbfsStore, 1);
    store->client = client;
    store->workspace_id = g_strdup(workspace_id);
    store->web_root = g_strdup(web_root);
    store->ctx.workspace_id = store->workspace_id;
    store->ctx.web_root = store->web_root;
    store->parallel = 1;
    store->skipped = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    AbfsCacheOptions listing = {
        .ttl_ms = ttl_ms,
        .copy = (AbfsCacheCopy)snapshot_ref,
        .free = (GDestroyNotify)abfs_snapshot_unref,
        .serve_stale = TRUE,
        .on_stale = listing_stale,
        .merge = keep_newer_puts,
        .data = store,
    };
    AbfsCacheOptions singles = {
        .ttl_ms = ttl_ms,
        .copy = (AbfsCacheCopy)abfs_entry_ref,
        .free = (GDestroyNotify)abfs_entry_unref,
        .serve_stale = TRUE,
        .on_stale = single_stale,
        .merge = keep_put_single,
        .data = store,
    };
    store->listing = abfs_cache_new(&listing);
    store->singles = abfs_cache_new(&singles);
    return store;
}

void abfs_store_free(AbfsStore *store)
{
    if (!store)
        return;
    abfs_cache_free(store->listing);
    abfs_cache_free(store->singles);
    g_hash_table_destroy(store->skipped);
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
    return abfs_cache_fetches(store->listing);
}

/* Builds a snapshot from a listing (AbfsListedConnection items, taken), reusing unchanged entries
 * of previous. */
static AbfsSnapshot *snapshot_from_listing(AbfsStore *store, GPtrArray *items, AbfsSnapshot *previous)
{
    AbfsSnapshot *s = snapshot_new();
    for (guint i = 0; i < items->len; i++) {
        AbfsListedConnection *c = g_ptr_array_index(items, i);
        items->pdata[i] = NULL;
        /* Before the first walk, a connection read alone is what the kernel was told of it. */
        AbfsEntry *single = previous ? NULL : abfs_cache_peek(store->singles, c->id);
        AbfsEntry *old = previous ? abfs_snapshot_lookup(previous, c->id) : single;
        if (old && strcmp(old->text, c->text) == 0) {
            snapshot_add(s, abfs_entry_ref(old));
            abfs_listed_connection_free(c);
        } else
            snapshot_add(s, entry_new_listed(store, c, old, s->wall_time));
        if (single)
            abfs_entry_unref(single);
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

/* The merge of the listing cache: a PATCH answer put while a walk was in flight is newer than
 * what that walk read, so the walked snapshot (fetched) keeps current's entry for it. started: the
 * snapshot the walk began from (NULL: none). Runs with the cache's lock held. */
static gpointer keep_newer_puts(gpointer fetched, gpointer started, gpointer current, gpointer data)
{
    (void)data;
    AbfsSnapshot *fresh = fetched, *now = current;
    guint64 since = started ? ((AbfsSnapshot *)started)->put_serial : 0;
    if (!now->puts)
        return fresh;
    GHashTableIter it;
    gpointer id, serial;
    g_hash_table_iter_init(&it, now->puts);
    while (g_hash_table_iter_next(&it, &id, &serial)) {
        if ((guint64)GPOINTER_TO_SIZE(serial) <= since)
            continue;
        AbfsEntry *newer = abfs_snapshot_lookup(now, id);
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
    return fresh;
}

/* Tells the stale hook about connections a walk dropped (skipped: lines, may be NULL), each once
 * while it stays dropped: a broken connection is said once, not once per TTL. Called by the walk. */
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

/* The listing cache's fetch: one walk of GET /connections. */
static gpointer walk(const char *key, gpointer previous, gpointer data, GError **error)
{
    (void)key;
    AbfsStore *store = data;
    AbfsSnapshot *prev = previous;
    GPtrArray *items = NULL, *skipped = NULL;
    guint hint = prev ? abfs_snapshot_count(prev) : 0;
    if (!abfs_connections_list(store->client, store->workspace_id, hint, store->parallel, &items, &skipped, error))
        return NULL;
    AbfsSnapshot *fresh = snapshot_from_listing(store, items, prev);
    g_ptr_array_free(items, TRUE);
    report_skipped(store, skipped);
    if (skipped)
        g_ptr_array_free(skipped, TRUE);
    abfs_cache_forget(store->singles, NULL); /* the listing knows them all now */
    return fresh;
}

static void listing_stale(const char *key, const GError *err, gpointer value, gint64 age_us, gpointer data)
{
    (void)key;
    (void)age_us;
    AbfsStore *store = data;
    char *msg = g_strdup_printf("listing connections failed (%s); serving the listing of %" G_GINT64_FORMAT " s ago",
                                err->message, g_get_real_time() / G_USEC_PER_SEC - ((AbfsSnapshot *)value)->wall_time);
    if (store->on_stale)
        store->on_stale(err->code, msg, store->on_stale_data);
    else
        g_warning("%s", msg);
    g_free(msg);
}

AbfsSnapshot *abfs_store_snapshot(AbfsStore *store, GError **error)
{
    return abfs_cache_get(store->listing, LISTING, walk, store, error);
}

AbfsSnapshot *abfs_store_snapshot_fresh(AbfsStore *store, guint max_age_ms, GError **error)
{
    AbfsSnapshot *s = abfs_cache_peek(store->listing, LISTING);
    if (s && g_get_monotonic_time() - s->mono_time <= (gint64)max_age_ms * 1000)
        return s;
    abfs_snapshot_unref(s);
    abfs_cache_invalidate(store->listing, LISTING);
    return abfs_store_snapshot(store, error);
}

void abfs_store_invalidate(AbfsStore *store)
{
    abfs_cache_invalidate(store->listing, NULL);
    abfs_cache_forget(store->singles, NULL);
}

typedef struct {
    AbfsStore *store;
    const char *id;
    char *text; /* taken by whichever update uses it */
} Put;

/* abfs_cache_update() of the listing: the snapshot with put->id's entry replaced (same age). */
static gpointer put_into_snapshot(gpointer current, gpointer data)
{
    Put *put = data;
    AbfsSnapshot *old = current;
    AbfsSnapshot *s = snapshot_new();
    s->wall_time = old->wall_time;
    s->mono_time = old->mono_time;
    s->put_serial = old->put_serial + 1;
    s->puts = g_hash_table_new(g_str_hash, g_str_equal); /* keys borrowed from s's entries */
    /* A put is the server's answer to a write through the mount: the files it changes get the
     * second after it, so they are newer than the writer's own file even within one second (an
     * export with `rsync -a` right after an apply copies them: rsync compares whole seconds). */
    gint64 now = g_get_real_time() / G_USEC_PER_SEC + 1;
    gboolean placed = FALSE;
    for (guint i = 0; i < old->ids->len; i++) {
        AbfsEntry *e = abfs_snapshot_lookup(old, g_ptr_array_index(old->ids, i));
        if (strcmp(g_ptr_array_index(old->ids, i), put->id) == 0) {
            if (strcmp(e->text, put->text) == 0)
                snapshot_add(s, abfs_entry_ref(e));
            else
                snapshot_add(s, entry_new(put->store, g_steal_pointer(&put->text), e, now));
            placed = TRUE;
        } else
            snapshot_add(s, abfs_entry_ref(e));
    }
    if (!placed)
        snapshot_add(s, entry_new(put->store, g_steal_pointer(&put->text), NULL, now));
    g_ptr_array_sort(s->ids, compare_ids);
    if (old->puts) {
        GHashTableIter it;
        gpointer id, serial;
        g_hash_table_iter_init(&it, old->puts);
        while (g_hash_table_iter_next(&it, &id, &serial)) {
            AbfsEntry *e = abfs_snapshot_lookup(s, id);
            if (e)
                g_hash_table_replace(s->puts, e->fields[ABFS_ENTRY_ID], serial);
        }
    }
    AbfsEntry *mine = abfs_snapshot_lookup(s, put->id);
    if (mine)
        g_hash_table_replace(s->puts, mine->fields[ABFS_ENTRY_ID], GSIZE_TO_POINTER((gsize)s->put_serial));
    return s;
}

/* abfs_cache_update() of a connection read alone: its new value replaces that. */
static gpointer put_into_single(gpointer current, gpointer data)
{
    Put *put = data;
    AbfsEntry *prev = current;
    if (strcmp(prev->text, put->text) == 0)
        return abfs_entry_ref(prev);
    return entry_new(put->store, g_strdup(put->text), prev, g_get_real_time() / G_USEC_PER_SEC + 1);
}

void abfs_store_put_connection(AbfsStore *store, json_object *conn)
{
    char *id = g_strdup(abfs_json_string(conn, "connectionId"));
    Put put = {store, id, abfs_json_compact(conn)};
    json_object_put(conn);
    gboolean placed = id && abfs_cache_update(store->listing, LISTING, put_into_snapshot, &put);
    if (id && !placed && !abfs_cache_is_cold(store->listing, LISTING)) {
        /* The first walk is in flight: what it read may predate this answer, and it installs
         * its listing with nothing to merge it with (and forgets the connections read alone).
         * Wait for it, then put the answer into its listing. */
        AbfsSnapshot *s = abfs_cache_get(store->listing, LISTING, walk, store, NULL);
        abfs_snapshot_unref(s);
        placed = abfs_cache_update(store->listing, LISTING, put_into_snapshot, &put);
    }
    /* Without a listing yet, a connection read alone takes its new value; one dropped by a
     * .refresh (or never read) is installed, so that a read in flight, sent before the write,
     * does not bring the older value back (keep_put_single). */
    if (id && !placed && !abfs_cache_update(store->singles, id, put_into_single, &put))
        abfs_cache_put(store->singles, id,
                       entry_new(store, g_steal_pointer(&put.text), NULL, g_get_real_time() / G_USEC_PER_SEC + 1));
    g_free(put.text);
    g_free(id);
}

AbfsClient *abfs_store_client(AbfsStore *store)
{
    return store->client;
}

void abfs_store_set_tags(AbfsStore *store, struct AbfsTags *tags)
{
    store->tags = tags;
}

struct AbfsTags *abfs_store_tags(AbfsStore *store)
{
    return store->tags;
}

/* The merge of the singles cache: a connection put while it was read alone (the answer to a write,
 * or a fresh GET of one) is at least as new as what that read, sent before it, saw: the read's
 * answer (fetched, taken) gives way to the put one (current, borrowed). Runs with the cache's lock
 * held. */
static gpointer keep_put_single(gpointer fetched, gpointer started, gpointer current, gpointer data)
{
    (void)started;
    (void)data;
    abfs_entry_unref(fetched);
    return abfs_entry_ref(current);
}

/* Before the first walk, one connection asked for by id (cat connections/<id>/name on a fresh
 * mount) is read with GET /connections/{id} instead of walking the whole listing: 16 readers of
 * 16 connections cost 16 requests, not a walk of every page. One read per id at a time (the
 * singles cache); entries live until the first walk installs a snapshot, or the TTL. */
static gpointer read_single(const char *id, gpointer previous, gpointer data, GError **error)
{
    AbfsStore *store = data;
    json_object *conn = abfs_connection_get(store->client, store->workspace_id, id, error);
    if (!conn)
        return NULL;
    char *text = abfs_json_compact(conn);
    json_object_put(conn);
    /* with the value read before (past the TTL), the files that changed are told (on_change) */
    return entry_new(store, text, previous, g_get_real_time() / G_USEC_PER_SEC);
}

static void single_stale(const char *id, const GError *err, gpointer value, gint64 age_us, gpointer data)
{
    (void)value;
    (void)age_us;
    AbfsStore *store = data;
    if (!store->on_stale)
        return;
    char *msg = g_strdup_printf("reading connection %s failed (%s); serving the value read before", id, err->message);
    store->on_stale(err->code, msg, store->on_stale_data);
    g_free(msg);
}

AbfsEntry *abfs_store_entry(AbfsStore *store, const char *connection_id, GError **error)
{
    if (abfs_cache_is_cold(store->listing, LISTING) && abfs_id_is_safe(connection_id))
        return abfs_cache_get(store->singles, connection_id, read_single, store, error);
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
    const char **names = g_new(const char *, MAX(s->ids->len, 1));
    for (guint i = 0; i < s->ids->len; i++)
        names[i] = abfs_snapshot_lookup(s, g_ptr_array_index(s->ids, i))->fields[ABFS_ENTRY_NAME];
    GHashTable *fresh = abfs_by_name_table(s->ids->len, (const char *const *)s->ids->pdata, names);
    g_free(names);
    if (g_atomic_pointer_compare_and_exchange(&s->by_name, NULL, fresh))
        return fresh;
    g_hash_table_destroy(fresh);
    return g_atomic_pointer_get(&s->by_name);
}
