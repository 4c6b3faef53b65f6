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

int main(int argc, char **argv)
{
    abfs_unit_init(&argc, &argv);
    g_test_add_func("/actors/single-flight", test_actors_single_flight);
    return abfs_unit_run();
}
