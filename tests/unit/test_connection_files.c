/* test_connection_files.c — unit tests of core/connection_files.h: the rows of a connection directory and their renderings. */
#include "fake_http.h"

#define SAMPLE_ID "9924bcd0-99be-453d-ba47-c2c9766f7da5"

static const char SAMPLE_JSON[] =
    "{\"connectionId\":\"" SAMPLE_ID "\",\"name\":\"Postgres → Snowflake\","
    "\"sourceId\":\"5ce5ce5c-1111-4111-8111-111111111111\","
    "\"destinationId\":\"de57de57-2222-4222-8222-222222222222\","
    "\"workspaceId\":\"" WS "\",\"status\":\"active\","
    "\"schedule\":{\"scheduleType\":\"cron\",\"cronExpression\":\"0 0 12 * * ? UTC\"},"
    "\"nonBreakingSchemaUpdatesBehavior\":\"ignore\",\"namespaceDefinition\":\"destination\","
    "\"namespaceFormat\":\"${SOURCE_NAMESPACE}\",\"prefix\":\"airbyte_\","
    "\"configurations\":{\"streams\":[{\"name\":\"users\",\"namespace\":\"public\","
    "\"syncMode\":\"incremental_deduped_history\",\"cursorField\":[\"updated_at\"],"
    "\"primaryKey\":[[\"id\"]],\"selectedFields\":[]},{\"name\":\"orders\",\"syncMode\":\"full_refresh_overwrite\"}]},"
    "\"createdAt\":1716000000,"
    "\"tags\":[{\"tagId\":\"7a970000-0000-4000-8000-000000000000\",\"workspaceId\":\"" WS "\","
    "\"name\":\"prod\",\"color\":\"#FF0000\"}]}";

static const AbfsRenderContext CLOUD_CTX = {"https://cloud.airbyte.com", WS};

static char *render_row(const char *name, json_object *conn, const AbfsRenderContext *ctx)
{
    int i = abfs_connection_file_index(name);
    if (i < 0)
        return NULL;
    guint count;
    const AbfsConnectionFile *files = abfs_connection_files(&count);
    return files[i].render(conn, ctx);
}

static void check_row(const char *name, json_object *conn, const char *expected)
{
    char *got = render_row(name, conn, &CLOUD_CTX);
    if (!got)
        g_test_message("no file row named %s", name);
    g_assert_nonnull(got);
    if (g_strcmp0(got, expected) != 0)
        g_test_message("row %s", name);
    g_assert_cmpstr(got, ==, expected);
    g_free(got);
}

static json_object *sample_with(const char *key, const char *json_value)
{
    json_object *c = json_tokener_parse(SAMPLE_JSON);
    g_assert_nonnull(c);
    if (key) {
        if (json_value)
            json_object_object_add(c, key, json_tokener_parse(json_value));
        else
            json_object_object_del(c, key);
    }
    return c;
}

static void test_files_table(void)
{
    guint count = 0;
    const AbfsConnectionFile *files = abfs_connection_files(&count);
    g_assert_nonnull(files);
    g_assert_cmpuint(count, >, 0);
    /* the files PyAirbyte's connection object also exposes */
    const char *required[] = {"name", "prefix", "enabled", "schedule", "streams", "source_id",
                              "destination_id", "workspace_id", "url"};
    for (gsize i = 0; i < G_N_ELEMENTS(required); i++) {
        if (abfs_connection_file_index(required[i]) < 0)
            g_test_message("missing row %s", required[i]);
        g_assert_cmpint(abfs_connection_file_index(required[i]), >=, 0);
    }
    g_assert_cmpint(abfs_connection_file_index("no such file"), ==, -1);
    g_assert_cmpint(abfs_connection_file_index(""), ==, -1);
    for (guint i = 0; i < count; i++) {
        g_assert_nonnull(files[i].name);
        g_assert_nonnull(files[i].render);
        g_assert_null(strchr(files[i].name, '/'));
        g_assert_cmpint(abfs_connection_file_index(files[i].name), ==, (int)i); /* names unique */
    }
}

static void test_files_render_sample(void)
{
    json_object *c = sample_with(NULL, NULL);
    check_row("name", c, "Postgres → Snowflake\n");
    check_row("prefix", c, "airbyte_\n");
    check_row("enabled", c, "true\n");
    check_row("schedule", c, "0 0 12 * * ?\n");
    check_row("streams", c, "users\norders\n");
    check_row("source_id", c, "5ce5ce5c-1111-4111-8111-111111111111\n");
    check_row("destination_id", c, "de57de57-2222-4222-8222-222222222222\n");
    check_row("workspace_id", c, WS "\n");
    check_row("url", c, "https://cloud.airbyte.com/workspaces/" WS "/connections/" SAMPLE_ID "\n");
    /* rows that may exist: checked when present */
    const struct {
        const char *name, *expected;
    } optional[] = {
        {"status", "active\n"},
        {"namespace_definition", "destination\n"},
        {"namespace_format", "${SOURCE_NAMESPACE}\n"},
        {"non_breaking_schema_updates_behavior", "ignore\n"},
    };
    for (gsize i = 0; i < G_N_ELEMENTS(optional); i++)
        if (abfs_connection_file_index(optional[i].name) >= 0)
            check_row(optional[i].name, c, optional[i].expected);
    if (abfs_connection_file_index("connection.json") >= 0) {
        char *text = render_row("connection.json", c, &CLOUD_CTX);
        char *pretty = abfs_json_pretty(c);
        g_assert_cmpstr(text, ==, pretty);
        GError *err = NULL;
        json_object *back = abfs_json_parse(text, strlen(text), &err);
        g_assert_no_error(err);
        g_assert_true(json_object_equal(back, c));
        json_object_put(back);
        g_free(pretty);
        g_free(text);
    }
    json_object_put(c);
}

static void test_files_schedule(void)
{
    json_object *c = sample_with("schedule", "{\"scheduleType\":\"manual\"}");
    check_row("schedule", c, "manual\n");
    char *t = abfs_schedule_text(c);
    g_assert_cmpstr(t, ==, "manual");
    g_free(t);
    json_object_put(c);

    c = sample_with("schedule", "{\"scheduleType\":\"basic\",\"basicTiming\":\"Every 24 HOURS\"}");
    check_row("schedule", c, "Every 24 HOURS\n");
    json_object_put(c);

    c = sample_with("schedule", "{\"scheduleType\":\"cron\",\"cronExpression\":\"0 0 12 * * ? UTC\"}");
    t = abfs_schedule_text(c);
    g_assert_cmpstr(t, ==, "0 0 12 * * ?");
    g_free(t);
    json_object_put(c);

    c = sample_with("schedule", "{\"scheduleType\":\"cron\",\"cronExpression\":\"0 15 * * * ?\"}");
    check_row("schedule", c, "0 15 * * * ?\n");
    json_object_put(c);
}

static void test_files_enabled(void)
{
    const struct {
        const char *status, *enabled;
    } rows[] = {{"\"active\"", "true\n"}, {"\"inactive\"", "false\n"}, {"\"deprecated\"", "false\n"},
                {"\"locked\"", "false\n"}};
    for (gsize i = 0; i < G_N_ELEMENTS(rows); i++) {
        json_object *c = sample_with("status", rows[i].status);
        check_row("enabled", c, rows[i].enabled);
        json_object_put(c);
    }
}

static void test_files_prefix_missing(void)
{
    json_object *c = sample_with("prefix", NULL);
    check_row("prefix", c, "\n");
    json_object_put(c);
    c = sample_with("prefix", "\"\"");
    check_row("prefix", c, "\n");
    json_object_put(c);
}

static void test_files_streams(void)
{
    json_object *c = sample_with("configurations", "{\"streams\":[{\"name\":\"only\"}]}");
    check_row("streams", c, "only\n");
    json_object_put(c);
}

/* connection_files.h: "Every rendering ends with exactly one newline." — also with no streams. */
static void test_files_streams_empty(void)
{
    json_object *c = sample_with("configurations", "{\"streams\":[]}");
    char *s = render_row("streams", c, &CLOUD_CTX);
    /* connection_files.h: a list with no items is an empty file (wc -l says 0). */
    g_assert_cmpstr(s, ==, "");
    g_free(s);
    json_object_put(c);
}

static void test_files_url(void)
{
    AbfsRenderContext ctx = {"http://localhost:8000", WS};
    char *url = abfs_connection_url(&ctx, CONN_A);
    g_assert_cmpstr(url, ==, "http://localhost:8000/workspaces/" WS "/connections/" CONN_A);
    g_free(url);
}

/* Every row ends with exactly one "\n" for several shapes of connection. */
static void test_files_one_newline(void)
{
    const char *variants[][2] = {
        {NULL, NULL},
        {"prefix", NULL},
        {"status", "\"inactive\""},
        {"schedule", "{\"scheduleType\":\"manual\"}"},
        {"schedule", "{\"scheduleType\":\"basic\",\"basicTiming\":\"Every 24 HOURS\"}"},
        {"schedule", "{\"scheduleType\":\"cron\",\"cronExpression\":\"0 0 12 * * ?\"}"},
        {"name", "\"\""},
        {"name", "\"with spaces and ünïcode\""},
        {"namespaceFormat", NULL},
        {"namespaceDefinition", NULL},
        {"nonBreakingSchemaUpdatesBehavior", NULL},
        {"configurations", "{\"streams\":[{\"name\":\"a\"},{\"name\":\"b\"},{\"name\":\"c\"}]}"},
    };
    guint count;
    const AbfsConnectionFile *files = abfs_connection_files(&count);
    AbfsRenderContext self_managed = {"http://localhost:8000", WS};
    for (gsize v = 0; v < G_N_ELEMENTS(variants); v++) {
        json_object *c = sample_with(variants[v][0], variants[v][1]);
        for (guint i = 0; i < count; i++) {
            for (int k = 0; k < 2; k++) {
                char *s = files[i].render(c, k ? &self_managed : &CLOUD_CTX);
                g_assert_nonnull(s);
                if (!ends_with_one_newline(s, strlen(s)))
                    g_test_message("row %s, variant %zu: [%s]", files[i].name, v, s);
                g_assert_true(ends_with_one_newline(s, strlen(s)));
                g_free(s);
            }
        }
        json_object_put(c);
    }
}

int main(int argc, char **argv)
{
    abfs_unit_init(&argc, &argv);
    g_test_add_func("/files/table", test_files_table);
    g_test_add_func("/files/render-sample", test_files_render_sample);
    g_test_add_func("/files/schedule", test_files_schedule);
    g_test_add_func("/files/enabled", test_files_enabled);
    g_test_add_func("/files/prefix-missing", test_files_prefix_missing);
    g_test_add_func("/files/streams", test_files_streams);
    g_test_add_func("/files/streams-empty", test_files_streams_empty);
    g_test_add_func("/files/url", test_files_url);
    g_test_add_func("/files/one-newline", test_files_one_newline);
    return abfs_unit_run();
}
