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

int main(int argc, char **argv)
{
    abfs_unit_init(&argc, &argv);
    g_test_add_func("/json/pretty", test_json_pretty);
    g_test_add_func("/json/parse/accepts", test_json_parse_accepts);
    g_test_add_func("/json/parse/rejects", test_json_parse_rejects);
    return abfs_unit_run();
}
