/* test_text.c — unit tests of core/text.h (lines, control characters, newlines, cron " UTC") and
 * core/weburl.h (web UI addresses). */
#include "fake_http.h"
#include "text.h"
#include "weburl.h"

static void test_text_line(void)
{
    char *s = abfs_text_line("x");
    g_assert_cmpstr(s, ==, "x\n");
    g_free(s);
    s = abfs_text_line(NULL);
    g_assert_cmpstr(s, ==, "\n");
    g_free(s);
}

static void test_text_controls(void)
{
    g_assert_true(abfs_char_is_control(0));
    g_assert_true(abfs_char_is_control('\n'));
    g_assert_true(abfs_char_is_control(0x1f));
    g_assert_true(abfs_char_is_control(0x7f));
    g_assert_false(abfs_char_is_control(' '));
    g_assert_false(abfs_char_is_control(0x80)); /* C1 and non-ASCII are text */
    g_assert_false(abfs_char_is_control(0x2215));
    g_assert_true(abfs_text_has_control("a\tb", 3));
    g_assert_true(abfs_text_has_control("a\0b", 3)); /* a NUL counts */
    g_assert_false(abfs_text_has_control("a b é", strlen("a b é")));
    char msg[] = "one\ntwo\rthree\x7f";
    abfs_text_replace_controls(msg, '?');
    g_assert_cmpstr(msg, ==, "one?two?three?");
    g_assert_true(abfs_text_is_one_line("Faker ∕ Demo", strlen("Faker ∕ Demo")));
    g_assert_false(abfs_text_is_one_line("", 0));
    g_assert_false(abfs_text_is_one_line("a\nb", 3));
    g_assert_false(abfs_text_is_one_line("a\0b", 3));
    g_assert_false(abfs_text_is_one_line("\xff", 1));
}

static void check_strip(const char *in, const char *out)
{
    char *text = g_strdup(in);
    gsize len = strlen(text);
    abfs_strip_one_newline(text, &len);
    g_assert_cmpstr(text, ==, out);
    g_assert_cmpuint(len, ==, strlen(out));
    g_free(text);
}

static void test_text_strip_one_newline(void)
{
    check_strip("a\n", "a");
    check_strip("a\r\n", "a");
    check_strip("a\n\n", "a\n"); /* only one */
    check_strip("a\r", "a\r");   /* a lone CR is not a newline */
    check_strip("a", "a");
    check_strip("", "");
    check_strip("\n", "");
}

static void check_utc(const char *in, const char *out)
{
    char *s = abfs_cron_without_utc(in);
    g_assert_cmpstr(s, ==, out);
    g_free(s);
}

static void test_text_cron_without_utc(void)
{
    check_utc("0 0 12 * * ? UTC", "0 0 12 * * ?");
    check_utc("  0 0 12 * * ?   UTC  ", "0 0 12 * * ?");
    check_utc("0 0 12 * * ?\tutc", "0 0 12 * * ?");
    check_utc("0 0 12 * * ?", "0 0 12 * * ?");
    check_utc("0 0 12 * * ?UTC", "0 0 12 * * ?UTC"); /* not a field of its own */
    check_utc("UTC", "");
    check_utc(NULL, "");
}

static void test_weburl(void)
{
    static const struct {
        AbfsWebPage page;
        const char *url;
    } cases[] = {
        {ABFS_WEB_WORKSPACE, "https://w/workspaces/" WS},
        {ABFS_WEB_CONNECTION, "https://w/workspaces/" WS "/connections/" CONN_A},
        {ABFS_WEB_CONNECTION_TIMELINE, "https://w/workspaces/" WS "/connections/" CONN_A "/timeline"},
        {ABFS_WEB_SOURCE, "https://w/workspaces/" WS "/source/" CONN_A},
        {ABFS_WEB_DESTINATION, "https://w/workspaces/" WS "/destination/" CONN_A},
    };
    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        char *url = abfs_web_url("https://w", WS, cases[i].page, CONN_A);
        g_assert_cmpstr(url, ==, cases[i].url);
        g_free(url);
    }
}

int main(int argc, char **argv)
{
    abfs_unit_init(&argc, &argv);
    g_test_add_func("/text/line", test_text_line);
    g_test_add_func("/text/controls", test_text_controls);
    g_test_add_func("/text/strip-one-newline", test_text_strip_one_newline);
    g_test_add_func("/text/cron-without-utc", test_text_cron_without_utc);
    g_test_add_func("/weburl/pages", test_weburl);
    return abfs_unit_run();
}
