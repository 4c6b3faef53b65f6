/* cache.c — values per key with a TTL, single-flight fetches and stale serving (cache.h). */
#include "cache.h"
#include "error.h"

#include <errno.h>
#include <string.h>

typedef struct {
    gpointer value;     /* NULL: none */
    gint64 fetched_at;  /* monotonic µs of the fetch (or put) that made value */
    gint64 serve_until; /* monotonic µs: after a fetch failed, value serves until then */
    gboolean stale;     /* invalidated: fetch again whatever the age */
    gboolean fetching;  /* a fetch is in flight: others wait for it (the slot is not removed) */
    guint fetches;      /* fetches of this key ended so far */
    guint changes;      /* puts and updates so far, to tell a fetch that the value changed */
    GError *last_error; /* of the last fetch, NULL if it succeeded */
} Slot;

struct AbfsCache {
    AbfsCacheOptions opt; /* set at creation, then read-only */
    gint64 ttl_us;        /* read-only */
    GMutex lock;
    GCond fetched;     /* broadcast when any fetch ends; waits on lock */
    GHashTable *slots; /* key → Slot; protected by lock */
    guint fetches;     /* protected by lock */
};

static void slot_free(AbfsCache *cache, Slot *slot)
{
    if (slot->value)
        cache->opt.free(slot->value);
    g_clear_error(&slot->last_error);
    g_free(slot);
}

static void slot_destroy(gpointer data, gpointer cache)
{
    slot_free(cache, data);
}

AbfsCache *abfs_cache_new(const AbfsCacheOptions *options)
{
    AbfsCache *cache = g_new0(AbfsCache, 1);
    cache->opt = *options;
    cache->ttl_us = (gint64)options->ttl_ms * 1000;
    g_mutex_init(&cache->lock);
    g_cond_init(&cache->fetched);
    cache->slots = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    return cache;
}

void abfs_cache_free(AbfsCache *cache)
{
    if (!cache)
        return;
    GList *slots = g_hash_table_get_values(cache->slots);
    g_list_foreach(slots, slot_destroy, cache);
    g_list_free(slots);
    g_hash_table_destroy(cache->slots);
    g_mutex_clear(&cache->lock);
    g_cond_clear(&cache->fetched);
    g_free(cache);
}

/* Caller holds the lock. */
static gboolean slot_fresh(AbfsCache *cache, Slot *slot, gint64 now)
{
    if (!slot || !slot->value)
        return FALSE;
    if (cache->opt.forever && cache->opt.forever(slot->value))
        return TRUE;
    return (!slot->stale && now - slot->fetched_at < cache->ttl_us) || now < slot->serve_until;
}

/* Caller holds the lock. */
static Slot *slot_get(AbfsCache *cache, const char *key)
{
    Slot *slot = g_hash_table_lookup(cache->slots, key);
    if (!slot) {
        slot = g_new0(Slot, 1);
        g_hash_table_insert(cache->slots, g_strdup(key), slot);
    }
    return slot;
}

/* The outcome of the fetch a waiter waited for: a copy of the value, or NULL with *error. Caller
 * holds the lock. */
static gpointer shared_outcome(AbfsCache *cache, Slot *slot, GError **error)
{
    if (slot->value && (!slot->last_error || (cache->opt.serve_stale && abfs_error_unreachable(slot->last_error))))
        return cache->opt.copy(slot->value);
    if (slot->last_error)
        g_propagate_error(error, g_error_copy(slot->last_error));
    else
        g_set_error(error, ABFS_ERROR, EIO, "the value was dropped while it was read");
    return NULL;
}

gpointer abfs_cache_get(AbfsCache *cache, const char *key, AbfsCacheFetch fetch, gpointer data, GError **error)
{
    g_mutex_lock(&cache->lock);
    Slot *slot;
    for (;;) {
        slot = slot_get(cache, key);
        if (slot_fresh(cache, slot, g_get_monotonic_time())) {
            gpointer copy = cache->opt.copy(slot->value);
            g_mutex_unlock(&cache->lock);
            return copy;
        }
        if (!slot->fetching)
            break;
        /* Someone is fetching it: share their outcome instead of fetching too. */
        guint seen = slot->fetches;
        while ((slot = g_hash_table_lookup(cache->slots, key)) && slot->fetching)
            g_cond_wait(&cache->fetched, &cache->lock);
        if (slot && slot->fetches != seen) {
            gpointer out = shared_outcome(cache, slot, error);
            g_mutex_unlock(&cache->lock);
            return out;
        }
    }
    slot->fetching = TRUE;
    guint changes = slot->changes;
    gpointer previous = slot->value ? cache->opt.copy(slot->value) : NULL;
    g_mutex_unlock(&cache->lock);

    GError *err = NULL;
    gpointer fresh = fetch(key, previous, data, &err);
    if (!fresh && !err)
        g_set_error(&err, ABFS_ERROR, EIO, "reading %s gave nothing", key);

    g_mutex_lock(&cache->lock);
    /* The slot stays while fetching is set: no one removed it. */
    gint64 now = g_get_monotonic_time();
    slot->fetching = FALSE;
    slot->fetches++;
    cache->fetches++;
    g_clear_error(&slot->last_error);
    gpointer out = NULL, stale_value = NULL;
    gint64 stale_age = 0;
    if (fresh) {
        /* Forgotten while it was fetched: the answer may predate what made it be forgotten (a
         * write), so the callers get it but the next get fetches again. */
        gboolean forgotten = !slot->value && slot->changes != changes;
        if (slot->value && slot->changes != changes && cache->opt.merge)
            fresh = cache->opt.merge(fresh, previous, slot->value, cache->opt.data);
        if (slot->value)
            cache->opt.free(slot->value);
        slot->value = fresh;
        slot->fetched_at = now;
        slot->serve_until = 0;
        slot->stale = forgotten;
        out = cache->opt.copy(fresh);
    } else {
        slot->last_error = g_error_copy(err);
        if (slot->value && cache->opt.serve_stale && abfs_error_unreachable(err)) {
            slot->serve_until = now + MAX(cache->ttl_us, G_USEC_PER_SEC); /* one attempt per TTL */
            out = cache->opt.copy(slot->value);
            stale_value = cache->opt.copy(slot->value);
            stale_age = now - slot->fetched_at;
        }
    }
    g_cond_broadcast(&cache->fetched);
    g_mutex_unlock(&cache->lock);

    if (stale_value) {
        if (cache->opt.on_stale)
            cache->opt.on_stale(key, err, stale_value, stale_age, cache->opt.data);
        else
            g_warning("reading %s failed (%s); serving the value of %" G_GINT64_FORMAT " s ago", key, err->message,
                      stale_age / G_USEC_PER_SEC);
        cache->opt.free(stale_value);
    }
    if (!out && err)
        g_propagate_error(error, err);
    else
        g_clear_error(&err);
    if (previous)
        cache->opt.free(previous);
    return out;
}

gpointer abfs_cache_peek(AbfsCache *cache, const char *key)
{
    g_mutex_lock(&cache->lock);
    Slot *slot = g_hash_table_lookup(cache->slots, key);
    gpointer copy = slot && slot->value ? cache->opt.copy(slot->value) : NULL;
    g_mutex_unlock(&cache->lock);
    return copy;
}

gboolean abfs_cache_is_cold(AbfsCache *cache, const char *key)
{
    g_mutex_lock(&cache->lock);
    Slot *slot = g_hash_table_lookup(cache->slots, key);
    gboolean cold = !slot || (!slot->value && !slot->fetching);
    g_mutex_unlock(&cache->lock);
    return cold;
}

void abfs_cache_put(AbfsCache *cache, const char *key, gpointer value)
{
    g_mutex_lock(&cache->lock);
    Slot *slot = slot_get(cache, key);
    gpointer old = slot->value;
    slot->value = value;
    slot->fetched_at = g_get_monotonic_time();
    slot->serve_until = 0;
    slot->stale = FALSE;
    slot->changes++;
    g_mutex_unlock(&cache->lock);
    if (old)
        cache->opt.free(old);
}

gboolean abfs_cache_update(AbfsCache *cache, const char *key, gpointer (*update)(gpointer current, gpointer data),
                           gpointer data)
{
    g_mutex_lock(&cache->lock);
    Slot *slot = g_hash_table_lookup(cache->slots, key);
    gpointer old = NULL;
    if (slot && slot->value) {
        gpointer replaced = update(slot->value, data);
        if (replaced) {
            old = slot->value;
            slot->value = replaced;
            slot->changes++;
        }
    }
    g_mutex_unlock(&cache->lock);
    if (old)
        cache->opt.free(old);
    return old != NULL;
}

static void slot_invalidate(gpointer key, gpointer value, gpointer data)
{
    (void)key;
    (void)data;
    Slot *slot = value;
    slot->stale = TRUE;
    slot->serve_until = 0;
}

void abfs_cache_invalidate(AbfsCache *cache, const char *key)
{
    g_mutex_lock(&cache->lock);
    if (key) {
        Slot *slot = g_hash_table_lookup(cache->slots, key);
        if (slot)
            slot_invalidate(NULL, slot, NULL);
    } else
        g_hash_table_foreach(cache->slots, slot_invalidate, NULL);
    g_mutex_unlock(&cache->lock);
}

/* Drops a slot's value; the slot itself goes unless a fetch is in flight. Caller holds the lock;
 * the value is added to dropped, to be freed after unlocking. */
static gboolean slot_forget(Slot *slot, GPtrArray *dropped)
{
    if (slot->value)
        g_ptr_array_add(dropped, slot->value);
    slot->value = NULL;
    slot->changes++;
    if (slot->fetching)
        return FALSE;
    g_clear_error(&slot->last_error);
    g_free(slot);
    return TRUE;
}

void abfs_cache_forget(AbfsCache *cache, const char *key)
{
    GPtrArray *dropped = g_ptr_array_new_with_free_func(cache->opt.free);
    g_mutex_lock(&cache->lock);
    if (key) {
        Slot *slot = g_hash_table_lookup(cache->slots, key);
        if (slot && slot_forget(slot, dropped))
            g_hash_table_remove(cache->slots, key);
    } else {
        GHashTableIter it;
        gpointer v;
        g_hash_table_iter_init(&it, cache->slots);
        while (g_hash_table_iter_next(&it, NULL, &v))
            if (slot_forget(v, dropped))
                g_hash_table_iter_remove(&it);
    }
    g_mutex_unlock(&cache->lock);
    g_ptr_array_free(dropped, TRUE);
}

guint abfs_cache_fetches(AbfsCache *cache)
{
    g_mutex_lock(&cache->lock);
    guint n = cache->fetches;
    g_mutex_unlock(&cache->lock);
    return n;
}
