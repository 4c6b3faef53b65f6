/* test_errlog.c — unit tests of core/errlog.h: the records of the `errors` file. */
#include "fake_http.h"
#include "errlog.h"

static void test_errlog_records(void)
{
    AbfsErrlog *log = abfs_errlog_new(2);
    gint64 newest = -1;
    char *text = abfs_errlog_text(log, &newest);
    g_assert_cmpstr(text, ==, "");
    g_assert_cmpint(newest, ==, 0);
    g_free(text);
    gint64 before = g_get_real_time() / G_USEC_PER_SEC;
    abfs_errlog_add(log, "/connections/x/name", EBUSY, "HTTP 409: locked");
    abfs_errlog_add(log, "//a", EINVAL, "two\nlines\r!");
    abfs_errlog_add(log, "/", 12345, "odd errno");
    text = abfs_errlog_text(log, &newest);
    g_assert_cmpint(newest, >=, before);
    char **lines = g_strsplit(text, "\n", -1);
    g_assert_cmpuint(g_strv_length(lines), ==, 3); /* bounded to 2, and a final newline */
    /* "2026-11-25T15:04:05Z a: EINVAL: ..." */
    g_assert_true(
        g_regex_match_simple("^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ a: EINVAL: two lines !$", lines[0], 0, 0));
    g_assert_true(g_str_has_suffix(lines[1], " /: E12345: odd errno"));
    g_assert_cmpstr(lines[2], ==, "");
    g_strfreev(lines);
    g_free(text);
    abfs_errlog_free(log);
}

static void test_errlog_errno_names(void)
{
    g_assert_cmpstr(abfs_errno_name(EINVAL), ==, "EINVAL");
    g_assert_cmpstr(abfs_errno_name(ENOTCONN), ==, "ENOTCONN");
    g_assert_cmpstr(abfs_errno_name(ESTALE), ==, "ESTALE");
    g_assert_cmpstr(abfs_errno_name(9999), ==, "E9999");
    g_assert_true(abfs_errno_name(9999) == abfs_errno_name(9999)); /* kept, never freed */
}

int main(int argc, char **argv)
{
    abfs_unit_init(&argc, &argv);
    g_test_add_func("/errlog/records", test_errlog_records);
    g_test_add_func("/errlog/errno-names", test_errlog_errno_names);
    return abfs_unit_run();
}
