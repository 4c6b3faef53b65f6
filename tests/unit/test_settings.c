/* test_settings.c — unit tests of core/settings.h: canonical forms, validation as the server
 * validates, and PATCH bodies that hold only what changes. */
#include "fake_http.h"
#include "settings.h"

static json_object *conn(void)
{
    return make_conn(CONN_A, WS, "orders");
}

/* abfs_setting_add_to_patch() of value (JSON text) for key: the patch's text ("" when empty), or
 * NULL with the error's message in *message. */
static char *patch_of(const char *key, const char *value_json, char **message)
{
    json_object *c = conn(), *patch = json_object_new_object();
    json_object *value = json_tokener_parse(value_json);
    GError *err = NULL;
    char *out = NULL;
    if (abfs_setting_add_to_patch(c, key, value, patch, &err))
        out = json_object_object_length(patch) ? g_strdup(json_object_to_json_string_ext(patch, JSON_C_TO_STRING_PLAIN))
                                               : g_strdup("");
    else {
        g_assert_error(err, ABFS_ERROR, EINVAL);
        g_assert_null(strchr(err->message, '\n'));
        *message = g_strdup(err->message);
        g_error_free(err);
    }
    json_object_put(value);
    json_object_put(patch);
    json_object_put(c);
    return out;
}

static void expect_patch(const char *key, const char *value_json, const char *expected)
{
    char *message = NULL;
    char *out = patch_of(key, value_json, &message);
    if (!out)
        g_test_message("%s = %s: %s", key, value_json, message);
    g_assert_cmpstr(out, ==, expected);
    g_free(out);
    g_free(message);
}

static void expect_refused(const char *key, const char *value_json, const char *in_message)
{
    char *message = NULL;
    char *out = patch_of(key, value_json, &message);
    g_assert_null(out);
    g_assert_nonnull(message);
    if (message && !strstr(message, in_message))
        g_test_message("%s = %s: %s", key, value_json, message);
    g_assert_nonnull(strstr(message, in_message));
    g_free(out);
    g_free(message);
}

static void test_settings_current(void)
{
    json_object *c = conn();
    json_object *schedule = abfs_setting_current(c, "schedule");
    g_assert_cmpstr(json_object_to_json_string_ext(schedule, JSON_C_TO_STRING_PLAIN), ==,
                    "{\"scheduleType\":\"cron\",\"cronExpression\":\"0 0 12 * * ?\"}"); /* no " UTC" */
    json_object_put(schedule);
    json_object *tags = abfs_setting_current(c, "tags"); /* names, sorted; make_conn has none */
    g_assert_cmpstr(json_object_to_json_string_ext(tags, JSON_C_TO_STRING_PLAIN), ==, "[]");
    json_object_put(tags);
    g_assert_null(abfs_setting_current(c, "sourceId")); /* not a setting */
    g_assert_null(abfs_setting_current(c, "nosuch"));
    json_object *all = abfs_settings_object(c);
    const char *keys[] = {"name",
                          "prefix",
                          "status",
                          "schedule",
                          "namespaceDefinition",
                          "namespaceFormat",
                          "nonBreakingSchemaUpdatesBehavior",
                          "configurations",
                          "tags"};
    g_assert_cmpint(json_object_object_length(all), ==, G_N_ELEMENTS(keys));
    for (gsize i = 0; i < G_N_ELEMENTS(keys); i++)
        g_assert_nonnull(json_object_object_get(all, keys[i]));
    json_object_put(all);
    json_object *streams = abfs_streams_current(c);
    g_assert_cmpuint(json_object_array_length(streams), ==, 2);
    json_object_put(streams);
    json_object_put(c);
}

static void test_settings_patch_one(void)
{
    expect_patch("name", "\"orders\"", ""); /* the current value: nothing */
    expect_patch("name", "\"sales\"", "{\"name\":\"sales\"}");
    expect_refused("name", "\"\"", "name must not be empty");
    expect_refused("name", "\"a\\nb\"", "control characters");
    expect_refused("name", "3", "name must be a string");
    expect_patch("prefix", "\"\"", "{\"prefix\":\"\"}"); /* prefix may be empty */
    expect_patch("status", "\"inactive\"", "{\"status\":\"inactive\"}");
    expect_refused("status", "\"paused\"", "status must be one of: active, inactive");
    expect_refused("namespaceDefinition", "\"mine\"", "namespaceDefinition must be one of");
    expect_patch("schedule", "{\"scheduleType\":\"cron\",\"cronExpression\":\"0 0 12 * * ? UTC\"}", "");
    expect_patch("schedule", "{\"scheduleType\":\"cron\",\"cronExpression\":\"30 2 * * 1-5\"}",
                 "{\"schedule\":{\"scheduleType\":\"cron\",\"cronExpression\":\"0 30 2 ? * 2-6\"}}");
    expect_patch("schedule", "{\"scheduleType\":\"manual\"}", "{\"schedule\":{\"scheduleType\":\"manual\"}}");
    expect_refused("schedule", "{\"scheduleType\":\"basic\",\"basicTiming\":\"Every 24 HOURS\"}",
                   "basic schedules cannot be set");
    expect_refused("schedule", "{\"scheduleType\":\"cron\",\"cronExpression\":\"bad\"}", "schedule: ");
    expect_refused("schedule", "{\"scheduleType\":\"manual\",\"when\":1}", "unknown member \"when\"");
    /* streams are a set: the same streams in another order are no change */
    expect_patch("configurations",
                 "{\"streams\":[{\"name\":\"orders\"},{\"name\":\"users\",\"syncMode\":\"incremental_append\","
                 "\"cursorField\":[\"updated_at\"]}]}",
                 "");
    expect_refused("configurations", "{\"streams\":[]}", "at least one stream");
    expect_refused("configurations", "{\"streams\":[{\"name\":\"a\",\"syncMode\":\"sometimes\"}]}",
                   "syncMode must be one of");
    expect_refused("configurations", "{\"streams\":[{\"name\":\"a\"},{\"name\":\"a\"}]}", "listed twice");
    expect_refused("configurations", "{\"streams\":[{\"name\":\"a\",\"selectedFields\":[]}]}", "selectedFields");
    expect_refused("sourceId", "\"x\"", "not a writable setting");
    expect_refused("tags", "\"prod\"", "array of tag names");
    expect_refused("tags", "[1]", "array of tag names");
    expect_refused("tags", "[\"\"]", "tags must not be empty");
}

static void test_settings_patch_object(void)
{
    json_object *c = conn();
    json_object *all = abfs_settings_object(c), *patch = NULL;
    GError *err = NULL;
    g_assert_true(abfs_settings_patch(c, all, &patch, &err)); /* what was read: nothing to send */
    g_assert_no_error(err);
    g_assert_null(patch);
    json_object_object_add(all, "name", json_object_new_string("renamed"));
    g_assert_true(abfs_settings_patch(c, all, &patch, &err));
    g_assert_cmpstr(json_object_to_json_string_ext(patch, JSON_C_TO_STRING_PLAIN), ==, "{\"name\":\"renamed\"}");
    json_object_put(patch);
    patch = NULL;
    json_object_object_add(all, "sourceId", json_object_new_string(CONN_B));
    g_assert_false(abfs_settings_patch(c, all, &patch, &err));
    g_assert_error(err, ABFS_ERROR, EINVAL);
    g_assert_null(patch);
    g_clear_error(&err);
    json_object *array = json_object_new_array();
    g_assert_false(abfs_settings_patch(c, array, &patch, &err));
    g_assert_error(err, ABFS_ERROR, EINVAL);
    g_clear_error(&err);
    json_object_put(array);
    json_object_put(all);
    json_object_put(c);
}

/* Tags are a set of names: order and duplicates do not matter; the patch lists names, sorted. */
static void test_settings_tags(void)
{
    json_object *c = conn();
    json_object_object_add(c, "tags",
                           json_tokener_parse("[{\"tagId\":\"t1\",\"name\":\"prod\",\"color\":\"FF0000\"},"
                                              "{\"tagId\":\"t2\",\"name\":\"finance\",\"color\":\"00FF00\"}]"));
    json_object *current = abfs_setting_current(c, "tags");
    g_assert_cmpstr(json_object_to_json_string_ext(current, JSON_C_TO_STRING_PLAIN), ==, "[\"finance\",\"prod\"]");
    json_object_put(current);
    json_object *patch = json_object_new_object();
    GError *err = NULL;
    json_object *same = json_tokener_parse("[\"prod\",\"finance\",\"prod\"]");
    g_assert_true(abfs_setting_add_to_patch(c, "tags", same, patch, &err));
    g_assert_cmpint(json_object_object_length(patch), ==, 0); /* the same set: nothing to send */
    json_object *more = json_tokener_parse("[\"team-b\",\"prod\"]");
    g_assert_true(abfs_setting_add_to_patch(c, "tags", more, patch, &err));
    g_assert_no_error(err);
    g_assert_cmpstr(json_object_to_json_string_ext(patch, JSON_C_TO_STRING_PLAIN), ==,
                    "{\"tags\":[\"prod\",\"team-b\"]}");
    json_object_put(same);
    json_object_put(more);
    json_object_put(patch);
    json_object_put(c);
}

int main(int argc, char **argv)
{
    abfs_unit_init(&argc, &argv);
    g_test_add_func("/settings/tags", test_settings_tags);
    g_test_add_func("/settings/current", test_settings_current);
    g_test_add_func("/settings/patch-one", test_settings_patch_one);
    g_test_add_func("/settings/patch-object", test_settings_patch_object);
    return abfs_unit_run();
}
