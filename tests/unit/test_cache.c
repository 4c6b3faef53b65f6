/* test_cache.c — unit tests of core/cache.h: TTL, single flight, stale serving while the API
 * cannot be reached, errors shared with waiters, put/update/merge/forget. Values are strings
 * (copy = g_strdup); fetches are scripted. */
#include <glib.h>

#include <errno.h>
#include <string.h>

#include "cache.h"
#include "error.h"

typedef struct {
    GMutex lock;
    guint calls;       /* fetches made */
    guint delay_ms;    /* each fetch sleeps this long */
    int fail;          /* 0: succeed; else the errno of the failure */
    char *value;       /* what a successful fetch returns (a copy) */
    guint stale_calls; /* stale hook calls */
    char *stale_value; /* the value the last stale hook saw */
    guint merges;
    GCond started; /* signalled when a fetch begins */
    gboolean running;
} Script;

static Script *script_new(const char *value)
{
    Script *s = g_new0(Script, 1);
    g_mutex_init(&s->lock);
    g_cond_init(&s->started);
    s->value = g_strdup(value);
    return s;
}

static void script_free(Script *s)
{
    g_free(s->value);
    g_free(s->stale_value);
    g_mutex_clear(&s->lock);
    g_cond_clear(&s->started);
    g_free(s);
}

static void script_set(Script *s, const char *value, int fail)
{
    g_mutex_lock(&s->lock);
    g_free(s->value);
    s->value = g_strdup(value);
    s->fail = fail;
    g_mutex_unlock(&s->lock);
}

static guint script_calls(Script *s)
{
    g_mutex_lock(&s->lock);
    guint n = s->calls;
    g_mutex_unlock(&s->lock);
    return n;
}

static gpointer fetch(const char *key, gpointer previous, gpointer data, GError **error)
{
    (void)key;
    (void)previous;
    Script *s = data;
    g_mutex_lock(&s->lock);
    s->calls++;
    s->running = TRUE;
    g_cond_broadcast(&s->started);
    guint delay = s->delay_ms;
    g_mutex_unlock(&s->lock);
    if (delay)
        g_usleep(delay * 1000);
    g_mutex_lock(&s->lock);
    s->running = FALSE;
    int fail = s->fail;
    char *value = fail ? NULL : g_strdup(s->value);
    g_mutex_unlock(&s->lock);
    if (fail)
        g_set_error(error, ABFS_ERROR, fail, "scripted failure %d", fail);
    return value;
}

static void on_stale(const char *key, const GError *error, gpointer value, gint64 age_us, gpointer data)
{
    (void)key;
    (void)error;
    (void)age_us;
    Script *s = data;
    g_mutex_lock(&s->lock);
    s->stale_calls++;
    g_free(s->stale_value);
    s->stale_value = g_strdup(value);
    g_mutex_unlock(&s->lock);
}

static gpointer merge(gpointer fetched, gpointer started, gpointer current, gpointer data)
{
    (void)started;
    Script *s = data;
    s->merges++; /* called with the cache's lock held: one at a time */
    char *kept = g_strdup_printf("%s+%s", (char *)fetched, (char *)current);
    g_free(fetched);
    return kept;
}

static AbfsCache *cache_for(Script *s, guint ttl_ms, gboolean serve_stale)
{
    AbfsCacheOptions options = {
        .ttl_ms = ttl_ms,
        .copy = (AbfsCacheCopy)g_strdup,
        .free = g_free,
        .serve_stale = serve_stale,
        .on_stale = on_stale,
        .merge = merge,
        .data = s,
    };
    return abfs_cache_new(&options);
}

static char *get(AbfsCache *cache, Script *s, GError **error)
{
    return abfs_cache_get(cache, "k", fetch, s, error);
}

static void expect_value(AbfsCache *cache, Script *s, const char *expected)
{
    GError *err = NULL;
    char *v = get(cache, s, &err);
    g_assert_no_error(err);
    g_assert_cmpstr(v, ==, expected);
    g_free(v);
}

static void test_cache_ttl(void)
{
    Script *s = script_new("one");
    AbfsCache *cache = cache_for(s, 150, FALSE);
    expect_value(cache, s, "one");
    script_set(s, "two", 0);
    expect_value(cache, s, "one"); /* fresh: no fetch */
    g_assert_cmpuint(script_calls(s), ==, 1);
    g_usleep(200 * 1000);
    expect_value(cache, s, "two");
    g_assert_cmpuint(script_calls(s), ==, 2);
    g_assert_cmpuint(abfs_cache_fetches(cache), ==, 2);
    /* invalidate: the next get fetches, whatever the age */
    script_set(s, "three", 0);
    abfs_cache_invalidate(cache, "k");
    expect_value(cache, s, "three");
    g_assert_cmpuint(script_calls(s), ==, 3);
    /* ttl 0: every get fetches */
    AbfsCache *zero = cache_for(s, 0, FALSE);
    expect_value(zero, s, "three");
    expect_value(zero, s, "three");
    g_assert_cmpuint(script_calls(s), ==, 5);
    abfs_cache_free(zero);
    abfs_cache_free(cache);
    script_free(s);
}

typedef struct {
    AbfsCache *cache;
    Script *script;
    char *value;
    GError *error;
} Getter;

static gpointer getter_thread(gpointer p)
{
    Getter *g = p;
    g->value = get(g->cache, g->script, &g->error);
    return NULL;
}

/* N threads that want the same key while it is fetched: one fetch, and every thread gets its
 * outcome (a value, an error, or the stale value). */
static void run_getters(AbfsCache *cache, Script *s, guint n, Getter *getters)
{
    GThread **threads = g_new0(GThread *, n);
    for (guint i = 0; i < n; i++) {
        getters[i] = (Getter){cache, s, NULL, NULL};
        threads[i] = g_thread_new("getter", getter_thread, &getters[i]);
    }
    for (guint i = 0; i < n; i++)
        g_thread_join(threads[i]);
    g_free(threads);
}

static void test_cache_single_flight(void)
{
    enum { N = 16 };
    Script *s = script_new("shared");
    s->delay_ms = 300;
    AbfsCache *cache = cache_for(s, 0, FALSE); /* even with ttl 0, waiters share the fetch */
    Getter g[N];
    /* The first getter starts the fetch; the others come while it runs. */
    Getter first = {cache, s, NULL, NULL};
    GThread *t = g_thread_new("first", getter_thread, &first);
    g_mutex_lock(&s->lock);
    while (!s->running)
        g_cond_wait(&s->started, &s->lock);
    g_mutex_unlock(&s->lock);
    run_getters(cache, s, N - 1, g);
    g_thread_join(t);
    g_assert_no_error(first.error);
    g_assert_cmpstr(first.value, ==, "shared");
    g_free(first.value);
    for (guint i = 0; i < N - 1; i++) {
        g_assert_no_error(g[i].error);
        g_assert_cmpstr(g[i].value, ==, "shared");
        g_free(g[i].value);
    }
    /* The waiters joined the first fetch; only those that came after it ended fetched again. */
    g_assert_cmpuint(script_calls(s), <, 4);
    abfs_cache_free(cache);
    script_free(s);

    /* cold start, TTL long: N concurrent gets → exactly one fetch */
    s = script_new("cold");
    s->delay_ms = 200;
    cache = cache_for(s, 60000, FALSE);
    run_getters(cache, s, N, g);
    g_assert_cmpuint(script_calls(s), ==, 1);
    for (guint i = 0; i < N; i++) {
        g_assert_no_error(g[i].error);
        g_assert_cmpstr(g[i].value, ==, "cold");
        g_free(g[i].value);
    }
    abfs_cache_free(cache);
    script_free(s);
}

static void test_cache_errors_reach_waiters(void)
{
    enum { N = 8 };
    Script *s = script_new("x");
    s->delay_ms = 200;
    s->fail = EACCES;
    AbfsCache *cache = cache_for(s, 60000, TRUE);
    Getter g[N];
    run_getters(cache, s, N, g);
    g_assert_cmpuint(script_calls(s), ==, 1);
    for (guint i = 0; i < N; i++) {
        g_assert_null(g[i].value);
        g_assert_error(g[i].error, ABFS_ERROR, EACCES);
        g_clear_error(&g[i].error);
    }
    /* a failure is not cached: the next get tries again */
    script_set(s, "ok", 0);
    s->delay_ms = 0;
    expect_value(cache, s, "ok");
    g_assert_cmpuint(script_calls(s), ==, 2);
    /* with a value, an error that is not "unreachable" still goes to the caller */
    abfs_cache_invalidate(cache, NULL);
    script_set(s, NULL, EPERM);
    GError *err = NULL;
    g_assert_null(get(cache, s, &err));
    g_assert_error(err, ABFS_ERROR, EPERM);
    g_clear_error(&err);
    g_assert_cmpuint(s->stale_calls, ==, 0);
    abfs_cache_free(cache);
    script_free(s);
}

static void test_cache_stale_while_unreachable(void)
{
    static const int unreachable[] = {ENOTCONN, ETIMEDOUT, EIO, EAGAIN};
    for (gsize k = 0; k < G_N_ELEMENTS(unreachable); k++) {
        Script *s = script_new("old");
        AbfsCache *cache = cache_for(s, 100, TRUE);
        expect_value(cache, s, "old");
        script_set(s, NULL, unreachable[k]);
        g_usleep(150 * 1000);
        expect_value(cache, s, "old"); /* the fetch failed: the last value serves */
        g_assert_cmpuint(script_calls(s), ==, 2);
        g_assert_cmpuint(s->stale_calls, ==, 1); /* said once */
        g_assert_cmpstr(s->stale_value, ==, "old");
        /* one attempt per max(TTL, 1 s): the next gets serve without fetching */
        expect_value(cache, s, "old");
        expect_value(cache, s, "old");
        g_assert_cmpuint(script_calls(s), ==, 2);
        g_assert_cmpuint(s->stale_calls, ==, 1);
        /* invalidate asks again (and still serves while unreachable) */
        abfs_cache_invalidate(cache, NULL);
        expect_value(cache, s, "old");
        g_assert_cmpuint(script_calls(s), ==, 3);
        g_assert_cmpuint(s->stale_calls, ==, 2);
        /* back: the new value */
        script_set(s, "new", 0);
        abfs_cache_invalidate(cache, "k");
        expect_value(cache, s, "new");
        abfs_cache_free(cache);
        script_free(s);
    }

    /* waiters of a failed fetch get the stale value too; the hook runs once */
    enum { N = 8 };
    Script *s = script_new("old");
    AbfsCache *cache = cache_for(s, 60000, TRUE);
    expect_value(cache, s, "old");
    abfs_cache_invalidate(cache, NULL);
    script_set(s, NULL, ENOTCONN);
    s->delay_ms = 200;
    Getter g[N];
    run_getters(cache, s, N, g);
    g_assert_cmpuint(script_calls(s), ==, 2);
    g_assert_cmpuint(s->stale_calls, ==, 1);
    for (guint i = 0; i < N; i++) {
        g_assert_no_error(g[i].error);
        g_assert_cmpstr(g[i].value, ==, "old");
        g_free(g[i].value);
    }
    abfs_cache_free(cache);
    script_free(s);

    /* without serve_stale, or without a value, unreachable is an error */
    s = script_new("x");
    script_set(s, NULL, ENOTCONN);
    cache = cache_for(s, 60000, TRUE);
    GError *err = NULL;
    g_assert_null(get(cache, s, &err));
    g_assert_error(err, ABFS_ERROR, ENOTCONN);
    g_clear_error(&err);
    abfs_cache_free(cache);
    script_set(s, "x", 0);
    cache = cache_for(s, 60000, FALSE);
    expect_value(cache, s, "x");
    abfs_cache_invalidate(cache, NULL);
    script_set(s, NULL, ENOTCONN);
    g_assert_null(get(cache, s, &err));
    g_assert_error(err, ABFS_ERROR, ENOTCONN);
    g_clear_error(&err);
    abfs_cache_free(cache);
    script_free(s);
}

static gpointer append_bang(gpointer current, gpointer data)
{
    (void)data;
    return g_strconcat(current, "!", NULL);
}

static gboolean starts_with_final(gpointer value)
{
    return g_str_has_prefix(value, "final");
}

static void test_cache_put_update_forget(void)
{
    Script *s = script_new("fetched");
    AbfsCache *cache = cache_for(s, 60000, FALSE);
    g_assert_true(abfs_cache_is_cold(cache, "k"));
    g_assert_null(abfs_cache_peek(cache, "k"));
    g_assert_false(abfs_cache_update(cache, "k", append_bang, NULL)); /* no value: nothing */
    abfs_cache_put(cache, "k", g_strdup("put"));
    g_assert_false(abfs_cache_is_cold(cache, "k"));
    expect_value(cache, s, "put"); /* a put is fresh */
    g_assert_cmpuint(script_calls(s), ==, 0);
    g_assert_true(abfs_cache_update(cache, "k", append_bang, NULL));
    char *peek = abfs_cache_peek(cache, "k");
    g_assert_cmpstr(peek, ==, "put!");
    g_free(peek);
    abfs_cache_forget(cache, "k");
    g_assert_true(abfs_cache_is_cold(cache, "k"));
    expect_value(cache, s, "fetched");
    abfs_cache_put(cache, "other", g_strdup("o"));
    abfs_cache_forget(cache, NULL);
    g_assert_null(abfs_cache_peek(cache, "other"));
    g_assert_null(abfs_cache_peek(cache, "k"));
    abfs_cache_free(cache);

    /* an update while a fetch is in flight: the merge decides what stays */
    cache = cache_for(s, 60000, FALSE);
    abfs_cache_put(cache, "k", g_strdup("before"));
    abfs_cache_invalidate(cache, "k");
    s->delay_ms = 300;
    Getter g = {cache, s, NULL, NULL};
    GThread *t = g_thread_new("fetcher", getter_thread, &g);
    g_mutex_lock(&s->lock);
    while (!s->running)
        g_cond_wait(&s->started, &s->lock);
    g_mutex_unlock(&s->lock);
    g_assert_true(abfs_cache_update(cache, "k", append_bang, NULL));
    g_thread_join(t);
    g_assert_no_error(g.error);
    g_assert_cmpstr(g.value, ==, "fetched+before!");
    g_free(g.value);
    g_assert_cmpuint(s->merges, ==, 1);
    /* no change during a fetch: no merge */
    abfs_cache_invalidate(cache, "k");
    s->delay_ms = 0;
    expect_value(cache, s, "fetched");
    g_assert_cmpuint(s->merges, ==, 1);
    abfs_cache_free(cache);

    /* forever: such a value never expires, not even when invalidated */
    AbfsCacheOptions options = {
        .ttl_ms = 0, .copy = (AbfsCacheCopy)g_strdup, .free = g_free, .forever = starts_with_final};
    cache = abfs_cache_new(&options);
    script_set(s, "running", 0);
    guint calls = script_calls(s);
    expect_value(cache, s, "running");
    script_set(s, "final: succeeded", 0);
    expect_value(cache, s, "final: succeeded");
    script_set(s, "never read", 0);
    abfs_cache_invalidate(cache, NULL);
    expect_value(cache, s, "final: succeeded");
    g_assert_cmpuint(script_calls(s), ==, calls + 2);
    abfs_cache_free(cache);
    script_free(s);
}

static void quiet_log(const gchar *domain, GLogLevelFlags level, const gchar *message, gpointer data)
{
    (void)data;
    if (g_test_verbose())
        g_printerr("[log %s %d] %s\n", domain ? domain : "-", (int)level, message);
}

/* A value forgotten while it was being fetched (a write happened meanwhile): the fetch's callers
 * get the answer, which may predate the write, but the next get fetches again. */
static void test_cache_forget_during_fetch(void)
{
    Script *s = script_new("before-the-write");
    s->delay_ms = 300;
    AbfsCache *cache = cache_for(s, 60000, FALSE);
    Getter first = {cache, s, NULL, NULL};
    GThread *t = g_thread_new("first", getter_thread, &first);
    g_mutex_lock(&s->lock);
    while (!s->running)
        g_cond_wait(&s->started, &s->lock);
    g_mutex_unlock(&s->lock);
    abfs_cache_forget(cache, "k");
    script_set(s, "after-the-write", 0);
    g_thread_join(t);
    g_assert_no_error(first.error);
    g_assert_nonnull(first.value);
    g_free(first.value);
    s->delay_ms = 0;
    script_set(s, "read-again", 0);
    expect_value(cache, s, "read-again");
    g_assert_cmpuint(script_calls(s), ==, 2);
    expect_value(cache, s, "read-again"); /* and that one is kept */
    g_assert_cmpuint(script_calls(s), ==, 2);
    abfs_cache_free(cache);
    script_free(s);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_log_set_always_fatal(G_LOG_FATAL_MASK | G_LOG_LEVEL_CRITICAL);
    g_log_set_handler(NULL, G_LOG_LEVEL_WARNING | G_LOG_LEVEL_MESSAGE, quiet_log, NULL);
    g_test_add_func("/cache/ttl", test_cache_ttl);
    g_test_add_func("/cache/single-flight", test_cache_single_flight);
    g_test_add_func("/cache/errors-reach-waiters", test_cache_errors_reach_waiters);
    g_test_add_func("/cache/stale-while-unreachable", test_cache_stale_while_unreachable);
    g_test_add_func("/cache/put-update-forget", test_cache_put_update_forget);
    g_test_add_func("/cache/forget-during-fetch", test_cache_forget_during_fetch);
    return g_test_run();
}
