/* test_resources.c — unit tests of core/resources.h: ids, connection checks, paginated walks, connection and workspace reads. */
#include "fake_http.h"

static void test_id_is_safe(void)
{
    const char *good[] = {
        "9924bcd0-99be-453d-ba47-c2c9766f7da5",
        "9924BCD0-99BE-453D-BA47-C2C9766F7DA5",
        "00000000-0000-0000-0000-000000000000",
        "0",
        "1234",
        "18446744073709551615",
    };
    for (gsize i = 0; i < G_N_ELEMENTS(good); i++) {
        if (!abfs_id_is_safe(good[i]))
            g_test_message("refused: %s", good[i]);
        g_assert_true(abfs_id_is_safe(good[i]));
    }
    const char *bad[] = {
        "",
        ".",
        "..",
        "../x",
        "a/b",
        "x/../../etc",
        "9924bcd0-99be-453d-ba47-c2c9766f7da5/..",
        "9924bcd0-99be-453d-ba47-c2c9766f7da5\n",
        "12\n",
        "12\r",
        "1\t2",
        ("a\x01" "b"),
        "\x7f",
        "9924bcd0-99be-453d-ba47-c2c9766f7da5a", /* 37 characters */
        "9924bcd0-99be-453d-ba47-c2c9766f7da",   /* 35 characters */
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", /* 37 letters */
        "9924bcd099be-453d-ba47-c2c9766f7da5-", /* dashes in the wrong places */
        "9924bcd0-99be-453d-ba47-c2c9766f7dag",
        "-1",
        "+1",
        " 1",
        "1 ",
        "1e5",
        "0x10",
        "name with spaces",
    };
    for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
        if (abfs_id_is_safe(bad[i])) {
            char *shown = g_strescape(bad[i], NULL);
            g_test_message("accepted: [%s]", shown);
            g_free(shown);
        }
        g_assert_false(abfs_id_is_safe(bad[i]));
    }
    g_assert_false(abfs_id_is_safe(NULL));
}

static void test_json_string(void)
{
    json_object *o = json_tokener_parse("{\"s\":\"x\",\"n\":1,\"z\":null}");
    g_assert_cmpstr(abfs_json_string(o, "s"), ==, "x");
    g_assert_null(abfs_json_string(o, "n"));
    g_assert_null(abfs_json_string(o, "z"));
    g_assert_null(abfs_json_string(o, "missing"));
    g_assert_null(abfs_json_string(NULL, "s"));
    json_object *arr = json_object_new_array();
    g_assert_null(abfs_json_string(arr, "s"));
    json_object_put(arr);
    json_object_put(o);
}

static void check_conn_refused(json_object *conn, const char *what)
{
    GError *err = NULL;
    gboolean ok = abfs_connection_check(conn, &err);
    if (ok)
        g_test_message("accepted a broken connection: %s", what);
    g_assert_false(ok);
    g_assert_nonnull(err);
    if (err)
        g_assert_true(err->domain == ABFS_ERROR);
    g_clear_error(&err);
}

static json_object *conn_without(const char *key)
{
    json_object *c = make_conn(CONN_A, WS, "n");
    json_object_object_del(c, key);
    return c;
}

static json_object *conn_with(const char *key, json_object *value)
{
    json_object *c = make_conn(CONN_A, WS, "n");
    json_object_object_add(c, key, value);
    return c;
}

static void test_connection_check(void)
{
    GError *err = NULL;
    json_object *good = make_conn(CONN_A, WS, "n");
    g_assert_true(abfs_connection_check(good, &err));
    g_assert_no_error(err);
    json_object_put(good);

    /* optional members may be absent or null */
    json_object *sparse = conn_without("prefix");
    json_object_object_del(sparse, "configurations");
    json_object_object_del(sparse, "namespaceFormat");
    json_object_object_add(sparse, "namespaceDefinition", NULL);
    g_assert_true(abfs_connection_check(sparse, &err));
    g_assert_no_error(err);
    json_object_put(sparse);

    /* integer ids are ids too */
    json_object *int_id = conn_with("connectionId", json_object_new_string("12345"));
    g_assert_true(abfs_connection_check(int_id, &err));
    g_assert_no_error(err);
    json_object_put(int_id);

    struct {
        const char *what;
        json_object *conn;
    } bad[] = {
        {"NULL", NULL},
        {"an array", json_object_new_array()},
        {"a string", json_object_new_string("x")},
        {"no id", conn_without("connectionId")},
        {"id ../x", conn_with("connectionId", json_object_new_string("../x"))},
        {"id a/b", conn_with("connectionId", json_object_new_string("a/b"))},
        {"id empty", conn_with("connectionId", json_object_new_string(""))},
        {"id number", conn_with("connectionId", json_object_new_int(5))},
        {"no workspaceId", conn_without("workspaceId")},
        {"workspaceId null", conn_with("workspaceId", NULL)},
    };
    for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
        check_conn_refused(bad[i].conn, bad[i].what);
        json_object_put(bad[i].conn);
    }

    /* members of the wrong type do not hide a connection: they are its defects */
    g_assert_null(abfs_connection_defects(good = make_conn(CONN_A, WS, "n")));
    json_object_put(good);
    struct {
        const char *member;
        json_object *conn;
    } defective[] = {
        {"`name`", conn_without("name")},
        {"`name`", conn_with("name", json_object_new_int(1))},
        {"`sourceId`", conn_without("sourceId")},
        {"`destinationId`", conn_without("destinationId")},
        {"`status`", conn_with("status", json_object_new_int(1))},
        {"`schedule`", conn_with("schedule", json_object_new_string("manual"))},
        {"`configurations`", conn_with("configurations", json_object_new_array())},
        {"`prefix`", conn_with("prefix", json_object_new_int(3))},
    };
    for (gsize i = 0; i < G_N_ELEMENTS(defective); i++) {
        g_assert_true(abfs_connection_check(defective[i].conn, &err));
        g_assert_no_error(err);
        char *defects = abfs_connection_defects(defective[i].conn);
        g_assert_cmpstr(defects, ==, defective[i].member);
        g_free(defects);
        json_object_put(defective[i].conn);
    }
}

/* resources.h: the parallel walk returns items in server order; with a hint it asks for exactly
 * the pages that exist; past them (slow start), fewer extra than the pages in flight. */
static void check_list_parallel(guint total, guint hint, guint parallel, guint min_requests, guint max_requests)
{
    Fx *fx = fx_new();
    api_add_conns(fx->api, total);
    GPtrArray *items = NULL;
    guint pages = 0;
    GError *err = NULL;
    g_assert_true(abfs_list_all_parallel(fx->client, "/connections", "workspaceIds=" WS, hint, parallel, NULL, NULL, NULL, &items,
                                         &pages, &err));
    g_assert_no_error(err);
    g_assert_cmpuint(items->len, ==, total);
    for (guint i = 0; i < items->len; i++) {
        char *id = conn_id_for(i);
        g_assert_cmpstr(abfs_json_string(g_ptr_array_index(items, i), "connectionId"), ==, id);
        g_free(id);
    }
    g_assert_cmpuint(pages, >=, min_requests);
    g_assert_cmpuint(pages, <=, max_requests);
    g_assert_cmpuint(list_requests(fx), ==, pages);
    g_ptr_array_free(items, TRUE);
    fx_free(fx);
}

static void test_list_parallel(void)
{
    check_list_parallel(50, 0, 8, 1, 1);      /* one page: exact */
    check_list_parallel(150, 0, 8, 2, 3);     /* slow start: 1, then 2 in flight */
    check_list_parallel(250, 0, 8, 3, 3);     /* generations of 1 and 2 pages: exact */
    check_list_parallel(1000, 0, 8, 11, 11 + 7); /* 1, 2, 4, then 8 in flight: fewer than 8 in vain */
    check_list_parallel(1234, 0, 8, 13, 13 + 7);
    check_list_parallel(1234, 1234, 8, 13, 13); /* the hint is right: exact */
    check_list_parallel(1234, 1000, 8, 14, 14); /* it grew: slow start past the hinted pages */
    check_list_parallel(1234, 2000, 8, 13, 21); /* it shrank: the hinted pages are asked */
    check_list_parallel(0, 0, 8, 1, 1);
}

static void check_list(guint total, guint expected_requests)
{
    Fx *fx = fx_new();
    api_add_conns(fx->api, total);
    GPtrArray *items = NULL;
    guint pages = 0;
    GError *err = NULL;
    g_assert_true(abfs_list_all(fx->client, "/connections", "workspaceIds=" WS, &items, &pages, &err));
    g_assert_no_error(err);
    g_assert_nonnull(items);
    if (!items) {
        fx_free(fx);
        return;
    }
    g_assert_cmpuint(items->len, ==, total);
    for (guint i = 0; i < items->len; i++) {
        char *id = conn_id_for(i);
        g_assert_cmpstr(abfs_json_string(g_ptr_array_index(items, i), "connectionId"), ==, id);
        g_free(id);
    }
    g_assert_cmpuint(pages, ==, expected_requests);
    g_assert_cmpuint(list_requests(fx), ==, expected_requests);
    /* only GET /connections, with computed offsets: `next` (a dead host) is never followed */
    g_assert_cmpuint(fake_count(fx->srv, "GET", NULL), ==, expected_requests);
    for (guint i = 0; i < expected_requests; i++) {
        FakeRequest *r = fake_nth(fx->srv, "GET", LIST_PATH, i);
        g_assert_nonnull(r);
        if (!r)
            continue;
        char *want = g_strdup_printf("workspaceIds=" WS "&limit=100&offset=%u", i * 100);
        g_assert_cmpstr(r->query, ==, want);
        g_free(want);
    }
    g_ptr_array_free(items, TRUE);
    fx_free(fx);
}

static void test_list_250(void)
{
    check_list(250, 3);
}

static void test_list_200(void)
{
    check_list(200, 3);
}

static void test_list_0(void)
{
    check_list(0, 1);
}

static void test_list_99_and_100(void)
{
    check_list(99, 1);
    check_list(100, 2);
}

static void test_list_without_query(void)
{
    Fx *fx = fx_new();
    api_add_conns(fx->api, 3);
    GPtrArray *items = NULL;
    GError *err = NULL;
    g_assert_true(abfs_list_all(fx->client, "/connections", NULL, &items, NULL, &err));
    g_assert_no_error(err);
    FakeRequest *r = fake_nth(fx->srv, "GET", LIST_PATH, 0);
    g_assert_nonnull(r);
    if (r)
        g_assert_cmpstr(r->query, ==, "limit=100&offset=0");
    if (items)
        g_ptr_array_free(items, TRUE);
    fx_free(fx);
}

static void test_list_malformed_page(void)
{
    const char *pages[] = {"{\"next\":\"\"}", "{\"data\":{}}", "{\"data\":[", "[]"};
    for (gsize i = 0; i < G_N_ELEMENTS(pages); i++) {
        Fx *fx = fx_new();
        fx->api->list_raw = pages[i];
        GPtrArray *items = NULL;
        GError *err = NULL;
        g_assert_false(abfs_list_all(fx->client, "/connections", "workspaceIds=" WS, &items, NULL, &err));
        g_assert_error(err, ABFS_ERROR, EIO);
        g_clear_error(&err);
        fx_free(fx);
    }
}

static void test_list_error_status(void)
{
    Fx *fx = fx_new();
    fx->api->list_status = 403;
    GPtrArray *items = NULL;
    GError *err = NULL;
    g_assert_false(abfs_list_all(fx->client, "/connections", "workspaceIds=" WS, &items, NULL, &err));
    g_assert_error(err, ABFS_ERROR, EPERM);
    g_clear_error(&err);
    fx_free(fx);
}

static void test_connections_list_filters(void)
{
    Fx *fx = fx_new();
    g_mutex_lock(&fx->api->lock);
    g_ptr_array_add(fx->api->conns, make_conn(CONN_A, WS, "a"));
    g_ptr_array_add(fx->api->conns, make_conn("cccccccc-0000-4000-8000-000000000003", OTHER_WS, "other"));
    g_ptr_array_add(fx->api->conns, make_conn("../../etc", WS, "evil"));
    g_ptr_array_add(fx->api->conns, make_conn("a/b", WS, "evil2"));
    json_object *broken = make_conn("dddddddd-0000-4000-8000-000000000004", WS, "broken");
    json_object_object_del(broken, "name");
    g_ptr_array_add(fx->api->conns, broken);
    g_ptr_array_add(fx->api->conns, json_object_new_string("not an object"));
    g_ptr_array_add(fx->api->conns, make_conn(CONN_B, WS, "b"));
    g_mutex_unlock(&fx->api->lock);

    GPtrArray *items = NULL, *skipped = NULL;
    GError *err = NULL;
    g_assert_true(abfs_connections_list(fx->client, WS, 0, 1, &items, &skipped, &err));
    g_assert_no_error(err);
    g_assert_nonnull(items);
    /* unsafe ids and non-objects are dropped; a connection without a name is shown all the same,
     * and each is said */
    const char *expected[] = {CONN_A, "dddddddd-0000-4000-8000-000000000004", CONN_B};
    if (items) {
        g_assert_cmpuint(items->len, ==, 3);
        for (guint i = 0; i < MIN(items->len, 3); i++) { /* compact JSON texts, and their ids */
            AbfsListedConnection *listed = g_ptr_array_index(items, i);
            json_object *c = json_tokener_parse(listed->text);
            g_assert_cmpstr(abfs_json_string(c, "connectionId"), ==, expected[i]);
            g_assert_cmpstr(listed->id, ==, expected[i]);
            json_object_put(c);
        }
        g_ptr_array_free(items, TRUE);
    }
    g_assert_nonnull(skipped);
    g_assert_cmpuint(skipped->len, ==, 4);
    gboolean said_defect = FALSE;
    for (guint i = 0; i < skipped->len; i++)
        said_defect = said_defect || (strstr(g_ptr_array_index(skipped, i), "dddddddd") &&
                                      strstr(g_ptr_array_index(skipped, i), "`name`"));
    g_assert_true(said_defect);
    g_ptr_array_free(skipped, TRUE);
    FakeRequest *r = fake_nth(fx->srv, "GET", LIST_PATH, 0);
    g_assert_nonnull(r);
    if (r)
        g_assert_cmpstr(r->query, ==, "workspaceIds=" WS "&limit=100&offset=0");
    fx_free(fx);
}

static void test_connection_get(void)
{
    Fx *fx = fx_new();
    json_object *c = make_conn(CONN_A, WS, "mine");
    api_push(fx->api, 200, json_object_to_json_string(c), 0);
    json_object_put(c);
    GError *err = NULL;
    json_object *got = abfs_connection_get(fx->client, WS, CONN_A, &err);
    g_assert_no_error(err);
    g_assert_cmpstr(abfs_json_string(got, "name"), ==, "mine");
    json_object_put(got);

    /* of another workspace: ENOENT */
    c = make_conn(CONN_A, OTHER_WS, "theirs");
    api_push(fx->api, 200, json_object_to_json_string(c), 0);
    json_object_put(c);
    got = abfs_connection_get(fx->client, WS, CONN_A, &err);
    g_assert_null(got);
    g_assert_error(err, ABFS_ERROR, ENOENT);
    g_clear_error(&err);

    /* an unsafe id is never sent */
    guint before = fake_count(fx->srv, "GET", NULL);
    got = abfs_connection_get(fx->client, WS, "../workspaces", &err);
    g_assert_null(got);
    g_assert_nonnull(err);
    g_clear_error(&err);
    g_assert_cmpuint(fake_count(fx->srv, "GET", NULL), ==, before);

    /* a malformed connection is an error, not a crash */
    api_push(fx->api, 200, "{\"connectionId\":\"" CONN_A "\"}", 0);
    got = abfs_connection_get(fx->client, WS, CONN_A, &err);
    g_assert_null(got);
    g_assert_error(err, ABFS_ERROR, EIO);
    g_clear_error(&err);
    fx_free(fx);
}

static void test_workspace_get(void)
{
    Fx *fx = fx_new();
    GError *err = NULL;
    json_object *ws = abfs_workspace_get(fx->client, WS, &err);
    g_assert_no_error(err);
    g_assert_cmpstr(abfs_json_string(ws, "workspaceId"), ==, WS);
    json_object_put(ws);
    g_assert_cmpuint(fake_count(fx->srv, "GET", "/api/public/v1/workspaces/" WS), ==, 1);
    /* an unsafe workspace id is never sent */
    ws = abfs_workspace_get(fx->client, "../connections", &err);
    g_assert_null(ws);
    g_assert_nonnull(err);
    g_clear_error(&err);
    g_assert_cmpuint(fake_count(fx->srv, "GET", NULL), ==, 1);
    fx_free(fx);
}

int main(int argc, char **argv)
{
    abfs_unit_init(&argc, &argv);
    g_test_add_func("/resources/list-parallel", test_list_parallel);
    g_test_add_func("/resources/id-is-safe", test_id_is_safe);
    g_test_add_func("/resources/json-string", test_json_string);
    g_test_add_func("/resources/connection-check", test_connection_check);
    g_test_add_func("/resources/list/250", test_list_250);
    g_test_add_func("/resources/list/200", test_list_200);
    g_test_add_func("/resources/list/0", test_list_0);
    g_test_add_func("/resources/list/99-and-100", test_list_99_and_100);
    g_test_add_func("/resources/list/without-query", test_list_without_query);
    g_test_add_func("/resources/list/malformed-page", test_list_malformed_page);
    g_test_add_func("/resources/list/error-status", test_list_error_status);
    g_test_add_func("/resources/connections-list-filters", test_connections_list_filters);
    g_test_add_func("/resources/connection-get", test_connection_get);
    g_test_add_func("/resources/workspace-get", test_workspace_get);
    return abfs_unit_run();
}
