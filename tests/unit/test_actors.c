/* test_actors.c — unit tests of core/actors.h: sources and destinations. */
#include "fake_http.h"

typedef struct {
    AbfsActors *actors;
    GPtrArray *ids;
} ActorThread;

static gpointer actor_list_thread(gpointer p)
{
    ActorThread *t = p;
    t->ids = abfs_actors_list(t->actors, ABFS_ACTOR_SOURCE, NULL);
    return NULL;
}

/* Concurrent listings of sources/ share one walk (the kernel serializes lookups in one directory,
 * so without it 12 cold `ls sources` against a slow API took 12 walks one after another). */
static void test_actors_single_flight(void)
{
    Fx *fx = fx_new_full("t", 5);
    api_push(fx->api, 200, "{\"previous\":\"\",\"next\":\"\",\"data\":[{\"sourceId\":\"5ce5ce5c-0000-4000-8000-000000000001\","
                           "\"name\":\"s\",\"sourceType\":\"faker\",\"workspaceId\":\"" WS "\",\"definitionId\":\"d\","
                           "\"configuration\":{}}]}", 300);
    AbfsActors *actors = abfs_actors_new(fx->client, WS, "https://cloud.airbyte.com", 60000);
    ActorThread t[8];
    GThread *th[8];
    for (int i = 0; i < 8; i++) {
        t[i] = (ActorThread){actors, NULL};
        th[i] = g_thread_new("ls", actor_list_thread, &t[i]);
    }
    for (int i = 0; i < 8; i++) {
        g_thread_join(th[i]);
        g_assert_nonnull(t[i].ids);
        g_assert_cmpuint(t[i].ids->len, ==, 1);
        g_ptr_array_free(t[i].ids, TRUE);
    }
    g_assert_cmpuint(fake_count(fx->srv, "GET", "/api/public/v1/sources"), ==, 1);
    abfs_actors_free(actors);
    fx_free(fx);
}

#define SOURCES "/api/public/v1/sources"
#define SOURCE_ID "5ce5ce5c-0000-4000-8000-000000000001"
#define SOURCE_JSON "{\"sourceId\":\"" SOURCE_ID "\",\"name\":\"Faker\",\"sourceType\":\"faker\",\"workspaceId\":\"" WS \
                    "\",\"definitionId\":\"dfd88b22\",\"configuration\":{\"count\":10,\"secret\":\"**********\",\"list\":[]}}"
#define SOURCES_PAGE "{\"previous\":\"\",\"next\":\"\",\"data\":[" SOURCE_JSON ",{\"sourceId\":\"../x\",\"workspaceId\":\"" WS \
                     "\"},{\"sourceId\":\"5ce5ce5c-0000-4000-8000-000000000009\",\"workspaceId\":\"" OTHER_WS "\"}]}"

static char *file_of(AbfsActors *actors, const char *file, GError **err)
{
    return abfs_actor_file(actors, ABFS_ACTOR_SOURCE, SOURCE_ID, file, err);
}

static void expect_file(AbfsActors *actors, const char *file, const char *expected)
{
    GError *err = NULL;
    char *text = file_of(actors, file, &err);
    g_assert_no_error(err);
    g_assert_cmpstr(text, ==, expected);
    g_free(text);
}

static void test_actors_list_and_files(void)
{
    Fx *fx = fx_new_full("t", 5);
    api_push(fx->api, 200, SOURCES_PAGE, 0);
    AbfsActors *actors = abfs_actors_new(fx->client, WS, "https://cloud.airbyte.com", 60000);
    GError *err = NULL;
    GPtrArray *ids = abfs_actors_list(actors, ABFS_ACTOR_SOURCE, &err);
    g_assert_no_error(err);
    g_assert_cmpuint(ids->len, ==, 1); /* an unsafe id and another workspace's source are dropped */
    g_assert_cmpstr(g_ptr_array_index(ids, 0), ==, SOURCE_ID);
    g_ptr_array_free(ids, TRUE);
    expect_file(actors, "name", "Faker\n");
    expect_file(actors, "type", "faker\n");
    expect_file(actors, "definition_id", "dfd88b22\n");
    expect_file(actors, "configuration.json", "{\n  \"count\": 10,\n  \"list\": [],\n  \"secret\": \"**********\"\n}\n");
    expect_file(actors, "url", "https://cloud.airbyte.com/workspaces/" WS "/source/" SOURCE_ID "\n");
    g_assert_cmpuint(fake_count(fx->srv, "GET", SOURCES), ==, 1); /* one walk for all of them */
    g_assert_true(abfs_actor_exists(actors, ABFS_ACTOR_SOURCE, SOURCE_ID, &err));
    g_assert_false(abfs_actor_exists(actors, ABFS_ACTOR_SOURCE, CONN_A, &err));
    g_assert_error(err, ABFS_ERROR, ENOENT);
    g_clear_error(&err);
    g_assert_null(file_of(actors, "nosuch", &err));
    g_assert_error(err, ABFS_ERROR, ENOENT);
    g_clear_error(&err);
    g_assert_true(abfs_actor_file_writable("name"));
    g_assert_false(abfs_actor_file_writable("configuration.json"));
    char *url = abfs_actor_url(actors, ABFS_ACTOR_DESTINATION, CONN_A);
    g_assert_cmpstr(url, ==, "https://cloud.airbyte.com/workspaces/" WS "/destination/" CONN_A);
    g_free(url);
    abfs_actors_free(actors);
    fx_free(fx);
}

static void test_actors_rename(void)
{
    Fx *fx = fx_new_full("t", 5);
    api_push(fx->api, 200, SOURCES_PAGE, 0);
    AbfsActors *actors = abfs_actors_new(fx->client, WS, "https://cloud.airbyte.com", 60000);
    GError *err = NULL;
    g_assert_true(abfs_actor_rename(actors, ABFS_ACTOR_SOURCE, SOURCE_ID, "Faker\n", 6, &err)); /* same: nothing sent */
    g_assert_no_error(err);
    g_assert_cmpuint(fake_count(fx->srv, "PATCH", NULL), ==, 0);
    const char *bad[] = {"", "\n", "a\nb", "a\tb", "\xff"};
    for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_assert_false(abfs_actor_rename(actors, ABFS_ACTOR_SOURCE, SOURCE_ID, bad[i], strlen(bad[i]), &err));
        g_assert_error(err, ABFS_ERROR, EINVAL);
        g_clear_error(&err);
    }
    g_assert_false(abfs_actor_rename(actors, ABFS_ACTOR_SOURCE, SOURCE_ID, "a\0b", 3, &err));
    g_assert_error(err, ABFS_ERROR, EINVAL);
    g_clear_error(&err);
    char *renamed = g_strdup(SOURCE_JSON);
    char *at = strstr(renamed, "\"Faker\"");
    memcpy(at, "\"Fakir\"", 7);
    api_push(fx->api, 200, renamed, 0);
    g_assert_true(abfs_actor_rename(actors, ABFS_ACTOR_SOURCE, SOURCE_ID, "Fakir\r\n", 7, &err));
    g_assert_no_error(err);
    FakeRequest *patch = fake_nth(fx->srv, "PATCH", SOURCES "/" SOURCE_ID, 0);
    g_assert_nonnull(patch);
    g_assert_cmpstr(patch->body, ==, "{\"name\":\"Fakir\"}");
    expect_file(actors, "name", "Fakir\n"); /* the answer, without another walk */
    expect_file(actors, "type", "faker\n");
    g_assert_cmpuint(fake_count(fx->srv, "GET", SOURCES), ==, 1);
    g_free(renamed);
    abfs_actors_free(actors);
    fx_free(fx);
}

/* The last listing serves while the API cannot be reached; an invalidation asks again. */
static void test_actors_stale_while_unreachable(void)
{
    Fx *fx = fx_new_full("t", 1);
    api_push(fx->api, 200, SOURCES_PAGE, 0);
    AbfsActors *actors = abfs_actors_new(fx->client, WS, "https://cloud.airbyte.com", 60000);
    expect_file(actors, "name", "Faker\n");
    fake_shutdown(fx->srv);
    abfs_actors_invalidate(actors);
    expect_file(actors, "name", "Faker\n");
    GError *err = NULL;
    GPtrArray *ids = abfs_actors_list(actors, ABFS_ACTOR_SOURCE, &err);
    g_assert_no_error(err);
    g_assert_cmpuint(ids->len, ==, 1);
    g_ptr_array_free(ids, TRUE);
    /* never listed: the error itself */
    g_assert_null(abfs_actors_list(actors, ABFS_ACTOR_DESTINATION, &err));
    g_assert_nonnull(err);
    g_clear_error(&err);
    abfs_actors_free(actors);
    fx_free(fx);
}

int main(int argc, char **argv)
{
    abfs_unit_init(&argc, &argv);
    g_test_add_func("/actors/single-flight", test_actors_single_flight);
    g_test_add_func("/actors/list-and-files", test_actors_list_and_files);
    g_test_add_func("/actors/rename", test_actors_rename);
    g_test_add_func("/actors/stale-while-unreachable", test_actors_stale_while_unreachable);
    return abfs_unit_run();
}
