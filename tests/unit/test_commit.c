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

#define CONN_A_PATH "/api/public/v1/connections/" CONN_A

static guint name_file(void)
{
    return (guint)abfs_connection_file_index("name");
}

/* A store whose listing holds CONN_A named name. */
static AbfsStore *store_with(Fx *fx, const char *name)
{
    g_mutex_lock(&fx->api->lock);
    g_ptr_array_add(fx->api->conns, make_conn(CONN_A, WS, name));
    g_mutex_unlock(&fx->api->lock);
    AbfsStore *store = store_for(fx, 60000);
    abfs_snapshot_unref(snap_ok(store));
    return store;
}

static gboolean commit_text(AbfsStore *store, guint file, AbfsEntry *base, const char *written, GError **err)
{
    char *text = g_strdup(written);
    gboolean ok = abfs_commit_connection_file(store, CONN_A, file, base, text, strlen(text), err);
    g_free(text);
    return ok;
}

/* The order of commit.h: newline dropped, validated, compared, read fresh, one PATCH. */
static void test_commit_patch(void)
{
    Fx *fx = fx_new_full("t", 5);
    AbfsStore *store = store_with(fx, "old");
    json_object *old = make_conn(CONN_A, WS, "old"), *new = make_conn(CONN_A, WS, "new");
    api_push(fx->api, 200, json_object_to_json_string(old), 0); /* the fresh GET */
    api_push(fx->api, 200, json_object_to_json_string(new), 0); /* the PATCH's answer */
    GError *err = NULL;
    g_assert_true(commit_text(store, name_file(), NULL, "new\r\n", &err));
    g_assert_no_error(err);
    g_assert_cmpuint(fake_count(fx->srv, "GET", CONN_A_PATH), ==, 1);
    g_assert_cmpuint(fake_count(fx->srv, "PATCH", CONN_A_PATH), ==, 1);
    FakeRequest *patch = fake_nth(fx->srv, "PATCH", CONN_A_PATH, 0);
    json_object *body = json_tokener_parse(patch->body);
    g_assert_cmpstr(json_object_to_json_string_ext(body, JSON_C_TO_STRING_PLAIN), ==, "{\"name\":\"new\"}");
    json_object_put(body);
    AbfsSnapshot *s = snap_ok(store); /* the answer is in the store, without a walk */
    g_assert_cmpstr(entry_file(s, CONN_A, "name"), ==, "new\n");
    abfs_snapshot_unref(s);
    g_assert_cmpuint(list_requests(fx), ==, 1);

    /* what the store already says: nothing is sent */
    g_assert_true(commit_text(store, name_file(), NULL, "new\n", &err));
    g_assert_no_error(err);
    g_assert_cmpuint(fake_count(fx->srv, NULL, CONN_A_PATH), ==, 2);

    /* a bad value: EINVAL, nothing sent */
    g_assert_false(commit_text(store, (guint)abfs_connection_file_index("enabled"), NULL, "maybe\n", &err));
    g_assert_error(err, ABFS_ERROR, EINVAL);
    g_clear_error(&err);
    /* a read-only file: EACCES */
    g_assert_false(commit_text(store, (guint)abfs_connection_file_index("status"), NULL, "active\n", &err));
    g_assert_error(err, ABFS_ERROR, EACCES);
    g_clear_error(&err);
    g_assert_cmpuint(fake_count(fx->srv, NULL, CONN_A_PATH), ==, 2);
    json_object_put(old);
    json_object_put(new);
    abfs_store_free(store);
    fx_free(fx);
}

/* The file changed on the server since the writer opened it: ESTALE, no PATCH, and the store
 * learns the new value. */
static void test_commit_stale(void)
{
    Fx *fx = fx_new_full("t", 5);
    AbfsStore *store = store_with(fx, "old");
    AbfsEntry *base = abfs_store_entry(store, CONN_A, NULL);
    g_assert_nonnull(base);
    json_object *other = make_conn(CONN_A, WS, "changed elsewhere");
    api_push(fx->api, 200, json_object_to_json_string(other), 0);
    GError *err = NULL;
    g_assert_false(commit_text(store, name_file(), base, "mine\n", &err));
    g_assert_error(err, ABFS_ERROR, ESTALE);
    g_assert_nonnull(err && strstr(err->message, "changed elsewhere"));
    g_clear_error(&err);
    g_assert_cmpuint(fake_count(fx->srv, "PATCH", NULL), ==, 0);
    AbfsSnapshot *s = snap_ok(store);
    g_assert_cmpstr(entry_file(s, CONN_A, "name"), ==, "changed elsewhere\n");
    abfs_snapshot_unref(s);
    /* writing what the writer saw sends nothing, even though the server moved on */
    g_assert_true(commit_text(store, name_file(), base, "old\n", &err));
    g_assert_no_error(err);
    g_assert_cmpuint(fake_count(fx->srv, NULL, CONN_A_PATH), ==, 1);
    abfs_entry_unref(base);
    json_object_put(other);
    abfs_store_free(store);
    fx_free(fx);
}

static void test_commit_validate(void)
{
    Fx *fx = fx_new_full("t", 5);
    AbfsStore *store = store_with(fx, "old");
    AbfsEntry *base = abfs_store_entry(store, CONN_A, NULL);
    GError *err = NULL;
    g_assert_true(abfs_validate_connection_file(name_file(), base, "fine\n", 5, &err));
    g_assert_no_error(err);
    g_assert_true(abfs_validate_connection_file((guint)abfs_connection_file_index("schedule"), base,
                                                "30 2 * * 1-5\n", 13, &err));
    g_assert_false(abfs_validate_connection_file((guint)abfs_connection_file_index("schedule"), base,
                                                 "every tuesday\n", 14, &err));
    g_assert_error(err, ABFS_ERROR, EINVAL);
    g_clear_error(&err);
    g_assert_false(abfs_validate_connection_file(name_file(), base, "\n", 1, &err)); /* empty name */
    g_assert_error(err, ABFS_ERROR, EINVAL);
    g_clear_error(&err);
    g_assert_false(abfs_validate_connection_file((guint)abfs_connection_file_index("url"), base, "x", 1, &err));
    g_assert_error(err, ABFS_ERROR, EACCES);
    g_clear_error(&err);
    g_assert_cmpuint(fake_count(fx->srv, NULL, CONN_A_PATH), ==, 0); /* validation sends nothing */
    abfs_entry_unref(base);
    abfs_store_free(store);
    fx_free(fx);
}

int main(int argc, char **argv)
{
    abfs_unit_init(&argc, &argv);
    g_test_add_func("/commit/retry-refused-after-lost-answer", test_commit_retry_refused_after_lost_answer);
    g_test_add_func("/commit/patch", test_commit_patch);
    g_test_add_func("/commit/stale", test_commit_stale);
    g_test_add_func("/commit/validate", test_commit_validate);
    return abfs_unit_run();
}
