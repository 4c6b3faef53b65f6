/* test_json.c — unit tests of core/json_util.h: pretty printing (as `jq -S .` prints), strict parsing. */
#include "fake_http.h"

static void test_json_pretty(void)
{
    json_object *v = json_tokener_parse(
        "{\"b\":1,\"a\":{\"d\":[{\"z\":1,\"y\":\"a/b\"}],\"c\":true},\"url\":\"https://h/x\"}");
    char *text = abfs_json_pretty(v);
    g_assert_cmpstr(text, ==,
                    "{\n"
                    "  \"a\": {\n"
                    "    \"c\": true,\n"
                    "    \"d\": [\n"
                    "      {\n"
                    "        \"y\": \"a/b\",\n"
                    "        \"z\": 1\n"
                    "      }\n"
                    "    ]\n"
                    "  },\n"
                    "  \"b\": 1,\n"
                    "  \"url\": \"https://h/x\"\n"
                    "}\n");
    g_assert_null(strstr(text, "\\/"));
    g_assert_true(ends_with_one_newline(text, strlen(text)));
    /* the input is not reordered */
    json_object_object_foreach(v, key, val)
    {
        (void)val;
        g_assert_cmpstr(key, ==, "b");
        break;
    }
    /* stable: the same value in another key order prints the same */
    json_object *w = json_tokener_parse(
        "{\"url\":\"https://h/x\",\"a\":{\"c\":true,\"d\":[{\"y\":\"a/b\",\"z\":1}]},\"b\":1}");
    char *text2 = abfs_json_pretty(w);
    g_assert_cmpstr(text, ==, text2);
    g_free(text2);
    json_object_put(w);
    g_free(text);
    json_object_put(v);

    /* scalars, and keys compared as bytes */
    json_object *s = json_object_new_string("x/y");
    text = abfs_json_pretty(s);
    g_assert_cmpstr(text, ==, "\"x/y\"\n");
    g_free(text);
    json_object_put(s);
    json_object *k = json_tokener_parse("{\"b\":1,\"B\":2,\"a\":3,\"_\":4}");
    json_object *sorted = abfs_json_sorted_copy(k);
    const char *order[] = {"B", "_", "a", "b"};
    guint i = 0;
    json_object_object_foreach(sorted, key2, val2)
    {
        (void)val2;
        g_assert_cmpuint(i, <, G_N_ELEMENTS(order));
        if (i < G_N_ELEMENTS(order))
            g_assert_cmpstr(key2, ==, order[i]);
        i++;
    }
    g_assert_cmpuint(i, ==, 4);
    json_object_put(sorted);
    json_object_put(k);
}

static json_object *parse_text(const char *text, GError **err)
{
    return abfs_json_parse(text, strlen(text), err);
}

static void test_json_parse_accepts(void)
{
    GError *err = NULL;
    json_object *v = parse_text("42", &err);
    g_assert_no_error(err);
    g_assert_true(json_object_is_type(v, json_type_int));
    g_assert_cmpint(json_object_get_int(v), ==, 42);
    json_object_put(v);

    v = parse_text("42 \n\t", &err);
    g_assert_no_error(err);
    g_assert_cmpint(json_object_get_int(v), ==, 42);
    json_object_put(v);

    v = parse_text("  {\"a\": [1, 2]}\n\n", &err);
    g_assert_no_error(err);
    g_assert_true(json_object_is_type(v, json_type_object));
    json_object_put(v);

    v = parse_text("\"text\"", &err);
    g_assert_no_error(err);
    g_assert_cmpstr(json_object_get_string(v), ==, "text");
    json_object_put(v);

    v = parse_text("-1.5e2", &err);
    g_assert_no_error(err);
    g_assert_true(json_object_is_type(v, json_type_double));
    json_object_put(v);
}

static void test_json_parse_rejects(void)
{
    const char *bad[] = {
        "",     "   \n", "{} x", "{}{}", "[1] ,", "42 43", "{\"a\":", "[1, 2", "\"unterminated",
        "{\"a\" 1}", "tru", "42abc",
    };
    for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
        GError *err = NULL;
        json_object *v = parse_text(bad[i], &err);
        if (v || !err)
            g_test_message("accepted: [%s]", bad[i]);
        g_assert_null(v);
        g_assert_error(err, ABFS_ERROR, EINVAL);
        g_clear_error(&err);
        json_object_put(v);
    }
}

/* ---- abfs_json_pretty() equals `jq -S .` of itself ---- */

/* JSON texts whose pretty form must be what jq prints: empty containers, escapes, non-ASCII,
 * numbers jq rewrites, key order. */
static const char *const JQ_CASES[] = {
    "[]", "{}", "[[]]", "[{}]", "{\"a\":[],\"b\":{}}", "[[[{}]],{\"x\":[]}]",
    "\"a/b\"", "\"\\u0001\\u001f\\u007f\\u0080\\b\\f\\n\\r\\t\\\"\\\\\"", "\"\\u0000x\"",
    "\"é ü 中文 😀 \\ud83d\\ude00\"", "\"\\u2028\\u2029\\ufeff\"",
    "{\"b\":1,\"B\":2,\"a\":3,\"_\":4,\"é\":5,\"e\":6,\"\\n\":7,\" \":8,\"\\\"\":9,\"aa\":10,\"a b\":11}",
    "1.0", "1e100", "1E2", "1e15", "1e16", "1.5e16", "1.5e17", "123456789012345678", "12345678901234567890",
    "9007199254740993", "-9223372036854775808", "18446744073709551615", "0.0001", "0.00001", "0.000123",
    "1.5e-7", "-0", "-0.0", "0", "0.1", "0.30000000000000004", "3.14159", "1e308", "5e-324",
    "2.2250738585072014e-308", "1e21", "100", "-5", "1.7976931348623157e308", "123456.789e3", "1e-7",
    "-1.5e-10", "1.25", "99999999999999999999999", "4.35", "2.5e-5", "1234567.125",
    "[true,false,null,0,\"\"]",
    "{\"configuration\":{\"start_date\":\"2024-01-01T00:00:00Z\",\"count\":1000,\"ratio\":0.5,\"tags\":[],"
    "\"nested\":{\"empty\":{},\"list\":[1,2.0,3e3]}},\"url\":\"https://x/y?a=1&b=2\"}",
};

/* jq -S . of text (NULL when jq cannot be run). */
static char *jq_sorted(const char *text)
{
    char *path = NULL;
    int fd = g_file_open_tmp("abfs-jq-XXXXXX.json", &path, NULL);
    if (fd < 0)
        return NULL;
    g_assert_true(write(fd, text, strlen(text)) == (ssize_t)strlen(text));
    close(fd);
    char *argv[] = {(char *)"/usr/bin/jq", (char *)"-S", (char *)".", path, NULL};
    char *out = NULL;
    int status = 0;
    gboolean ran = g_spawn_sync(NULL, argv, NULL, G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL, &out, NULL, &status, NULL);
    g_unlink(path);
    g_free(path);
    if (!ran || !g_spawn_check_wait_status(status, NULL)) {
        g_free(out);
        return NULL;
    }
    return out;
}

static void check_like_jq(json_object *value, const char *what)
{
    char *text = abfs_json_pretty(value);
    char *jq = jq_sorted(text);
    g_assert_nonnull(jq);
    if (jq && strcmp(jq, text) != 0)
        g_test_message("%s: ours:\n%sjq:\n%s", what, text, jq);
    g_assert_cmpstr(text, ==, jq);
    g_free(jq);
    g_free(text);
}

static void test_json_pretty_like_jq(void)
{
    if (!g_file_test("/usr/bin/jq", G_FILE_TEST_IS_EXECUTABLE)) {
        g_test_skip("/usr/bin/jq is not installed");
        return;
    }
    for (gsize i = 0; i < G_N_ELEMENTS(JQ_CASES); i++) {
        json_object *v = abfs_json_parse_trusted(JQ_CASES[i]);
        g_assert_true(v != NULL || strcmp(JQ_CASES[i], "null") == 0);
        check_like_jq(v, JQ_CASES[i]);
        /* jq of the raw text gives the same bytes: we print what jq prints. Except where json-c
         * itself changes the value when it parses ("-0" is the integer 0, an integer past 2^64 is
         * saturated to 2^64-1), and -0.0, which prints as 0 so that reading the file back with
         * json-c prints it the same. */
        if (strcmp(JQ_CASES[i], "-0") != 0 && strcmp(JQ_CASES[i], "-0.0") != 0 &&
            strcmp(JQ_CASES[i], "99999999999999999999999") != 0) {
            char *text = abfs_json_pretty(v), *jq = jq_sorted(JQ_CASES[i]);
            g_assert_cmpstr(text, ==, jq);
            g_free(text);
            g_free(jq);
        }
        json_object_put(v);
    }
    /* bytes that are not UTF-8, in a value and in a key, print as U+FFFD */
    json_object *o = json_object_new_object();
    json_object_object_add(o, "k\xff", json_object_new_string_len("a\xfe\xc3" "b\xe2\x82", 6));
    check_like_jq(o, "invalid UTF-8");
    json_object_put(o);
    /* values made in C rather than parsed */
    json_object *a = json_object_new_array();
    json_object_array_add(a, json_object_new_double(0.1 + 0.2));
    json_object_array_add(a, json_object_new_double(1e300 * 10));
    json_object_array_add(a, json_object_new_int64(G_MAXINT64));
    json_object_array_add(a, json_object_new_uint64(G_MAXUINT64));
    json_object_array_add(a, NULL);
    check_like_jq(a, "C values");
    json_object_put(a);
    check_like_jq(NULL, "null");
}

/* Every JSON file of a connection directory (connection.json, settings.json, configurations.json)
 * equals `jq -S .` of itself, for a connection with empty arrays, nulls and numbers. */
static void test_json_files_like_jq(void)
{
    if (!g_file_test("/usr/bin/jq", G_FILE_TEST_IS_EXECUTABLE)) {
        g_test_skip("/usr/bin/jq is not installed");
        return;
    }
    json_object *conn = make_conn(CONN_A, WS, "a/b é");
    json_object_object_add(conn, "name", json_object_new_string("a/b \"quoted\"\t é"));
    json_object_object_add(conn, "tags", json_object_new_array());
    json_object_object_add(conn, "dataResidency", NULL);
    json_object_object_add(conn, "ratio", json_object_new_double(1.0));
    json_object_object_add(conn, "extra", json_object_new_object());
    static const AbfsRenderContext ctx = {"https://cloud.airbyte.com", WS};
    guint n;
    const AbfsConnectionFile *rows = abfs_connection_files(&n);
    guint json_rows = 0;
    for (guint i = 0; i < n; i++) {
        if (!g_str_has_suffix(rows[i].name, ".json"))
            continue;
        json_rows++;
        char *text = rows[i].render(conn, &ctx), *jq = jq_sorted(text);
        g_assert_cmpstr(text, ==, jq);
        g_free(text);
        g_free(jq);
    }
    g_assert_cmpuint(json_rows, ==, 3);
    json_object_put(conn);
    /* a job (job.json) and a state (state.json) print the same way */
    json_object *job = abfs_json_parse_trusted("{\"jobId\":5,\"status\":\"running\",\"bytesSynced\":0,"
                                               "\"duration\":\"PT1S\",\"streams\":[]}");
    check_like_jq(job, "job");
    json_object_put(job);
    json_object *state = abfs_json_parse_trusted("{\"stateType\":\"stream\",\"streamState\":[{\"streamDescriptor\":"
                                                 "{\"name\":\"users\"},\"streamState\":{\"cursor\":1.5e300}}],"
                                                 "\"globalState\":{}}");
    check_like_jq(state, "state");
    json_object_put(state);
}

/* The exact bytes of the tricky cases, as jq 1.6 prints them. */
static void test_json_pretty_tricky(void)
{
    static const struct {
        const char *json, *pretty;
    } cases[] = {
        {"[]", "[]\n"},
        {"{}", "{}\n"},
        {"{\"a\":[],\"b\":{}}", "{\n  \"a\": [],\n  \"b\": {}\n}\n"},
        {"[[],[{}]]", "[\n  [],\n  [\n    {}\n  ]\n]\n"},
        {"\"a/b\"", "\"a/b\"\n"},
        {"\"\\u0001\\u007f\\t\\\"\\\\é\"", "\"\\u0001\\u007f\\t\\\"\\\\é\"\n"},
        {"1.0", "1\n"},
        {"1e100", "1e+100\n"},
        {"1e16", "1e+16\n"},
        {"1e15", "1000000000000000\n"},
        {"0.00001", "1e-05\n"},
        {"0.0001", "0.0001\n"},
        {"-0.0", "0\n"}, /* jq prints -0; json-c would read that back as 0 */
        {"9007199254740993", "9007199254740992\n"},
        {"{\"b\":1,\"a\":2}", "{\n  \"a\": 2,\n  \"b\": 1\n}\n"},
    };
    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        json_object *v = abfs_json_parse_trusted(cases[i].json);
        char *text = abfs_json_pretty(v);
        g_assert_cmpstr(text, ==, cases[i].pretty);
        g_free(text);
        json_object_put(v);
    }
}

/* A draft is sent from the write that makes it whole: one JSON value and a final newline. */
static void test_json_is_complete(void)
{
    static const struct {
        const char *text;
        gboolean whole;
    } cases[] = {
        {"{\"a\": 1}\n", TRUE}, {"[1, 2]\n", TRUE}, {"{\"a\": 1}  \n\n", TRUE}, {"{\"a\": 1}", FALSE},
        {"{\"a\": \n", FALSE},  {"{\"a\":\n1}\n", TRUE}, {"null\n", FALSE},          {"", FALSE},
        {"\n", FALSE},            {"{} {}\n", FALSE},
    };
    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++)
        g_assert_cmpint(abfs_json_is_complete(cases[i].text, strlen(cases[i].text)), ==, cases[i].whole);
}

/* Text of any depth up to ABFS_JSON_PARSE_DEPTH parses (deeper than ABFS_JSON_MAX_DEPTH on a
 * second try with the deep stack); deeper is not JSON to it. */
static void test_parse_trusted_depths(void)
{
    const guint depths[] = {1, ABFS_JSON_MAX_DEPTH, ABFS_JSON_MAX_DEPTH + 1, 1000, ABFS_JSON_PARSE_DEPTH - 1,
                            ABFS_JSON_PARSE_DEPTH + 10};
    for (gsize i = 0; i < G_N_ELEMENTS(depths); i++) {
        GString *text = g_string_new(NULL);
        for (guint d = 0; d < depths[i]; d++)
            g_string_append_c(text, '[');
        for (guint d = 0; d < depths[i]; d++)
            g_string_append_c(text, ']');
        json_object *v = abfs_json_parse_trusted(text->str);
        if (depths[i] < ABFS_JSON_PARSE_DEPTH) {
            g_assert_nonnull(v);
            g_assert_cmpuint(abfs_json_depth(v), ==, depths[i]);
        } else
            g_assert_null(v);
        json_object_put(v);
        g_string_free(text, TRUE);
    }
}

int main(int argc, char **argv)
{
    abfs_unit_init(&argc, &argv);
    g_test_add_func("/json/pretty", test_json_pretty);
    g_test_add_func("/json/parse/accepts", test_json_parse_accepts);
    g_test_add_func("/json/parse/rejects", test_json_parse_rejects);
    g_test_add_func("/json/pretty/tricky", test_json_pretty_tricky);
    g_test_add_func("/json/pretty/like-jq", test_json_pretty_like_jq);
    g_test_add_func("/json/pretty/files-like-jq", test_json_files_like_jq);
    g_test_add_func("/json/is-complete", test_json_is_complete);
    g_test_add_func("/json/parse-trusted-depths", test_parse_trusted_depths);
    return abfs_unit_run();
}
