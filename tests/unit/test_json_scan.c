/* test_json_scan.c — unit tests of core/json_scan.h: the list-page scanner (items, members,
 * decoding, refusals with their codes, depth limits, compaction). tests/fuzz/fuzz_json_scan.c checks
 * it against json-c on arbitrary input. */
#include "fake_http.h"
#include "error.h"
#include "json_scan.h"

#include <errno.h>

typedef struct {
    GPtrArray *texts;  /* each item's compact text */
    GPtrArray *names;  /* each item's decoded `name` (or "(none)") */
    GArray *depths;
} Seen;

static void collect(const AbfsScanItem *item, gpointer data)
{
    Seen *seen = data;
    g_ptr_array_add(seen->texts, abfs_json_scan_compact(item->text, item->len));
    char *name = abfs_json_scan_string(abfs_json_scan_member(item, "name"));
    g_ptr_array_add(seen->names, name ? name : g_strdup("(none)"));
    g_array_append_val(seen->depths, item->depth);
}

static gboolean scan(const char *text, guint max_depth, Seen *seen, GError **error)
{
    seen->texts = g_ptr_array_new_with_free_func(g_free);
    seen->names = g_ptr_array_new_with_free_func(g_free);
    seen->depths = g_array_new(FALSE, FALSE, sizeof(guint));
    gsize count = 0;
    gboolean ok = abfs_json_scan_items(text, strlen(text), "data", max_depth, collect, seen, &count, error);
    if (ok)
        g_assert_cmpuint(count, ==, seen->texts->len);
    return ok;
}

static void seen_free(Seen *seen)
{
    g_ptr_array_free(seen->texts, TRUE);
    g_ptr_array_free(seen->names, TRUE);
    g_array_free(seen->depths, TRUE);
}

static void test_scan_items(void)
{
    Seen seen;
    GError *err = NULL;
    const char *page = " {\"previous\": null, \"data\" : [ {\"name\": \"a b\", \"x\": {\"y\": [1, 2.5e3, -0]}},\n"
                       "  {\"name\":\"caf\\u00e9 \\ud83d\\ude00 \\ud800 \\\"q\\\" \\/\"}, [], 7 ], \"next\": \"u\"}\n";
    g_assert_true(scan(page, 4096, &seen, &err));
    g_assert_no_error(err);
    g_assert_cmpuint(seen.texts->len, ==, 4);
    g_assert_cmpstr(g_ptr_array_index(seen.texts, 0), ==, "{\"name\":\"a b\",\"x\":{\"y\":[1,2.5e3,-0]}}");
    g_assert_cmpstr(g_ptr_array_index(seen.names, 0), ==, "a b");
    g_assert_cmpstr(g_ptr_array_index(seen.names, 1), ==, "caf\xc3\xa9 \xf0\x9f\x98\x80 \xef\xbf\xbd \"q\" /");
    g_assert_cmpstr(g_ptr_array_index(seen.names, 2), ==, "(none)");
    g_assert_cmpstr(g_ptr_array_index(seen.texts, 3), ==, "7");
    guint want_depths[] = {3, 1, 1, 0};
    for (guint i = 0; i < 4; i++)
        g_assert_cmpuint(g_array_index(seen.depths, guint, i), ==, want_depths[i]);
    seen_free(&seen);

    g_assert_true(scan("{\"data\":[]}", 4096, &seen, &err));
    g_assert_cmpuint(seen.texts->len, ==, 0);
    seen_free(&seen);
}

static void check_member(const AbfsScanItem *item, gpointer data)
{
    (void)data;
    const AbfsScanMember *m = abfs_json_scan_member(item, "name"); /* escaped key, repeated: the last */
    g_assert_nonnull(m);
    g_assert_cmpint(m->type, ==, json_type_string);
    char *s = abfs_json_scan_string(m);
    g_assert_cmpstr(s, ==, "second");
    g_free(s);
    g_assert_cmpint(abfs_json_scan_member(item, "n")->type, ==, json_type_int);
    g_assert_cmpint(abfs_json_scan_member(item, "d")->type, ==, json_type_double);
    g_assert_cmpint(abfs_json_scan_member(item, "o")->type, ==, json_type_object);
    g_assert_cmpint(abfs_json_scan_member(item, "z")->type, ==, json_type_null);
    g_assert_null(abfs_json_scan_string(abfs_json_scan_member(item, "n")));
    g_assert_null(abfs_json_scan_member(item, "missing"));
}

static void test_scan_members(void)
{
    const char *page = "{\"data\":[{\"name\":\"first\",\"n\\u0061me\":\"second\",\"n\":-12,\"d\":1e2,\"o\":{},\"z\":null}]}";
    GError *err = NULL;
    g_assert_true(abfs_json_scan_items(page, strlen(page), "data", 4096, check_member, NULL, NULL, &err));
    g_assert_no_error(err);
}

static void test_scan_refusals(void)
{
    static const struct {
        const char *text;
        int code;
    } cases[] = {
        {"", EBADMSG},
        {"{\"data\":[1,]}", EBADMSG},
        {"{\"data\":[{\"name\": oops", EBADMSG},
        {"{\"data\":[\"a\\x\"]}", EBADMSG},
        {"{\"data\":[02]}", EBADMSG},
        {"{\"data\":[4.]}", EBADMSG},
        {"{\"data\":[NaN]}", EBADMSG},
        {"{'data':[]}", EBADMSG},
        {"{\"data\":[]} x", EBADMSG},
        {"{\"data\":[]}{}", EBADMSG},
        {"{\"data\":[] /* c */}", EBADMSG},
        {"[1,2]", EPROTO},
        {"7", EPROTO},
        {"{\"items\":[]}", EPROTO},
        {"{\"data\":{}}", EPROTO},
        {"{\"data\":[1],\"data\":[2]}", EPROTO},
    };
    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        Seen seen;
        GError *err = NULL;
        g_assert_false(scan(cases[i].text, 4096, &seen, &err));
        g_assert_error(err, ABFS_ERROR, cases[i].code);
        g_assert_null(strchr(err->message, '\n'));
        g_clear_error(&err);
        seen_free(&seen);
    }
}

static void test_scan_depth(void)
{
    /* {"data":[ [[...]] ]}: the page's object and array take two levels of the limit */
    GString *deep = g_string_new("{\"data\":[");
    for (int i = 0; i < 10; i++)
        g_string_append_c(deep, '[');
    for (int i = 0; i < 10; i++)
        g_string_append_c(deep, ']');
    g_string_append(deep, "]}");
    Seen seen;
    GError *err = NULL;
    g_assert_true(scan(deep->str, 12, &seen, &err));
    g_assert_cmpuint(g_array_index(seen.depths, guint, 0), ==, 10);
    seen_free(&seen);
    g_assert_false(scan(deep->str, 11, &seen, &err));
    g_assert_error(err, ABFS_ERROR, EBADMSG);
    g_clear_error(&err);
    seen_free(&seen);
    g_string_free(deep, TRUE);
}

static void test_scan_compact(void)
{
    const char *text = "{ \"a b\" : [ 1 , \"x \\\" y\" ],\n\t\"c\":\"\\\\\" }";
    char *c = abfs_json_scan_compact(text, strlen(text));
    g_assert_cmpstr(c, ==, "{\"a b\":[1,\"x \\\" y\"],\"c\":\"\\\\\"}");
    g_free(c);
}

typedef struct {
    guint calls;
    char *name, *depth_json;
    guint depth, n_members;
} OneValue;

static void one_value(const AbfsScanItem *item, gpointer data)
{
    OneValue *o = data;
    o->calls++;
    o->depth = item->depth;
    o->n_members = item->n_members;
    o->name = abfs_json_scan_string(abfs_json_scan_member(item, "name"));
}

/* abfs_json_scan_value: one value, its members (the last of a repeated name, escaped keys
 * compared decoded, as json-c keeps them), and refusals that never call back. */
static void test_scan_value(void)
{
    OneValue o = {0};
    const char *text = " {\"name\":\"first\",\"n\\u0061me\":\"second \\u00e9\",\"x\":{\"y\":[1,2]}} ";
    GError *err = NULL;
    g_assert_true(abfs_json_scan_value(text, strlen(text), 8, one_value, &o, &err));
    g_assert_no_error(err);
    g_assert_cmpuint(o.calls, ==, 1);
    g_assert_cmpuint(o.n_members, ==, 3);
    g_assert_cmpuint(o.depth, ==, 3);
    g_assert_cmpstr(o.name, ==, "second \xc3\xa9");
    json_object *parsed = json_tokener_parse(text);
    g_assert_cmpstr(json_object_get_string(json_object_object_get(parsed, "name")), ==, o.name);
    json_object_put(parsed);
    g_free(o.name);

    o = (OneValue){0};
    g_assert_true(abfs_json_scan_value("42", 2, 8, one_value, &o, NULL));
    g_assert_cmpuint(o.calls, ==, 1);
    g_assert_cmpuint(o.n_members, ==, 0);
    g_assert_null(o.name);

    static const char *const bad[] = {"", "  ", "{\"a\":1} {}", "{\"a\":}", "{\"a\":[[[1]]]}", "{\"a\":1,}"};
    for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
        o = (OneValue){0};
        g_assert_false(abfs_json_scan_value(bad[i], strlen(bad[i]), 3, one_value, &o, &err));
        g_assert_error(err, ABFS_ERROR, EBADMSG);
        g_clear_error(&err);
        g_assert_cmpuint(o.calls, ==, 0);
    }
}

int main(int argc, char **argv)
{
    abfs_unit_init(&argc, &argv);
    g_test_add_func("/json-scan/items", test_scan_items);
    g_test_add_func("/json-scan/value", test_scan_value);
    g_test_add_func("/json-scan/members", test_scan_members);
    g_test_add_func("/json-scan/refusals", test_scan_refusals);
    g_test_add_func("/json-scan/depth", test_scan_depth);
    g_test_add_func("/json-scan/compact", test_scan_compact);
    return g_test_run();
}
