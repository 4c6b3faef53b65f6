/* cache.h — one value per key, trusted for a TTL: the cache of listings (store.h), job lists and
 * jobs (jobs.h), and sources and destinations (actors.h).
 *
 * A value older than the TTL is fetched again by the first caller that wants it; callers that
 * come while that fetch runs wait for it and share its outcome (single flight: N readers, one
 * request). With serve_stale, a fetch that fails because the API cannot be reached
 * (abfs_error_unreachable) leaves the last value in place: it keeps serving until max(TTL, 1 s)
 * from then, so an outage costs one bounded attempt per TTL, and the stale hook says so once per
 * failed fetch. Other errors go to the caller and to every waiter. No lock is held while fetching
 * or when a function returns. Callers never share the cache's own value: they get what `copy`
 * makes of it (a new reference of an immutable, atomically reference-counted value, or a deep
 * copy), so no thread reads a value another one frees. */
#ifndef ABFS_CACHE_H
#define ABFS_CACHE_H

#include <glib.h>

typedef struct AbfsCache AbfsCache;

/* A caller's own copy of value: a new reference, or a deep copy. */
typedef gpointer (*AbfsCacheCopy)(gpointer value);

/* Fetches the value of key (called with no lock held, at most once at a time per key). previous:
 * the last value (a copy, possibly stale; NULL if none), for hints; borrowed. Returns the new
 * value (the cache takes it) or NULL with *error. */
typedef gpointer (*AbfsCacheFetch)(const char *key, gpointer previous, gpointer data, GError **error);

/* A fetch of key failed (error: why) and value (borrowed, last fetched age_us ago) keeps serving.
 * Called once per such fetch, with no lock held. */
typedef void (*AbfsCacheStaleHook)(const char *key, const GError *error, gpointer value, gint64 age_us, gpointer data);

/* A fetch that began when the key held `started` (borrowed, may be NULL) ends while the value was
 * changed meanwhile by abfs_cache_put()/abfs_cache_update() to `current` (borrowed). Returns what
 * to keep instead of fetched (takes fetched; may return it). Called with the cache's lock held:
 * short, and never calling back into the cache. */
typedef gpointer (*AbfsCacheMerge)(gpointer fetched, gpointer started, gpointer current, gpointer data);

typedef struct {
    guint ttl_ms;                        /* 0: every get fetches (waiters still share a fetch) */
    AbfsCacheCopy copy;                  /* what a caller gets; called with the lock held */
    GDestroyNotify free;                 /* frees a value (the cache's, or a caller's copy) */
    gboolean serve_stale;                /* keep the last value while the API cannot be reached */
    gboolean (*forever)(gpointer value); /* TRUE: this value never expires (NULL: none does) */
    AbfsCacheStaleHook on_stale;         /* NULL: g_warning */
    AbfsCacheMerge merge;                /* NULL: the fetched value replaces a changed one */
    gpointer data;                       /* for on_stale and merge */
} AbfsCacheOptions;

AbfsCache *abfs_cache_new(const AbfsCacheOptions *options);
void abfs_cache_free(AbfsCache *cache);

/* A copy of key's value, fetched first (with fetch(key, previous, data)) unless it is fresh. NULL
 * with *error when the fetch failed and nothing may be served instead. */
gpointer abfs_cache_get(AbfsCache *cache, const char *key, AbfsCacheFetch fetch, gpointer data, GError **error);

/* A copy of key's value whatever its age, or NULL when there is none. Never fetches. */
gpointer abfs_cache_peek(AbfsCache *cache, const char *key);

/* TRUE when key has no value and no fetch in flight. */
gboolean abfs_cache_is_cold(AbfsCache *cache, const char *key);

/* Installs value (taken) as key's value, fetched now (e.g. the answer to a write). */
void abfs_cache_put(AbfsCache *cache, const char *key, gpointer value);

/* Replaces key's value with update(current, data) (current borrowed; the result taken; NULL: no
 * change), keeping its age. Does nothing when key has no value. Runs with the lock held: short,
 * never calling back into the cache. Returns TRUE if the value was replaced. */
gboolean abfs_cache_update(AbfsCache *cache, const char *key, gpointer (*update)(gpointer current, gpointer data),
                           gpointer data);

/* Makes the next get of key (NULL: of every key) fetch again; the old value still serves while the
 * API cannot be reached. */
void abfs_cache_invalidate(AbfsCache *cache, const char *key);

/* Drops key's value (NULL: every value). */
void abfs_cache_forget(AbfsCache *cache, const char *key);

/* Fetches ended so far, failed ones included (for tests and -d totals). */
guint abfs_cache_fetches(AbfsCache *cache);

#endif
