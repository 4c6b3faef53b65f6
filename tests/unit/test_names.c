/* test_names.c — unit tests of core/names.h: connection names as link names for by-name/, and the
 * store's by-name index of a snapshot. */
#include "fake_http.h"
#include "names.h"

static void check_safe(const char *name, const char *expected)
{
    char *s = abfs_safe_name(name);
    g_assert_cmpstr(s, ==, expected);
    g_free(s);
}

static void test_names_safe(void)
{
    check_safe("Faker Demo", "Faker Demo");
    check_safe("Stripe / Billing", "Stripe \u2215 Billing");
    check_safe("a\tb\nc\x7f", "a\uFFFDb\uFFFDc\uFFFD");
    check_safe(".", "\u2219.");
    check_safe("..", "\u2219..");
    check_safe("", "\u2219");
    check_safe(NULL, "\u2219");
    check_safe("\xff bad", "\u2219"); /* not UTF-8: treated as no name */
    /* cut to 200 bytes on a character boundary */
    GString *long_name = g_string_new(NULL);
    for (int i = 0; i < 150; i++)
        g_string_append(long_name, "é");
    char *s = abfs_safe_name(long_name->str);
    g_assert_cmpuint(strlen(s), ==, 200);
    g_assert_true(g_utf8_validate(s, -1, NULL));
    g_free(s);
    g_string_free(long_name, TRUE);
}

static void test_names_table(void)
{
    const char *ids[] = {"1", "2", "3", "4"};
    const char *names[] = {"same", "same", "a/b", NULL};
    GHashTable *t = abfs_by_name_table(4, ids, names);
    g_assert_cmpuint(g_hash_table_size(t), ==, 4);
    g_assert_cmpstr(g_hash_table_lookup(t, "same [1]"), ==, "1"); /* collisions: both get their id */
    g_assert_cmpstr(g_hash_table_lookup(t, "same [2]"), ==, "2");
    g_assert_null(g_hash_table_lookup(t, "same"));
    g_assert_cmpstr(g_hash_table_lookup(t, "a\u2215b"), ==, "3");
    g_assert_cmpstr(g_hash_table_lookup(t, "\u2219"), ==, "4");
    g_hash_table_destroy(t);
    t = abfs_by_name_table(0, NULL, NULL);
    g_assert_cmpuint(g_hash_table_size(t), ==, 0);
    g_hash_table_destroy(t);
}

/* The store's index is the same table, for the snapshot's connections. */
static void test_names_snapshot_index(void)
{
    Fx *fx = fx_new_full("t", 5);
    g_mutex_lock(&fx->api->lock);
    g_ptr_array_add(fx->api->conns, make_conn(CONN_A, WS, "twin"));
    g_ptr_array_add(fx->api->conns, make_conn(CONN_B, WS, "twin"));
    g_mutex_unlock(&fx->api->lock);
    AbfsStore *store = store_for(fx, 60000);
    AbfsSnapshot *s = snap_ok(store);
    GHashTable *t = abfs_snapshot_by_name(s);
    g_assert_true(t == abfs_snapshot_by_name(s)); /* computed once */
    g_assert_cmpstr(g_hash_table_lookup(t, "twin [" CONN_A "]"), ==, CONN_A);
    g_assert_cmpstr(g_hash_table_lookup(t, "twin [" CONN_B "]"), ==, CONN_B);
    abfs_snapshot_unref(s);
    abfs_store_free(store);
    fx_free(fx);
}

int main(int argc, char **argv)
{
    abfs_unit_init(&argc, &argv);
    g_test_add_func("/names/safe", test_names_safe);
    g_test_add_func("/names/table", test_names_table);
    g_test_add_func("/names/snapshot-index", test_names_snapshot_index);
    return abfs_unit_run();
}
