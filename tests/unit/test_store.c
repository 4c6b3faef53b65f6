/* test_store.c — unit tests of core/store.h: snapshots, TTL, mtimes, puts, single flight, stale serving, deep connections. */
#include "fake_http.h"

static gint64 entry_mtime(AbfsSnapshot *s, const char *id, const char *file)
{
    AbfsEntry *e = s ? abfs_snapshot_lookup(s, id) : NULL;
    int i = abfs_connection_file_index(file);
    if (!e || i < 0)
        return -1;
    return abfs_entry_mtime(e, (guint)i);
}

static void test_store_snapshot_content(void)
{
    Fx *fx = fx_new();
    g_mutex_lock(&fx->api->lock);
    g_ptr_array_add(fx->api->conns, make_conn(CONN_B, WS, "bee"));
    g_ptr_array_add(fx->api->conns, make_conn(CONN_A, WS, "ay"));
    g_ptr_array_add(fx->api->conns, make_conn("cccccccc-0000-4000-8000-000000000003", OTHER_WS, "other"));
    g_mutex_unlock(&fx->api->lock);
    AbfsStore *store = store_for(fx, 60000);
    gint64 before = g_get_real_time() / G_USEC_PER_SEC;
    AbfsSnapshot *s = snap_ok(store);
    if (s) {
        g_assert_cmpuint(abfs_snapshot_count(s), ==, 2);
        g_assert_cmpstr(abfs_snapshot_id(s, 0), ==, CONN_A); /* sorted */
        g_assert_cmpstr(abfs_snapshot_id(s, 1), ==, CONN_B);
        g_assert_null(abfs_snapshot_lookup(s, "cccccccc-0000-4000-8000-000000000003"));
        g_assert_null(abfs_snapshot_lookup(s, "nope"));
        g_assert_cmpint(abfs_snapshot_time(s), >=, before);
        AbfsEntry *e = abfs_snapshot_lookup(s, CONN_A);
        g_assert_nonnull(e);
        if (e) {
            g_assert_cmpstr(abfs_entry_field(e, ABFS_ENTRY_NAME), ==, "ay");
            gsize len = 0;
            const char *name = keep(abfs_entry_render(e, (guint)abfs_connection_file_index("name"), &len));
            g_assert_cmpstr(name, ==, "ay\n");
            g_assert_cmpuint(len, ==, 3);
            g_assert_cmpuint(abfs_entry_size(e, (guint)abfs_connection_file_index("name")), ==, 3);
            g_assert_cmpint(abfs_entry_mtime(e, (guint)abfs_connection_file_index("name")), ==, 1000);
        }
        g_assert_cmpstr(entry_file(s, CONN_A, "url"), ==,
                        "https://cloud.airbyte.com/workspaces/" WS "/connections/" CONN_A "\n");
    }
    const AbfsRenderContext *ctx = abfs_store_render_context(store);
    g_assert_cmpstr(ctx->workspace_id, ==, WS);
    g_assert_cmpstr(ctx->web_root, ==, "https://cloud.airbyte.com");
    abfs_snapshot_unref(s);
    abfs_store_free(store);
    fx_free(fx);
}

static void test_store_ttl(void)
{
    Fx *fx = fx_new();
    api_add_conns(fx->api, 3);
    AbfsStore *store = store_for(fx, 60000);
    AbfsSnapshot *a = snap_ok(store);
    AbfsSnapshot *b = snap_ok(store);
    g_assert_cmpuint(abfs_store_walks(store), ==, 1);
    g_assert_cmpuint(list_requests(fx), ==, 1);
    g_assert_true(a == b);
    abfs_snapshot_unref(a);
    abfs_snapshot_unref(b);
    abfs_store_free(store);

    /* an expired TTL walks again */
    store = store_for(fx, 50);
    a = snap_ok(store);
    g_usleep(80 * 1000);
    b = snap_ok(store);
    g_assert_cmpuint(abfs_store_walks(store), ==, 2);
    abfs_snapshot_unref(a);
    abfs_snapshot_unref(b);
    abfs_store_free(store);

    /* ttl 0: every call walks */
    store = store_for(fx, 0);
    for (int i = 0; i < 3; i++)
        abfs_snapshot_unref(snap_ok(store));
    g_assert_cmpuint(abfs_store_walks(store), ==, 3);
    abfs_store_free(store);
    fx_free(fx);
}

static void test_store_invalidate(void)
{
    Fx *fx = fx_new();
    api_add_conns(fx->api, 2);
    AbfsStore *store = store_for(fx, 60000);
    AbfsSnapshot *a = snap_ok(store);
    abfs_store_invalidate(store);
    AbfsSnapshot *b = snap_ok(store);
    g_assert_cmpuint(abfs_store_walks(store), ==, 2);
    g_assert_cmpuint(list_requests(fx), ==, 2);
    AbfsSnapshot *c = snap_ok(store);
    g_assert_cmpuint(abfs_store_walks(store), ==, 2); /* fresh again */
    g_assert_true(b == c);
    /* the old snapshot stays readable while referenced */
    g_assert_cmpuint(abfs_snapshot_count(a), ==, 2);
    abfs_snapshot_unref(a);
    abfs_snapshot_unref(b);
    abfs_snapshot_unref(c);
    abfs_store_free(store);
    fx_free(fx);
}

static void test_store_mtime(void)
{
    Fx *fx = fx_new();
    g_mutex_lock(&fx->api->lock);
    g_ptr_array_add(fx->api->conns, make_conn(CONN_A, WS, "first"));
    g_ptr_array_add(fx->api->conns, make_conn(CONN_B, WS, "steady"));
    g_mutex_unlock(&fx->api->lock);
    AbfsStore *store = store_for(fx, 60000);
    AbfsSnapshot *s1 = snap_ok(store);
    /* first seen: createdAt */
    g_assert_cmpint(entry_mtime(s1, CONN_A, "name"), ==, 1000);
    g_assert_cmpint(entry_mtime(s1, CONN_A, "prefix"), ==, 1000);

    /* nothing changed: same entries, same times */
    abfs_store_invalidate(store);
    AbfsSnapshot *s2 = snap_ok(store);
    g_assert_cmpuint(abfs_store_walks(store), ==, 2);
    g_assert_true(abfs_snapshot_lookup(s2, CONN_A) == abfs_snapshot_lookup(s1, CONN_A));
    g_assert_cmpint(entry_mtime(s2, CONN_A, "name"), ==, 1000);

    /* the name changes remotely */
    api_rename(fx->api, CONN_A, "second");
    gint64 before = g_get_real_time() / G_USEC_PER_SEC;
    abfs_store_invalidate(store);
    AbfsSnapshot *s3 = snap_ok(store);
    g_assert_cmpstr(entry_file(s3, CONN_A, "name"), ==, "second\n");
    g_assert_cmpint(entry_mtime(s3, CONN_A, "name"), >=, before);
    g_assert_cmpint(entry_mtime(s3, CONN_A, "prefix"), ==, 1000); /* unchanged file keeps its time */
    g_assert_cmpint(entry_mtime(s3, CONN_A, "schedule"), ==, 1000);
    if (abfs_connection_file_index("connection.json") >= 0)
        g_assert_cmpint(entry_mtime(s3, CONN_A, "connection.json"), >=, before);
    /* the other connection keeps its entry */
    g_assert_true(abfs_snapshot_lookup(s3, CONN_B) == abfs_snapshot_lookup(s1, CONN_B));
    /* the old snapshot is immutable */
    g_assert_cmpstr(entry_file(s1, CONN_A, "name"), ==, "first\n");
    gint64 renamed_at = entry_mtime(s3, CONN_A, "name");

    /* a later walk with the same value keeps the time of the change */
    g_usleep(1100 * 1000);
    abfs_store_invalidate(store);
    AbfsSnapshot *s4 = snap_ok(store);
    g_assert_cmpint(entry_mtime(s4, CONN_A, "name"), ==, renamed_at);

    abfs_snapshot_unref(s1);
    abfs_snapshot_unref(s2);
    abfs_snapshot_unref(s3);
    abfs_snapshot_unref(s4);
    abfs_store_free(store);
    fx_free(fx);
}

/* The change hook's calls: "id/file" strings. */
static void note_change(const char *id, int file, gpointer data)
{
    guint n;
    const AbfsConnectionFile *files = abfs_connection_files(&n);
    g_ptr_array_add(data, g_strdup_printf("%s/%s", id ? id : "*", file >= 0 ? files[file].name : "-"));
}

static gboolean noted(GPtrArray *changes, const char *what)
{
    for (guint i = 0; i < changes->len; i++)
        if (strcmp(g_ptr_array_index(changes, i), what) == 0)
            return TRUE;
    return FALSE;
}

/* A connection read alone before the first walk is what the kernel was told of it: when the walk
 * (or the single's own refetch past the TTL) finds it changed, the files that changed are told. */
static void test_store_changes_after_a_single_read(void)
{
    Fx *fx = fx_new();
    fx->api->serve_singles = TRUE;
    g_mutex_lock(&fx->api->lock);
    g_ptr_array_add(fx->api->conns, make_conn(CONN_A, WS, "first"));
    g_ptr_array_add(fx->api->conns, make_conn(CONN_B, WS, "steady"));
    g_mutex_unlock(&fx->api->lock);
    AbfsStore *store = store_for(fx, 60000);
    GPtrArray *changes = g_ptr_array_new_with_free_func(g_free);
    abfs_store_set_change_hook(store, note_change, changes);
    GError *err = NULL;
    AbfsEntry *e = abfs_store_entry(store, CONN_A, &err); /* a single GET: no walk yet */
    g_assert_no_error(err);
    abfs_entry_unref(e);
    e = abfs_store_entry(store, CONN_B, &err);
    g_assert_no_error(err);
    abfs_entry_unref(e);
    g_assert_cmpuint(abfs_store_walks(store), ==, 0);
    api_rename(fx->api, CONN_A, "second");
    AbfsSnapshot *s = snap_ok(store);
    g_assert_cmpstr(entry_file(s, CONN_A, "name"), ==, "second\n");
    g_assert_true(noted(changes, CONN_A "/name"));
    g_assert_false(noted(changes, CONN_A "/schedule"));
    for (guint i = 0; i < changes->len; i++) /* the unchanged connection is not told */
        g_assert_false(g_str_has_prefix(g_ptr_array_index(changes, i), CONN_B));
    abfs_snapshot_unref(s);
    abfs_store_free(store);

    /* the same for a single read again past its TTL */
    store = store_for(fx, 1);
    g_ptr_array_set_size(changes, 0);
    abfs_store_set_change_hook(store, note_change, changes);
    e = abfs_store_entry(store, CONN_A, &err);
    g_assert_no_error(err);
    abfs_entry_unref(e);
    api_rename(fx->api, CONN_A, "third");
    g_usleep(5 * 1000);
    e = abfs_store_entry(store, CONN_A, &err);
    g_assert_no_error(err);
    g_assert_cmpstr(abfs_entry_field(e, ABFS_ENTRY_NAME), ==, "third");
    abfs_entry_unref(e);
    g_assert_true(noted(changes, CONN_A "/name"));
    g_ptr_array_free(changes, TRUE);
    abfs_store_free(store);
    fx_free(fx);
}

static void test_store_put_connection(void)
{
    Fx *fx = fx_new();
    g_mutex_lock(&fx->api->lock);
    g_ptr_array_add(fx->api->conns, make_conn(CONN_A, WS, "old"));
    g_ptr_array_add(fx->api->conns, make_conn(CONN_B, WS, "other"));
    g_mutex_unlock(&fx->api->lock);
    AbfsStore *store = store_for(fx, 60000);
    AbfsSnapshot *s1 = snap_ok(store);
    guint requests = fake_count(fx->srv, NULL, NULL);

    gint64 before = g_get_real_time() / G_USEC_PER_SEC;
    abfs_store_put_connection(store, make_conn(CONN_A, WS, "new")); /* takes the reference */
    AbfsSnapshot *s2 = snap_ok(store);
    g_assert_cmpuint(abfs_store_walks(store), ==, 1);
    g_assert_cmpuint(fake_count(fx->srv, NULL, NULL), ==, requests); /* no request at all */
    g_assert_cmpuint(abfs_snapshot_count(s2), ==, 2);
    g_assert_cmpstr(entry_file(s2, CONN_A, "name"), ==, "new\n");
    g_assert_cmpint(entry_mtime(s2, CONN_A, "name"), >=, before);
    g_assert_cmpint(entry_mtime(s2, CONN_A, "prefix"), ==, 1000);
    g_assert_true(abfs_snapshot_lookup(s2, CONN_B) == abfs_snapshot_lookup(s1, CONN_B));
    g_assert_cmpstr(entry_file(s1, CONN_A, "name"), ==, "old\n"); /* the old snapshot is unchanged */
    /* the snapshot keeps its age: still fresh, no walk */
    AbfsSnapshot *s3 = snap_ok(store);
    g_assert_cmpuint(abfs_store_walks(store), ==, 1);
    abfs_snapshot_unref(s3);

    /* abfs_store_entry: a reference to the current entry; ENOENT for an unknown id */
    GError *err = NULL;
    AbfsEntry *e = abfs_store_entry(store, CONN_A, &err);
    g_assert_no_error(err);
    g_assert_nonnull(e);
    if (e) {
        g_assert_cmpstr(abfs_entry_field(e, ABFS_ENTRY_NAME), ==, "new");
        abfs_entry_unref(e);
    }
    e = abfs_store_entry(store, "cccccccc-0000-4000-8000-000000000003", &err);
    g_assert_null(e);
    g_assert_error(err, ABFS_ERROR, ENOENT);
    g_clear_error(&err);
    g_assert_cmpuint(abfs_store_walks(store), ==, 1);

    abfs_snapshot_unref(s1);
    abfs_snapshot_unref(s2);
    abfs_store_free(store);
    fx_free(fx);
}

typedef struct {
    AbfsStore *store;
    GMutex *lock;
    GCond *cond;
    gboolean *go;
    AbfsSnapshot *snap;
} SnapThread;

static gpointer snap_thread(gpointer p)
{
    SnapThread *t = p;
    if (t->lock) {
        g_mutex_lock(t->lock);
        while (!*t->go)
            g_cond_wait(t->cond, t->lock);
        g_mutex_unlock(t->lock);
    }
    GError *err = NULL;
    t->snap = abfs_store_snapshot(t->store, &err);
    g_clear_error(&err);
    return NULL;
}

static void test_store_single_flight(void)
{
    Fx *fx = fx_new_full("t", 0);
    api_add_conns(fx->api, 5);
    fx->api->list_delay_ms = 300;
    AbfsStore *store = store_for(fx, 60000);
    GMutex lock;
    GCond cond;
    gboolean go = FALSE;
    g_mutex_init(&lock);
    g_cond_init(&cond);
    SnapThread t[8];
    GThread *th[8];
    for (int i = 0; i < 8; i++) {
        t[i] = (SnapThread){store, &lock, &cond, &go, NULL};
        th[i] = g_thread_new("snap", snap_thread, &t[i]);
    }
    g_mutex_lock(&lock);
    go = TRUE;
    g_cond_broadcast(&cond);
    g_mutex_unlock(&lock);
    for (int i = 0; i < 8; i++)
        g_thread_join(th[i]);
    g_assert_cmpuint(abfs_store_walks(store), ==, 1);
    g_assert_cmpuint(list_requests(fx), ==, 1);
    for (int i = 0; i < 8; i++) {
        g_assert_nonnull(t[i].snap);
        if (t[i].snap)
            g_assert_cmpuint(abfs_snapshot_count(t[i].snap), ==, 5);
        abfs_snapshot_unref(t[i].snap);
    }
    g_mutex_clear(&lock);
    g_cond_clear(&cond);
    abfs_store_free(store);
    fx_free(fx);
}

static void test_store_serves_last_snapshot_when_unreachable(void)
{
    Fx *fx = fx_new_full("t", 1);
    api_add_conns(fx->api, 2);
    AbfsStore *store = store_for(fx, 60000);
    AbfsSnapshot *a = snap_ok(store);
    fake_shutdown(fx->srv);
    abfs_store_invalidate(store);
    GError *err = NULL;
    AbfsSnapshot *b = abfs_store_snapshot(store, &err);
    g_assert_no_error(err);
    g_clear_error(&err);
    g_assert_true(b == a);
    abfs_snapshot_unref(a);
    abfs_snapshot_unref(b);
    abfs_store_free(store);
    fx_free(fx);
}

static void test_store_error_without_snapshot(void)
{
    Fx *fx = fx_new_full("t", 0);
    fx->api->list_status = 403;
    AbfsStore *store = store_for(fx, 60000);
    GError *err = NULL;
    AbfsSnapshot *s = abfs_store_snapshot(store, &err);
    g_assert_null(s);
    g_assert_error(err, ABFS_ERROR, EPERM);
    g_clear_error(&err);
    /* and a refusal is not hidden by an old snapshot */
    fx->api->list_status = 0;
    api_add_conns(fx->api, 1);
    abfs_snapshot_unref(snap_ok(store));
    fx->api->list_status = 403;
    abfs_store_invalidate(store);
    s = abfs_store_snapshot(store, &err);
    g_assert_null(s);
    g_assert_error(err, ABFS_ERROR, EPERM);
    g_clear_error(&err);
    abfs_snapshot_unref(s);
    abfs_store_free(store);
    fx_free(fx);
}

/* A PATCH answer put while a walk (started before the PATCH) is in flight must not be undone by
 * that walk's older listing: otherwise `echo new > name; cat name` shows the old name. */
static void test_store_put_during_walk_survives(void)
{
    Fx *fx = fx_new_full("t", 0);
    g_mutex_lock(&fx->api->lock);
    g_ptr_array_add(fx->api->conns, make_conn(CONN_A, WS, "old"));
    g_mutex_unlock(&fx->api->lock);
    AbfsStore *store = store_for(fx, 60000);
    abfs_snapshot_unref(snap_ok(store));

    /* a walk starts and the server holds its answer */
    g_mutex_lock(&fx->api->lock);
    fx->api->gate_closed = TRUE;
    g_mutex_unlock(&fx->api->lock);
    abfs_store_invalidate(store);
    SnapThread t = {store, NULL, NULL, NULL, NULL};
    GThread *th = g_thread_new("walk", snap_thread, &t);
    for (int i = 0; i < 500 && list_requests(fx) < 2; i++)
        g_usleep(2000);
    g_assert_cmpuint(list_requests(fx), ==, 2);

    /* meanwhile a PATCH succeeded and its answer is put */
    abfs_store_put_connection(store, make_conn(CONN_A, WS, "new"));
    api_open_gate(fx->api);
    g_thread_join(th);
    abfs_snapshot_unref(t.snap);

    AbfsSnapshot *s = snap_ok(store);
    g_assert_cmpstr(entry_file(s, CONN_A, "name"), ==, "new\n");
    abfs_snapshot_unref(s);
    abfs_store_free(store);
    fx_free(fx);
}

static gpointer put_thread(gpointer p)
{
    abfs_store_put_connection(p, make_conn(CONN_A, WS, "new"));
    return NULL;
}

/* The same during the first walk, when there is no listing yet to merge with: the answer put
 * meanwhile (a write on a fresh mount) is not lost when the walk's older listing is installed
 * (a false ESTALE at the writer's next write, seen once in test_stress.py). */
static void test_store_put_during_first_walk_survives(void)
{
    Fx *fx = fx_new_full("t", 0);
    g_mutex_lock(&fx->api->lock);
    g_ptr_array_add(fx->api->conns, make_conn(CONN_A, WS, "old"));
    fx->api->gate_closed = TRUE;
    g_mutex_unlock(&fx->api->lock);
    AbfsStore *store = store_for(fx, 60000);
    SnapThread t = {store, NULL, NULL, NULL, NULL};
    GThread *th = g_thread_new("walk", snap_thread, &t);
    for (int i = 0; i < 500 && list_requests(fx) < 1; i++)
        g_usleep(2000);
    g_assert_cmpuint(list_requests(fx), ==, 1);
    GThread *put = g_thread_new("put", put_thread, store);
    g_usleep(50000); /* the put waits for the walk */
    api_open_gate(fx->api);
    g_thread_join(th);
    g_thread_join(put);
    abfs_snapshot_unref(t.snap);

    AbfsSnapshot *s = snap_ok(store);
    g_assert_cmpstr(entry_file(s, CONN_A, "name"), ==, "new\n");
    abfs_snapshot_unref(s);
    abfs_store_free(store);
    fx_free(fx);
}

/* The same, when the walk read a value the snapshot did not have yet: the walked entry is new
 * (one reference), and replacing it by the put one must not leave the listing's ids pointing into
 * the freed entry (a use-after-free ASan reported with 32 writers and cache_ttl=1). */
static void test_store_put_during_walk_of_changed_value(void)
{
    Fx *fx = fx_new_full("t", 0);
    g_mutex_lock(&fx->api->lock);
    g_ptr_array_add(fx->api->conns, make_conn(CONN_A, WS, "old"));
    g_mutex_unlock(&fx->api->lock);
    AbfsStore *store = store_for(fx, 60000);
    abfs_snapshot_unref(snap_ok(store));

    api_rename(fx->api, CONN_A, "walked");
    g_mutex_lock(&fx->api->lock);
    fx->api->gate_closed = TRUE;
    g_mutex_unlock(&fx->api->lock);
    abfs_store_invalidate(store);
    SnapThread t = {store, NULL, NULL, NULL, NULL};
    GThread *th = g_thread_new("walk", snap_thread, &t);
    for (int i = 0; i < 500 && list_requests(fx) < 2; i++)
        g_usleep(2000);
    g_assert_cmpuint(list_requests(fx), ==, 2);
    abfs_store_put_connection(store, make_conn(CONN_A, WS, "new"));
    api_open_gate(fx->api);
    g_thread_join(th);
    abfs_snapshot_unref(t.snap);

    AbfsSnapshot *s = snap_ok(store);
    g_assert_cmpuint(abfs_snapshot_count(s), ==, 1);
    g_assert_cmpstr(abfs_snapshot_id(s, 0), ==, CONN_A);
    g_assert_cmpstr(entry_file(s, CONN_A, "name"), ==, "new\n");
    abfs_snapshot_unref(s);
    abfs_store_free(store);
    fx_free(fx);
}

/* A connection whose configurations nest `levels` deep (arrays inside arrays). */
static json_object *make_deep_conn(const char *id, const char *name, guint levels)
{
    json_object *conn = make_conn(id, WS, name);
    json_object *deep = json_object_new_string("bottom");
    for (guint i = 0; i < levels; i++) {
        json_object *outer = json_object_new_array();
        json_object_array_add(outer, deep);
        deep = outer;
    }
    json_object *configurations = json_object_object_get(conn, "configurations");
    json_object_object_add(configurations, "deep", deep);
    return conn;
}

static void collect_notice(int errnum, const char *message, gpointer data)
{
    g_assert_cmpint(errnum, ==, EIO);
    g_ptr_array_add(data, g_strdup(message));
}

/* Deep JSON neither crashes the store nor hides the other connections: a connection 40 levels
 * deep (past json-c's default of 32) is kept and renders; one deeper than the bound is dropped and
 * said once, however many walks see it. */
static void test_store_deep_connections(void)
{
    Fx *fx = fx_new_full("t", 0);
    g_mutex_lock(&fx->api->lock);
    g_ptr_array_add(fx->api->conns, make_conn(CONN_A, WS, "plain"));
    g_ptr_array_add(fx->api->conns, make_deep_conn("bbbbbbbb-0000-4000-8000-000000000002", "forty", 40));
    g_ptr_array_add(fx->api->conns, make_deep_conn("cccccccc-0000-4000-8000-000000000003", "too deep", 1000));
    g_mutex_unlock(&fx->api->lock);
    AbfsStore *store = store_for(fx, 0);
    GPtrArray *notices = g_ptr_array_new_with_free_func(g_free);
    abfs_store_set_stale_hook(store, collect_notice, notices);
    for (int walk = 0; walk < 3; walk++) {
        AbfsSnapshot *s = snap_ok(store);
        g_assert_cmpuint(abfs_snapshot_count(s), ==, 2);
        g_assert_cmpstr(entry_file(s, CONN_A, "name"), ==, "plain\n");
        g_assert_cmpstr(entry_file(s, "bbbbbbbb-0000-4000-8000-000000000002", "name"), ==, "forty\n");
        g_assert_nonnull(strstr(entry_file(s, "bbbbbbbb-0000-4000-8000-000000000002", "connection.json"), "bottom"));
        g_assert_null(abfs_snapshot_lookup(s, "cccccccc-0000-4000-8000-000000000003"));
        abfs_snapshot_unref(s);
    }
    g_assert_cmpuint(notices->len, ==, 1);
    g_assert_nonnull(strstr(g_ptr_array_index(notices, 0), "cccccccc-0000-4000-8000-000000000003"));
    g_assert_nonnull(strstr(g_ptr_array_index(notices, 0), "deeper"));
    /* a single read of a deep connection before any walk works too */
    AbfsStore *cold = store_for(fx, 60000);
    json_object *forty = make_deep_conn("bbbbbbbb-0000-4000-8000-000000000002", "forty", 40);
    api_push(fx->api, 200, json_object_to_json_string_ext(forty, JSON_C_TO_STRING_PLAIN), 0);
    json_object_put(forty);
    GError *err = NULL;
    AbfsEntry *e = abfs_store_entry(cold, "bbbbbbbb-0000-4000-8000-000000000002", &err);
    g_assert_no_error(err);
    g_assert_cmpstr(abfs_entry_field(e, ABFS_ENTRY_ID), ==, "bbbbbbbb-0000-4000-8000-000000000002");
    abfs_entry_unref(e);
    abfs_store_free(cold);
    g_ptr_array_free(notices, TRUE);
    abfs_store_free(store);
    fx_free(fx);
}

/* Writers and walkers at once, as test_stress.py does through a mount: each writer owns one
 * connection and, like commit.c, reads it, puts it, changes it on the server and puts the answer;
 * right after, the store must show exactly that value, never an older one, whatever walks,
 * invalidations (.refresh) and reads run meanwhile. Without the listing's merge of puts
 * (keep_newer_puts) both tests fail within a round; without the put's wait for the first walk the
 * cold one does. */
typedef struct {
    AbfsStore *store;
    Fx *fx;
    guint n;
    guint round; /* names differ from round to round: an entry of an earlier round never passes */
    gint *stop;
    gint regressions;
    guint writes;
    char *example;
} Racer;

static gpointer race_writer(gpointer p)
{
    Racer *r = p;
    char *id = conn_id_for(r->n);
    for (guint i = 0; !g_atomic_int_get(r->stop); i++) {
        char *name = g_strdup_printf("w%u r%u #%u", r->n, r->round, i);
        GError *gerr = NULL; /* commit.c: a fresh GET, put, then the PATCH */
        json_object *fresh = abfs_connection_get(r->fx->client, WS, id, &gerr);
        if (fresh)
            abfs_store_put_connection(r->store, fresh);
        g_clear_error(&gerr);
        api_rename(r->fx->api, id, name);                             /* the PATCH is applied */
        abfs_store_put_connection(r->store, make_conn(id, WS, name)); /* and its answer put */
        GError *err = NULL;
        AbfsEntry *e = abfs_store_entry(r->store, id, &err);
        if (!e || g_strcmp0(abfs_entry_field(e, ABFS_ENTRY_NAME), name) != 0) {
            if (g_atomic_int_add(&r->regressions, 1) == 0)
                r->example = g_strdup_printf("put %s, then the store showed %s", name,
                                             e ? abfs_entry_field(e, ABFS_ENTRY_NAME) : err->message);
        }
        g_clear_error(&err);
        abfs_entry_unref(e);
        g_free(name);
        r->writes++;
    }
    g_free(id);
    return NULL;
}

static gpointer race_walker(gpointer p)
{
    Racer *r = p;
    for (guint i = 0; !g_atomic_int_get(r->stop); i++) {
        if (i % 2 == 0)
            abfs_store_invalidate(r->store);
        AbfsSnapshot *s = abfs_store_snapshot(r->store, NULL);
        abfs_snapshot_unref(s);
        char *id = conn_id_for(i % 8);
        abfs_entry_unref(abfs_store_entry(r->store, id, NULL));
        g_free(id);
    }
    return NULL;
}

/* Rounds of `ms` each on a new store (cold: no walk before the writers start, like a fresh mount). */
static void race(gboolean cold, guint rounds, guint ms)
{
    enum { WRITERS = 8, WALKERS = 3 };
    Fx *fx = fx_new_full("t", 0);
    api_add_conns(fx->api, WRITERS + 4);
    fx->api->serve_singles = TRUE;
    guint writes = 0, walks = 0;
    for (guint round = 0; round < rounds; round++) {
        AbfsStore *store = store_for(fx, 5);
        abfs_store_set_parallel(store, 4);
        if (!cold)
            abfs_snapshot_unref(snap_ok(store));
        gint stop = 0;
        Racer writers[WRITERS], walkers[WALKERS];
        GThread *threads[WRITERS + WALKERS];
        for (guint i = 0; i < WRITERS; i++) {
            writers[i] = (Racer){store, fx, i, round, &stop, 0, 0, NULL};
            threads[i] = g_thread_new("writer", race_writer, &writers[i]);
        }
        for (guint i = 0; i < WALKERS; i++) {
            walkers[i] = (Racer){store, fx, i, round, &stop, 0, 0, NULL};
            threads[WRITERS + i] = g_thread_new("walker", race_walker, &walkers[i]);
        }
        g_usleep(ms * 1000);
        g_atomic_int_set(&stop, 1);
        for (guint i = 0; i < WRITERS + WALKERS; i++)
            g_thread_join(threads[i]);
        for (guint i = 0; i < WRITERS; i++) {
            writes += writers[i].writes;
            if (writers[i].example)
                g_test_message("round %u writer %u: %d regressions, e.g. %s", round, i, writers[i].regressions,
                               writers[i].example);
            g_assert_cmpint(writers[i].regressions, ==, 0);
            g_free(writers[i].example);
        }
        walks += abfs_store_walks(store);
        abfs_store_free(store);
    }
    g_test_message("%u writes, %u walks", writes, walks);
    g_assert_cmpuint(writes, >=, WRITERS);
    fx_free(fx);
}

static void test_store_writers_and_walks(void)
{
    race(FALSE, 3, 500);
}

static void test_store_writers_and_walks_cold(void)
{
    race(TRUE, 60, 25);
}

typedef struct {
    AbfsStore *store;
    AbfsEntry *entry;
} EntryThread;

static gpointer entry_thread(gpointer p)
{
    EntryThread *t = p;
    t->entry = abfs_store_entry(t->store, CONN_A, NULL);
    return NULL;
}

/* Before the first walk a connection is read alone; a PATCH answer put while such a read (sent
 * before the PATCH) is in flight must not be undone by that read's older answer, whether the read
 * refreshes an expired value (expired) or follows a .refresh that dropped it. */
static void single_read_then_put(gboolean expired)
{
    Fx *fx = fx_new_full("t", 0);
    AbfsStore *store = store_for(fx, expired ? 50 : 60000);
    json_object *old = make_conn(CONN_A, WS, "old");
    const char *old_text = json_object_to_json_string_ext(old, JSON_C_TO_STRING_PLAIN);
    api_push(fx->api, 200, old_text, 0);
    GError *err = NULL;
    AbfsEntry *e = abfs_store_entry(store, CONN_A, &err); /* cold: GET /connections/{id} */
    g_assert_no_error(err);
    g_assert_cmpstr(abfs_entry_field(e, ABFS_ENTRY_NAME), ==, "old");
    abfs_entry_unref(e);

    if (expired)
        g_usleep(80 * 1000);
    else
        abfs_store_invalidate(store);
    api_push(fx->api, 200, old_text, 300); /* the next read: answered "old", slowly */
    EntryThread t = {store, NULL};
    GThread *th = g_thread_new("read", entry_thread, &t);
    for (int i = 0; i < 500 && fake_count(fx->srv, "GET", LIST_PATH "/" CONN_A) < 2; i++)
        g_usleep(2000);
    g_assert_cmpuint(fake_count(fx->srv, "GET", LIST_PATH "/" CONN_A), ==, 2);
    abfs_store_put_connection(store, make_conn(CONN_A, WS, "new")); /* the PATCH's answer */
    g_thread_join(th);
    abfs_entry_unref(t.entry);

    e = abfs_store_entry(store, CONN_A, &err);
    g_assert_no_error(err);
    g_assert_cmpstr(abfs_entry_field(e, ABFS_ENTRY_NAME), ==, "new");
    abfs_entry_unref(e);
    g_assert_cmpuint(list_requests(fx), ==, 0);
    json_object_put(old);
    abfs_store_free(store);
    fx_free(fx);
}

static void test_store_put_during_single_read_survives(void)
{
    single_read_then_put(TRUE);
}

static void test_store_put_during_single_read_after_refresh_survives(void)
{
    single_read_then_put(FALSE);
}

/* A row that names its one member renders from that member alone (scanned out of the stored
 * text): the same text as from the whole parsed connection, for every row and odd values
 * (missing members, null, escapes, numbers, nested objects, a stream list). */
static void test_store_render_from_one_member(void)
{
    static const char *const variants[] = {
        NULL, /* make_conn's connection */
        "{\"connectionId\":\"" CONN_A "\",\"name\":\"a \\\"quoted\\\" \\u00e9 name\",\"status\":\"inactive\","
        "\"schedule\":{\"scheduleType\":\"basic\",\"basicTiming\":\"Every 24 hours\"},\"prefix\":null,"
        "\"workspaceId\":\"" WS "\",\"configurations\":{\"streams\":[]},\"createdAt\":1000,\"tags\":[]}",
        "{\"connectionId\":\"" CONN_A "\",\"name\":\"\",\"status\":\"locked\",\"statusReason\":\"billing\","
        "\"schedule\":{\"scheduleType\":\"manual\"},\"namespaceFormat\":12,\"workspaceId\":\"" WS "\","
        "\"createdAt\":1000}",
        "{\"connectionId\":\"" CONN_A "\",\"workspaceId\":\"" WS "\",\"createdAt\":1000,\"name\":[1,{\"x\":2}],"
        "\"schedule\":\"cron\"}",
    };
    AbfsRenderContext ctx = {"https://cloud.airbyte.com", WS};
    guint n;
    const AbfsConnectionFile *rows = abfs_connection_files(&n);
    for (gsize v = 0; v < G_N_ELEMENTS(variants); v++) {
        Fx *fx = fx_new();
        AbfsStore *store = store_for(fx, 60000);
        json_object *conn = variants[v] ? json_tokener_parse(variants[v]) : make_conn(CONN_A, WS, "plain");
        g_assert_nonnull(conn);
        abfs_store_put_connection(store, json_object_get(conn));
        GError *err = NULL;
        AbfsEntry *e = abfs_store_entry(store, CONN_A, &err);
        g_assert_no_error(err);
        for (guint i = 0; i < n; i++) {
            gsize len;
            char *got = abfs_entry_render(e, i, &len);
            char *want = rows[i].render(conn, &ctx);
            g_assert_cmpstr(got, ==, want);
            g_assert_cmpuint(len, ==, strlen(want));
            g_free(got);
            g_free(want);
        }
        abfs_entry_unref(e);
        json_object_put(conn);
        abfs_store_free(store);
        fx_free(fx);
    }
}

int main(int argc, char **argv)
{
    abfs_unit_init(&argc, &argv);
    g_test_add_func("/store/snapshot-content", test_store_snapshot_content);
    g_test_add_func("/store/render-from-one-member", test_store_render_from_one_member);
    g_test_add_func("/store/ttl", test_store_ttl);
    g_test_add_func("/store/invalidate", test_store_invalidate);
    g_test_add_func("/store/mtime", test_store_mtime);
    g_test_add_func("/store/changes-after-a-single-read", test_store_changes_after_a_single_read);
    g_test_add_func("/store/put-connection", test_store_put_connection);
    g_test_add_func("/store/single-flight", test_store_single_flight);
    g_test_add_func("/store/error-without-snapshot", test_store_error_without_snapshot);
    g_test_add_func("/store/put-during-walk-survives", test_store_put_during_walk_survives);
    g_test_add_func("/store/put-during-walk-of-changed-value", test_store_put_during_walk_of_changed_value);
    g_test_add_func("/store/put-during-first-walk-survives", test_store_put_during_first_walk_survives);
    g_test_add_func("/store/deep-connections", test_store_deep_connections);
    g_test_add_func("/store/serves-last-snapshot-when-unreachable", test_store_serves_last_snapshot_when_unreachable);
    g_test_add_func("/store/writers-and-walks", test_store_writers_and_walks);
    g_test_add_func("/store/writers-and-walks-cold", test_store_writers_and_walks_cold);
    g_test_add_func("/store/put-during-single-read-survives", test_store_put_during_single_read_survives);
    g_test_add_func("/store/put-during-single-read-after-refresh-survives",
                    test_store_put_during_single_read_after_refresh_survives);
    return abfs_unit_run();
}
