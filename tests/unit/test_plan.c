/* test_plan.c — unit tests of core/plan.h: planning staged settings files against the workspace. */
#include "fake_http.h"
#include "plan.h"

#define SETTINGS_ROW ((guint)abfs_connection_file_index("settings.json"))

typedef struct {
    Fx *fx;
    AbfsStore *store;
    AbfsActors *actors;
} World;

static World world(void)
{
    World w;
    w.fx = fx_new_full("t", 5);
    g_mutex_lock(&w.fx->api->lock);
    g_ptr_array_add(w.fx->api->conns, make_conn(CONN_A, WS, "orders"));
    g_mutex_unlock(&w.fx->api->lock);
    w.store = store_for(w.fx, 60000);
    w.actors = abfs_actors_new(w.fx->client, WS, "https://cloud.airbyte.com", 60000);
    return w;
}

static void world_free(World *w)
{
    abfs_actors_free(w->actors);
    abfs_store_free(w->store);
    fx_free(w->fx);
}

/* CONN_A's settings.json as exported now. */
static char *exported(World *w)
{
    AbfsSnapshot *snap = snap_ok(w->store);
    AbfsEntry *e = abfs_snapshot_lookup(snap, CONN_A);
    g_assert_nonnull(e);
    char *text = abfs_entry_render(e, SETTINGS_ROW, NULL);
    abfs_snapshot_unref(snap);
    return text;
}

/* text with member key set to value (JSON). */
static char *with(const char *text, const char *key, const char *value)
{
    json_object *doc = json_tokener_parse(text);
    json_object_object_add(doc, key, json_tokener_parse(value));
    char *out = abfs_json_pretty(doc);
    json_object_put(doc);
    return out;
}

static char *plan_of(World *w, const char *name, const char *text, gboolean allow_delete)
{
    AbfsStagedFile f = {name, text, strlen(text)};
    GError *err = NULL;
    AbfsPlan *plan = abfs_plan_compute(w->store, w->actors, &f, text ? 1 : 0, allow_delete, &err);
    g_assert_no_error(err);
    char *out = abfs_plan_text(plan);
    abfs_plan_free(plan);
    return out;
}

#define FILE_A CONN_A ".json"

static void test_plan_unchanged_edit_drift_conflict(void)
{
    World w = world();
    char *file = exported(&w);
    /* unchanged, and reformatted: nothing */
    char *text = plan_of(&w, FILE_A, file, FALSE);
    g_assert_cmpstr(text, ==, "Plan: 0 to create, 0 to change, 0 to delete.\n");
    g_free(text);
    /* an edit: the server still has the exported value */
    char *edited = with(file, "prefix", "\"p2_\"");
    text = plan_of(&w, FILE_A, edited, FALSE);
    g_assert_cmpstr(text, ==,
                    "~ " CONN_A " \"orders\": prefix \"airbyte_\" -> \"p2_\"\n"
                    "Plan: 0 to create, 1 to change, 0 to delete.\n");
    g_free(text);
    /* the server renamed it since: the unedited name is drift, the edit still a change */
    api_rename(w.fx->api, CONN_A, "orders (renamed in the UI)");
    text = plan_of(&w, FILE_A, edited, FALSE);
    g_assert_cmpstr(text, ==,
                    "! " CONN_A ": name changed on the server since it was exported\n"
                    "~ " CONN_A " \"orders (renamed in the UI)\": prefix \"airbyte_\" -> \"p2_\"\n"
                    "Plan: 0 to create, 1 to change, 0 to delete.\n");
    g_free(text);
    /* both renamed: a conflict, which makes the plan not applicable */
    char *both = with(edited, "name", "\"orders by git\"");
    AbfsStagedFile f = {FILE_A, both, strlen(both)};
    GError *err = NULL;
    AbfsPlan *plan = abfs_plan_compute(w.store, w.actors, &f, 1, FALSE, &err);
    text = abfs_plan_text(plan);
    g_assert_nonnull(strstr(text, "! " CONN_A ": name changed on the server and in the file since it was exported\n"));
    g_assert_false(abfs_plan_applicable(plan, &err));
    g_assert_error(err, ABFS_ERROR, EINVAL);
    g_clear_error(&err);
    g_assert_false(abfs_plan_apply(plan, w.store, w.actors, NULL, NULL, &err));
    g_clear_error(&err);
    abfs_plan_free(plan);
    g_free(text);
    /* without _exported (an older export) every difference is an edit */
    json_object *doc = json_tokener_parse(both);
    json_object_object_del(doc, "_exported");
    char *old = abfs_json_pretty(doc);
    json_object_put(doc);
    text = plan_of(&w, FILE_A, old, FALSE);
    g_assert_nonnull(strstr(text, "name \"orders (renamed in the UI)\" -> \"orders by git\"\n"));
    g_assert_nonnull(strstr(text, "Plan: 0 to create, 1 to change, 0 to delete.\n"));
    g_free(text);
    g_assert_cmpuint(fake_count(w.fx->srv, "PATCH", NULL) + fake_count(w.fx->srv, "POST", LIST_PATH), ==, 0);
    g_free(old);
    g_free(both);
    g_free(edited);
    g_free(file);
    world_free(&w);
}

static void test_plan_invalid_files_and_deletions(void)
{
    World w = world();
    char *file = exported(&w);
    char *bad = with(file, "status", "\"paused\"");
    char *text = plan_of(&w, FILE_A, bad, FALSE);
    g_assert_true(g_str_has_prefix(text, "! " FILE_A ": status must be one of"));
    g_free(text);
    text = plan_of(&w, CONN_B ".json", file, FALSE);
    g_assert_true(g_str_has_prefix(text, "! " CONN_B ".json: no connection " CONN_B " in this workspace"));
    g_free(text);
    /* not settings files: left out */
    text = plan_of(&w, "README.md", "# hello\n", FALSE);
    g_assert_cmpstr(text, ==, "Plan: 0 to create, 0 to change, 0 to delete.\n");
    g_free(text);
    /* deletions only with allow_delete, and never for an empty staging/ */
    g_mutex_lock(&w.fx->api->lock);
    g_ptr_array_add(w.fx->api->conns, make_conn(CONN_B, WS, "gone"));
    g_mutex_unlock(&w.fx->api->lock);
    text = plan_of(&w, FILE_A, file, FALSE);
    g_assert_cmpstr(text, ==, "Plan: 0 to create, 0 to change, 0 to delete.\n");
    g_free(text);
    text = plan_of(&w, FILE_A, file, TRUE);
    g_assert_cmpstr(text, ==, "- delete " CONN_B " \"gone\"\nPlan: 0 to create, 0 to change, 1 to delete.\n");
    g_free(text);
    AbfsPlan *none = abfs_plan_compute(w.store, w.actors, NULL, 0, TRUE, NULL);
    text = abfs_plan_text(none);
    g_assert_cmpstr(text, ==, "Plan: 0 to create, 0 to change, 0 to delete.\n");
    g_free(text);
    char *json = abfs_plan_json(none);
    json_object *doc = json_tokener_parse(json);
    g_assert_cmpint(json_object_array_length(json_object_object_get(doc, "items")), ==, 0);
    json_object_put(doc);
    g_free(json);
    abfs_plan_free(none);
    g_free(bad);
    g_free(file);
    world_free(&w);
}

static void test_plan_draft(void)
{
    World w = world();
    api_push(w.fx->api, 200,
             "{\"data\":[{\"sourceId\":\"5ce5ce5c-0000-4000-8000-000000000001\",\"name\":\"Postgres\",\"workspaceId\":\"" WS
             "\",\"sourceType\":\"postgres\",\"definitionId\":\"d\",\"configuration\":{}}]}",
             0);
    api_push(w.fx->api, 200,
             "{\"data\":[{\"destinationId\":\"de57de57-0000-4000-8000-000000000001\",\"name\":\"BigQuery\","
             "\"workspaceId\":\"" WS "\",\"destinationType\":\"bigquery\",\"definitionId\":\"d\",\"configuration\":{}}]}",
             0);
    const char *draft = "{\"source\":\"Postgres\",\"destination\":\"BigQuery\"}\n";
    char *text = plan_of(&w, "pg-to-bq.json", draft, FALSE);
    g_assert_cmpstr(text, ==, "+ create pg-to-bq.json \"pg-to-bq\"\nPlan: 1 to create, 0 to change, 0 to delete.\n");
    g_free(text);
    g_assert_cmpuint(fake_count(w.fx->srv, "POST", NULL), ==, 0); /* a plan sends nothing */
    world_free(&w);
}

int main(int argc, char **argv)
{
    abfs_unit_init(&argc, &argv);
    g_test_add_func("/plan/unchanged-edit-drift-conflict", test_plan_unchanged_edit_drift_conflict);
    g_test_add_func("/plan/invalid-files-and-deletions", test_plan_invalid_files_and_deletions);
    g_test_add_func("/plan/draft", test_plan_draft);
    return abfs_unit_run();
}
