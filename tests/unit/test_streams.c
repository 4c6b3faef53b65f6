/* test_streams.c — unit tests of core/stream_files.h (a stream's setting files: rendering, and
 * PATCHes of `configurations` that keep every other stream and member) and core/stream_actions.h
 * (a stream's state written back whole with only its part replaced, 423 as EBUSY, last_sync,
 * refresh and clear bodies) against the fake server. */
#include "fake_http.h"
#include "stream_actions.h"
#include "stream_files.h"

static const char *const CONN =
    "{\"connectionId\":\"" CONN_A "\",\"name\":\"c\",\"configurations\":{\"streams\":["
    "{\"name\":\"customers\",\"namespace\":\"public\",\"syncMode\":\"incremental_append\","
    " \"cursorField\":[\"updated_at\"],\"primaryKey\":[[\"id\"]],\"selectedFields\":[],\"mappers\":[]},"
    "{\"name\":\"customers\",\"namespace\":\"sales\",\"syncMode\":\"full_refresh_overwrite\","
    " \"cursorField\":[],\"primaryKey\":[[\"order_id\"],[\"id\"]],"
    " \"selectedFields\":[{\"fieldPath\":[\"id\"]},{\"fieldPath\":[\"name\"]}]},"
    "{\"name\":\"orders\",\"syncMode\":\"incremental_deduped_history\",\"cursorField\":[\"meta\",\"ts\"]}]}}";

static char *render(json_object *conn, const char *label, const char *file)
{
    GError *err = NULL;
    char *text = abfs_stream_setting_render(conn, label, (guint)abfs_stream_setting_index(file), &err);
    g_assert_no_error(err);
    return text;
}

static void test_stream_files_render(void)
{
    json_object *conn = json_tokener_parse(CONN);
    GPtrArray *labels = abfs_stream_labels_of(conn);
    g_assert_cmpuint(labels->len, ==, 3);
    g_assert_cmpstr(g_ptr_array_index(labels, 0), ==, "public.customers");
    g_assert_cmpstr(g_ptr_array_index(labels, 2), ==, "orders");
    g_ptr_array_free(labels, TRUE);
    static const struct {
        const char *label, *file, *text;
    } cases[] = {
        {"public.customers", "selected", "true\n"},
        {"public.customers", "sync_mode", "incremental_append\n"},
        {"public.customers", "cursor_field", "updated_at\n"},
        {"public.customers", "primary_key", "id\n"},
        {"public.customers", "selected_fields", ""},
        {"public.customers", "mappers.json", "[]\n"},
        {"sales.customers", "primary_key", "order_id\nid\n"},
        {"sales.customers", "selected_fields", "id\nname\n"},
        {"sales.customers", "cursor_field", "\n"},
        {"orders", "cursor_field", "meta.ts\n"},
        {"orders", "primary_key", ""},
    };
    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        char *text = render(conn, cases[i].label, cases[i].file);
        g_assert_cmpstr(text, ==, cases[i].text);
        g_free(text);
    }
    GError *err = NULL;
    g_assert_null(abfs_stream_setting_render(conn, "customers", 0, &err)); /* not unique: no such label */
    g_assert_error(err, ABFS_ERROR, ENOENT);
    g_clear_error(&err);
    g_assert_cmpint(abfs_stream_setting_index("state.json"), ==, -1);
    json_object_put(conn);
}

/* The PATCH of a write; NULL when it sends nothing. */
static json_object *parse(json_object *conn, const char *label, const char *file, const char *text, GError **err)
{
    json_object *patch = NULL;
    gboolean ok = abfs_stream_setting_parse(conn, label, (guint)abfs_stream_setting_index(file), text, strlen(text),
                                            &patch, err);
    g_assert_true(ok == (patch != NULL || !err || !*err));
    return patch;
}

static json_object *patched_stream(json_object *patch, gsize i)
{
    json_object *streams = json_object_object_get(json_object_object_get(patch, "configurations"), "streams");
    return json_object_array_get_idx(streams, i);
}

static void test_stream_files_parse(void)
{
    json_object *conn = json_tokener_parse(CONN);
    GError *err = NULL;
    /* one member of one stream changes; the PATCH holds every stream as it was otherwise */
    json_object *patch = parse(conn, "sales.customers", "sync_mode", "full_refresh_append", &err);
    g_assert_no_error(err);
    g_assert_nonnull(patch);
    g_assert_cmpint(json_object_object_length(patch), ==, 1);
    json_object *streams = json_object_object_get(json_object_object_get(patch, "configurations"), "streams");
    g_assert_cmpuint(json_object_array_length(streams), ==, 3);
    g_assert_cmpstr(abfs_json_string(patched_stream(patch, 1), "syncMode"), ==, "full_refresh_append");
    g_assert_cmpstr(abfs_json_string(patched_stream(patch, 0), "syncMode"), ==, "incremental_append");
    g_assert_cmpstr(abfs_json_string(patched_stream(patch, 2), "syncMode"), ==, "incremental_deduped_history");
    g_assert_cmpstr(json_object_to_json_string(json_object_object_get(patched_stream(patch, 1), "primaryKey")), ==,
                    "[ [ \"order_id\" ], [ \"id\" ] ]");
    json_object_put(patch);
    /* the current value: nothing to send */
    g_assert_null(parse(conn, "orders", "cursor_field", "meta.ts", &err));
    g_assert_no_error(err);
    g_assert_null(parse(conn, "orders", "selected", "yes", &err));
    g_assert_no_error(err);
    /* paths, lists, the empty selection */
    patch = parse(conn, "orders", "primary_key", "id\n\nshop.id\n", &err);
    g_assert_cmpstr(json_object_to_json_string(json_object_object_get(patched_stream(patch, 2), "primaryKey")), ==,
                    "[ [ \"id\" ], [ \"shop\", \"id\" ] ]");
    json_object_put(patch);
    patch = parse(conn, "sales.customers", "selected_fields", "", &err);
    g_assert_null(json_object_object_get(patched_stream(patch, 1), "selectedFields"));
    json_object_put(patch);
    patch = parse(conn, "public.customers", "mappers.json", "[{\"type\":\"hashing\",\"mapperConfiguration\":{}}]",
                  &err);
    g_assert_cmpuint(json_object_array_length(json_object_object_get(patched_stream(patch, 0), "mappers")), ==, 1);
    json_object_put(patch);
    /* deselecting drops that stream alone */
    patch = parse(conn, "public.customers", "selected", "false", &err);
    g_assert_no_error(err);
    streams = json_object_object_get(json_object_object_get(patch, "configurations"), "streams");
    g_assert_cmpuint(json_object_array_length(streams), ==, 2);
    g_assert_cmpstr(abfs_json_string(patched_stream(patch, 0), "namespace"), ==, "sales");
    json_object_put(patch);
    /* bad values: EINVAL, nothing to send */
    static const struct {
        const char *label, *file, *text;
    } bad[] = {
        {"orders", "sync_mode", "sometimes"},      {"orders", "selected", "maybe"},
        {"orders", "cursor_field", "a..b"},        {"orders", "cursor_field", "a\nb"},
        {"orders", "mappers.json", "{}"},          {"orders", "mappers.json", "[1"},
        {"orders", "primary_key", ".id"},
    };
    for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_assert_null(parse(conn, bad[i].label, bad[i].file, bad[i].text, &err));
        g_assert_error(err, ABFS_ERROR, EINVAL);
        g_clear_error(&err);
    }
    g_assert_null(parse(conn, "gone", "sync_mode", "full_refresh_append", &err));
    g_assert_error(err, ABFS_ERROR, ENOENT);
    g_clear_error(&err);
    json_object_put(conn);
    /* the last stream stays */
    conn = json_tokener_parse("{\"configurations\":{\"streams\":[{\"name\":\"only\"}]}}");
    g_assert_null(parse(conn, "only", "selected", "false", &err));
    g_assert_error(err, ABFS_ERROR, EINVAL);
    g_clear_error(&err);
    json_object_put(conn);
}

static const char *const STATE =
    "{\"stateType\":\"stream\",\"connectionId\":\"" CONN_A "\",\"streamState\":["
    "{\"streamDescriptor\":{\"name\":\"customers\",\"namespace\":\"public\"},\"streamState\":{\"c\":1}},"
    "{\"streamDescriptor\":{\"name\":\"customers\",\"namespace\":\"sales\"},\"streamState\":{\"c\":2}}]}";

static json_object *last_body(Fx *fx, const char *path)
{
    guint n = fake_count(fx->srv, "POST", path);
    g_assert_cmpuint(n, >, 0);
    return json_tokener_parse(fake_nth(fx->srv, "POST", path, n - 1)->body);
}

static void test_stream_state(void)
{
    Fx *fx = fx_new_full("t", 5);
    AbfsArtifacts *art = abfs_artifacts_new(fx->client, 0);
    AbfsStreams *st = abfs_streams_new(fx->client, art, 0); /* every read asks */
    json_object *conn = json_tokener_parse(CONN);
    GError *err = NULL;
    api_push(fx->api, 200, STATE, 0);
    char *text = abfs_stream_state_read(st, conn, "sales.customers", &err);
    g_assert_no_error(err);
    g_assert_cmpstr(text, ==, "{\n  \"c\": 2\n}\n");
    g_free(text);
    api_push(fx->api, 200, STATE, 0);
    text = abfs_stream_state_read(st, conn, "orders", &err);
    g_assert_cmpstr(text, ==, "{}\n"); /* no entry */
    g_free(text);
    /* the same value: read, nothing written */
    api_push(fx->api, 200, STATE, 0);
    g_assert_true(abfs_stream_state_write(st, conn, "sales.customers", "{\"c\": 2}", 8, &err));
    g_assert_cmpuint(fake_count(fx->srv, "POST", "/api/v1/state/create_or_update_safe"), ==, 0);
    /* a new value: the whole state goes back with that part alone replaced */
    api_push(fx->api, 200, STATE, 0);
    api_push(fx->api, 200, STATE, 0);
    g_assert_true(abfs_stream_state_write(st, conn, "sales.customers", "{\"c\": 3}", 8, &err));
    g_assert_no_error(err);
    json_object *body = last_body(fx, "/api/v1/state/create_or_update_safe");
    json_object *entries = json_object_object_get(json_object_object_get(body, "connectionState"), "streamState");
    g_assert_cmpuint(json_object_array_length(entries), ==, 2);
    g_assert_cmpstr(json_object_to_json_string(json_object_array_get_idx(entries, 0)), ==,
                    "{ \"streamDescriptor\": { \"name\": \"customers\", \"namespace\": \"public\" }, "
                    "\"streamState\": { \"c\": 1 } }");
    g_assert_cmpint(json_object_get_int(json_object_object_get(
                        json_object_object_get(json_object_array_get_idx(entries, 1), "streamState"), "c")),
                    ==, 3);
    json_object_put(body);
    /* a new stream's entry is added; {} removes one */
    api_push(fx->api, 200, STATE, 0);
    api_push(fx->api, 200, STATE, 0);
    g_assert_true(abfs_stream_state_write(st, conn, "orders", "{\"ts\": 9}", 9, &err));
    body = last_body(fx, "/api/v1/state/create_or_update_safe");
    entries = json_object_object_get(json_object_object_get(body, "connectionState"), "streamState");
    g_assert_cmpuint(json_object_array_length(entries), ==, 3);
    g_assert_null(json_object_object_get(
        json_object_object_get(json_object_array_get_idx(entries, 2), "streamDescriptor"), "namespace"));
    json_object_put(body);
    api_push(fx->api, 200, STATE, 0);
    api_push(fx->api, 200, STATE, 0);
    g_assert_true(abfs_stream_state_write(st, conn, "public.customers", "{}", 2, &err));
    body = last_body(fx, "/api/v1/state/create_or_update_safe");
    entries = json_object_object_get(json_object_object_get(body, "connectionState"), "streamState");
    g_assert_cmpuint(json_object_array_length(entries), ==, 1);
    json_object_put(body);
    /* during a sync: 423 is EBUSY */
    api_push(fx->api, 200, STATE, 0);
    api_push(fx->api, 423, "{\"message\":\"State cannot be updated while a sync is running\"}", 0);
    g_assert_false(abfs_stream_state_write(st, conn, "orders", "{\"ts\": 1}", 9, &err));
    g_assert_error(err, ABFS_ERROR, EBUSY);
    g_clear_error(&err);
    /* not an object: EINVAL, nothing sent; a legacy state has no per-stream part */
    guint before = fake_count(fx->srv, NULL, NULL);
    g_assert_false(abfs_stream_state_write(st, conn, "orders", "[1]", 3, &err));
    g_assert_error(err, ABFS_ERROR, EINVAL);
    g_clear_error(&err);
    g_assert_cmpuint(fake_count(fx->srv, NULL, NULL), ==, before);
    api_push(fx->api, 200, "{\"stateType\":\"legacy\",\"state\":{}}", 0);
    g_assert_null(abfs_stream_state_read(st, conn, "orders", &err));
    g_assert_error(err, ABFS_ERROR, ENOTSUP);
    g_clear_error(&err);
    /* no Config API */
    api_push(fx->api, 404, "{\"message\":\"not found\"}", 0);
    g_assert_null(abfs_stream_state_read(st, conn, "orders", &err));
    g_assert_error(err, ABFS_ERROR, ENOTSUP);
    g_assert_nonnull(err && strstr(err->message, "Config API"));
    g_clear_error(&err);
    json_object_put(conn);
    abfs_streams_free(st);
    abfs_artifacts_free(art);
    fx_free(fx);
}

static void test_stream_last_sync_refresh_clear(void)
{
    Fx *fx = fx_new_full("t", 5);
    AbfsArtifacts *art = abfs_artifacts_new(fx->client, 0);
    AbfsStreams *st = abfs_streams_new(fx->client, art, 0);
    json_object *conn = json_tokener_parse(CONN);
    GError *err = NULL;
    api_push(fx->api, 200,
             "[{\"streamName\":\"customers\",\"streamNamespace\":\"sales\",\"jobId\":12,\"configType\":\"sync\","
             "\"jobStatus\":\"succeeded\",\"recordsCommitted\":5,\"bytesCommitted\":50,\"startedAt\":1700000000,"
             "\"endedAt\":1700000060},"
             "{\"streamName\":\"orders\",\"streamNamespace\":\"\",\"jobId\":13,\"configType\":\"clear\","
             "\"jobStatus\":\"failed\",\"recordsCommitted\":0,\"bytesCommitted\":0,\"startedAt\":1,\"endedAt\":"
             "1700000000000}]",
             0);
    char *line = abfs_stream_last_sync(st, conn, "sales.customers", &err);
    g_assert_no_error(err);
    g_assert_cmpstr(line, ==, "succeeded\t5\t50\t2023-11-14T22:14:20Z\t12\n");
    g_free(line);
    api_push(fx->api, 200, "[{\"streamName\":\"orders\",\"streamNamespace\":\"\",\"jobId\":13,\"jobStatus\":"
                           "\"failed\",\"endedAt\":1700000000000}]",
             0);
    line = abfs_stream_last_sync(st, conn, "orders", &err); /* "" is no namespace; ms are seconds */
    g_assert_cmpstr(line, ==, "failed\t0\t0\t2023-11-14T22:13:20Z\t13\n");
    g_free(line);
    api_push(fx->api, 200, "[]", 0);
    line = abfs_stream_last_sync(st, conn, "orders", &err);
    g_assert_cmpstr(line, ==, "");
    g_free(line);
    /* refresh: the mode and that stream alone; clear likewise */
    api_push(fx->api, 200, "{\"job\":{\"id\":14}}", 0);
    g_assert_true(abfs_stream_refresh(st, conn, "sales.customers", "truncate\n", &err));
    json_object *body = last_body(fx, "/api/v1/connections/refresh");
    g_assert_cmpstr(json_object_to_json_string(body), ==,
                    "{ \"connectionId\": \"" CONN_A "\", \"refreshMode\": \"Truncate\", \"streams\": [ { "
                    "\"streamName\": \"customers\", \"streamNamespace\": \"sales\" } ] }");
    json_object_put(body);
    guint before = fake_count(fx->srv, NULL, NULL);
    g_assert_false(abfs_stream_refresh(st, conn, "orders", "sometimes", &err));
    g_assert_error(err, ABFS_ERROR, EINVAL);
    g_clear_error(&err);
    g_assert_cmpuint(fake_count(fx->srv, NULL, NULL), ==, before);
    api_push(fx->api, 409, "{\"message\":\"A sync is already running\"}", 0);
    g_assert_false(abfs_stream_clear(st, conn, "orders", &err));
    g_assert_error(err, ABFS_ERROR, EBUSY);
    g_clear_error(&err);
    g_assert_cmpuint(fake_count(fx->srv, "POST", "/api/v1/connections/clear/stream"), ==, 1); /* not retried */
    body = last_body(fx, "/api/v1/connections/clear/stream");
    g_assert_cmpstr(json_object_to_json_string(json_object_object_get(body, "streams")), ==,
                    "[ { \"streamName\": \"orders\" } ]");
    json_object_put(body);
    json_object_put(conn);
    abfs_streams_free(st);
    abfs_artifacts_free(art);
    fx_free(fx);
}

/* One state and one last-jobs answer serve every stream of a connection for the TTL; a write
 * drops them. */
static void test_stream_reads_cached(void)
{
    Fx *fx = fx_new_full("t", 5);
    AbfsArtifacts *art = abfs_artifacts_new(fx->client, 60000);
    AbfsStreams *st = abfs_streams_new(fx->client, art, 60000);
    json_object *conn = json_tokener_parse(CONN);
    GError *err = NULL;
    api_push(fx->api, 200, STATE, 0);
    api_push(fx->api, 200, "[]", 0);
    for (int i = 0; i < 3; i++) {
        g_free(abfs_stream_state_read(st, conn, "public.customers", &err));
        g_free(abfs_stream_state_read(st, conn, "sales.customers", &err));
        g_free(abfs_stream_last_sync(st, conn, "orders", &err));
        g_assert_no_error(err);
    }
    g_assert_cmpuint(fake_count(fx->srv, "POST", "/api/v1/state/get"), ==, 1);
    g_assert_cmpuint(fake_count(fx->srv, "POST", "/api/v1/connections/last_job_per_stream"), ==, 1);
    /* a write reads the state fresh, and afterwards it is asked again */
    api_push(fx->api, 200, STATE, 0);
    api_push(fx->api, 200, "{}", 0);
    g_assert_true(abfs_stream_state_write(st, conn, "orders", "{\"ts\": 1}", 9, &err));
    api_push(fx->api, 200, STATE, 0);
    g_free(abfs_stream_state_read(st, conn, "orders", &err));
    g_assert_cmpuint(fake_count(fx->srv, "POST", "/api/v1/state/get"), ==, 3);
    json_object_put(conn);
    abfs_streams_free(st);
    abfs_artifacts_free(art);
    fx_free(fx);
}

int main(int argc, char **argv)
{
    abfs_unit_init(&argc, &argv);
    g_test_add_func("/streams/render", test_stream_files_render);
    g_test_add_func("/streams/parse", test_stream_files_parse);
    g_test_add_func("/streams/state", test_stream_state);
    g_test_add_func("/streams/last-sync-refresh-clear", test_stream_last_sync_refresh_clear);
    g_test_add_func("/streams/reads-cached", test_stream_reads_cached);
    return abfs_unit_run();
}
