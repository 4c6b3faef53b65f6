/* test_commit.c — unit tests of core/commit.h: committing a written connection file. */
#include "fake_http.h"

/* A PATCH whose first attempt lost its answer and whose retry was refused (409) is checked:
 * when the server holds the value, the write is done. */
static void test_commit_retry_refused_after_lost_answer(void)
{
    Fx *fx = fx_new_full("t", 5);
    g_mutex_lock(&fx->api->lock);
    g_ptr_array_add(fx->api->conns, make_conn(CONN_A, WS, "old"));
    g_mutex_unlock(&fx->api->lock);
    AbfsStore *store = store_for(fx, 60000);
    abfs_snapshot_unref(snap_ok(store));
    json_object *old = make_conn(CONN_A, WS, "old"), *new = make_conn(CONN_A, WS, "new");
    api_push(fx->api, 200, json_object_to_json_string(old), 0); /* the fresh GET */
    api_push(fx->api, 0, "", 0);                                  /* PATCH: applied, answer lost */
    api_push(fx->api, 409, "{\"title\":\"try-again-later\",\"detail\":\"busy\"}", 0); /* the retry */
    api_push(fx->api, 200, json_object_to_json_string(new), 0);  /* the check */
    int file = abfs_connection_file_index("name");
    char *text = g_strdup("new\n");
    GError *err = NULL;
    g_assert_true(abfs_commit_connection_file(store, CONN_A, (guint)file, NULL, text, strlen(text), &err));
    g_assert_no_error(err);
    g_free(text);
    AbfsSnapshot *s = snap_ok(store);
    g_assert_cmpstr(entry_file(s, CONN_A, "name"), ==, "new\n");
    abfs_snapshot_unref(s);

    /* and when the check cannot be made, the outcome is said to be unknown */
    api_push(fx->api, 200, json_object_to_json_string(new), 0);
    api_push(fx->api, 0, "", 0);
    for (int i = 0; i < 6; i++)
        api_push(fx->api, 503, "{\"title\":\"busy\"}", 0);
    text = g_strdup("newer\n");
    g_assert_false(abfs_commit_connection_file(store, CONN_A, (guint)file, NULL, text, strlen(text), &err));
    g_assert_error(err, ABFS_ERROR, ABFS_EUNKNOWN);
    g_assert_nonnull(strstr(err->message, "outcome unknown"));
    g_clear_error(&err);
    g_free(text);
    json_object_put(old);
    json_object_put(new);
    abfs_store_free(store);
    fx_free(fx);
}

int main(int argc, char **argv)
{
    abfs_unit_init(&argc, &argv);
    g_test_add_func("/commit/retry-refused-after-lost-answer", test_commit_retry_refused_after_lost_answer);
    return abfs_unit_run();
}
