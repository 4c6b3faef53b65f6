/* test_create.c — unit tests of core/create.h: a new connection from a draft file. */
#include "fake_http.h"
#include "create.h"

#define SRC "5ce5ce5c-0000-4000-8000-000000000001"
#define SRC2 "5ce5ce5c-0000-4000-8000-000000000002"
#define DST "de57de57-0000-4000-8000-000000000001"
#define NEW_ID "cccccccc-0000-4000-8000-000000000003"

static GHashTable *names(const char *id1, const char *name1, const char *id2, const char *name2)
{
    GHashTable *t = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    g_hash_table_replace(t, g_strdup(id1), g_strdup(name1));
    if (id2)
        g_hash_table_replace(t, g_strdup(id2), g_strdup(name2));
    return t;
}

static json_object *request_of(const char *text, GHashTable *sources, GHashTable *destinations, GHashTable *tags,
                               GError **error)
{
    return abfs_create_request(text, strlen(text), "my-draft", sources, destinations, tags, error);
}

/* Names resolve to ids, the name defaults to the file's stem, settings are normalized as
 * settings.json's are. */
static void test_create_request_resolves_and_normalizes(void)
{
    GHashTable *src = names(SRC, "Postgres", SRC2, "Stripe"), *dst = names(DST, "BigQuery", NULL, NULL);
    GHashTable *tags = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, abfs_json_free);
    g_hash_table_replace(tags, g_strdup("prod"),
                         json_tokener_parse("{\"tagId\":\"7a670000-0000-4000-8000-000000000001\",\"name\":\"prod\","
                                            "\"color\":\"FF0000\",\"workspaceId\":\"" WS "\"}"));
    GError *err = NULL;
    json_object *r = request_of("{\"source\":\"Stripe\",\"destinationId\":\"" DST "\",\"prefix\":\"s_\","
                                "\"schedule\":{\"scheduleType\":\"cron\",\"cronExpression\":\"30 2 * * 1-5\"},"
                                "\"tags\":[\"prod\",\"prod\"],\"_exported\":\"x\"}",
                                src, dst, tags, &err);
    g_assert_no_error(err);
    g_assert_cmpstr(abfs_json_string(r, "sourceId"), ==, SRC2);
    g_assert_cmpstr(abfs_json_string(r, "destinationId"), ==, DST);
    g_assert_cmpstr(abfs_json_string(r, "name"), ==, "my-draft");
    g_assert_cmpstr(abfs_json_string(json_object_object_get(r, "schedule"), "cronExpression"), ==, "0 30 2 ? * 2-6");
    json_object *t = json_object_object_get(r, "tags");
    g_assert_cmpuint(json_object_array_length(t), ==, 1); /* a name twice is one tag */
    g_assert_cmpstr(abfs_json_string(json_object_array_get_idx(t, 0), "tagId"), ==,
                    "7a670000-0000-4000-8000-000000000001");
    g_assert_null(json_object_object_get(r, "source"));
    g_assert_null(json_object_object_get(r, "_exported")); /* not a member of the request */
    json_object_put(r);
    g_hash_table_destroy(src);
    g_hash_table_destroy(dst);
    g_hash_table_destroy(tags);
}

/* Every refusal is EINVAL with a message that says what is wrong. */
static void test_create_request_refusals(void)
{
    GHashTable *src = names(SRC, "Postgres", SRC2, "Postgres"), *dst = names(DST, "BigQuery", NULL, NULL);
    static const struct {
        const char *text, *fragment;
    } cases[] = {
        {"{\"source\":\"Postgres\",\"destination\":\"BigQuery\"}", "ambiguous: 2 sources"},
        {"{\"source\":\"Nope\",\"destination\":\"BigQuery\"}", "no source of that name"},
        {"{\"sourceId\":\"" SRC "\",\"source\":\"Postgres\",\"destination\":\"BigQuery\"}", "not both"},
        {"{\"sourceId\":\"" NEW_ID "\",\"destination\":\"BigQuery\"}", "no source " NEW_ID},
        {"{\"sourceId\":\"../x\",\"destination\":\"BigQuery\"}", "a UUID"},
        {"{\"sourceId\":\"" SRC "\"}", "needs its destination"},
        {"{\"sourceId\":\"" SRC "\",\"destination\":\"BigQuery\",\"colour\":1}", "\"colour\" is not a member"},
        {"{\"sourceId\":\"" SRC "\",\"destination\":\"BigQuery\",\"status\":\"paused\"}", "status must be one of"},
        {"{\"sourceId\":\"" SRC "\",\"destination\":\"BigQuery\",\"tags\":[\"prod\"]}", "no tag \"prod\""},
        {"{\"sourceId\":\"" SRC "\",\"destination\":\"BigQuery\",\"tags\":\"prod\"}", "array of tag names"},
        {"[]", "JSON object"},
        {"{", "invalid JSON"},
    };
    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        GError *err = NULL;
        json_object *r = request_of(cases[i].text, src, dst, NULL, &err);
        g_assert_null(r);
        g_assert_error(err, ABFS_ERROR, EINVAL);
        if (!strstr(err->message, cases[i].fragment))
            g_error("%s: %s", cases[i].text, err->message);
        g_error_free(err);
    }
    g_hash_table_destroy(src);
    g_hash_table_destroy(dst);
}

static void test_create_check_streams(void)
{
    json_object *props = json_tokener_parse(
        "[{\"streamName\":\"users\",\"syncModes\":[\"full_refresh_overwrite\",\"incremental_append\"]},"
        "{\"streamName\":\"customers\",\"streamnamespace\":\"public\",\"syncModes\":[\"full_refresh_overwrite\"]},"
        "{\"streamName\":\"customers\",\"streamnamespace\":\"sales\",\"syncModes\":[\"full_refresh_overwrite\"]}]");
    static const struct {
        const char *streams, *fragment; /* NULL: accepted */
    } cases[] = {
        {"[{\"name\":\"users\",\"syncMode\":\"incremental_append\"}]", NULL},
        {"[{\"name\":\"customers\",\"namespace\":\"sales\"}]", NULL},
        {"[{\"name\":\"customers\"}]", "2 streams are named \"customers\""},
        {"[{\"name\":\"customers\",\"namespace\":\"hr\"}]", "in namespace \"hr\""},
        {"[{\"name\":\"orders\"}]", "no stream \"orders\" (it has: users, customers, customers)"},
        {"[{\"name\":\"users\",\"syncMode\":\"incremental_deduped_history\"}]",
         "not one this source and destination allow (full_refresh_overwrite, incremental_append)"},
    };
    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        char *text = g_strdup_printf("{\"configurations\":{\"streams\":%s}}", cases[i].streams);
        json_object *request = json_tokener_parse(text);
        GError *err = NULL;
        gboolean ok = abfs_create_check_streams(request, props, &err);
        if (cases[i].fragment) {
            g_assert_false(ok);
            g_assert_error(err, ABFS_ERROR, EINVAL);
            if (!strstr(err->message, cases[i].fragment))
                g_error("%s: %s", cases[i].streams, err->message);
            g_clear_error(&err);
        } else {
            g_assert_no_error(err);
            g_assert_true(ok);
        }
        json_object_put(request);
        g_free(text);
    }
    json_object_put(props);
}

/* ---- the POST, against a server that makes the connection ---- */

typedef enum { MAKE_AND_ANSWER, MAKE_AND_HANG_UP, REFUSE_500, HANG_UP_ONLY, MAKE_AND_HANG_UP_THEN_NO_LISTING } PostMode;

typedef struct {
    Api *api;
    PostMode mode;
} Server;

static void server_handler(FakeServer *srv, const FakeRequest *req, FakeResponse *resp, gpointer data)
{
    Server *s = data;
    if (strcmp(req->method, "POST") != 0 || strcmp(req->path, LIST_PATH) != 0) {
        api_handler(srv, req, resp, s->api);
        return;
    }
    json_object *body = json_tokener_parse(req->body);
    json_object *made = make_conn(NEW_ID, WS, abfs_json_string(body, "name"));
    json_object_put(body);
    resp->status = s->mode == MAKE_AND_ANSWER ? 200 : s->mode == REFUSE_500 ? 500 : 0;
    if (s->mode == MAKE_AND_HANG_UP_THEN_NO_LISTING) {
        g_mutex_lock(&s->api->lock);
        s->api->list_status = 403;
        g_mutex_unlock(&s->api->lock);
    }
    if (s->mode == MAKE_AND_ANSWER)
        g_string_assign(resp->body, json_object_to_json_string(made));
    else if (s->mode == REFUSE_500)
        problem(resp->body, 500, "unexpected", "boom");
    if (s->mode == MAKE_AND_ANSWER || s->mode == MAKE_AND_HANG_UP) {
        g_mutex_lock(&s->api->lock);
        g_ptr_array_add(s->api->conns, made);
        g_mutex_unlock(&s->api->lock);
    } else
        json_object_put(made);
}

static Fx *fx_with(Server *s)
{
    Fx *fx = g_new0(Fx, 1);
    fx->api = api_new();
    s->api = fx->api;
    fx->srv = fake_start(server_handler, s);
    fx->client = abfs_client_new(config_for(fx->srv, "t", 5), FALSE, NULL);
    return fx;
}

static json_object *simple_request(const char *name)
{
    json_object *r = json_object_new_object();
    json_object_object_add(r, "name", json_object_new_string(name));
    json_object_object_add(r, "sourceId", json_object_new_string(SRC));
    json_object_object_add(r, "destinationId", json_object_new_string(DST));
    return r;
}

static void test_create_post_once_and_lost_answers(void)
{
    static const PostMode modes[] = {MAKE_AND_ANSWER, MAKE_AND_HANG_UP, REFUSE_500, HANG_UP_ONLY};
    for (gsize i = 0; i < G_N_ELEMENTS(modes); i++) {
        Server s = {NULL, modes[i]};
        Fx *fx = fx_with(&s);
        g_mutex_lock(&fx->api->lock);
        g_ptr_array_add(fx->api->conns, make_conn(CONN_A, WS, "other"));
        g_mutex_unlock(&fx->api->lock);
        AbfsStore *store = store_for(fx, 60000);
        json_object *request = simple_request("new one");
        GError *err = NULL;
        char *id = abfs_connection_create(store, request, &err);
        g_assert_cmpuint(fake_count(fx->srv, "POST", LIST_PATH), ==, 1); /* never resent */
        g_assert_cmpuint(fake_count(fx->srv, "GET", "/api/public/v1/streams"), ==, 0); /* no streams listed */
        if (modes[i] == MAKE_AND_ANSWER || modes[i] == MAKE_AND_HANG_UP) {
            g_assert_no_error(err);
            g_assert_cmpstr(id, ==, NEW_ID);
            AbfsSnapshot *snap = snap_ok(store); /* the store shows it without another walk */
            g_assert_nonnull(abfs_snapshot_lookup(snap, NEW_ID));
            abfs_snapshot_unref(snap);
            /* the listing before and (when the answer was lost) the one after */
            g_assert_cmpuint(list_requests(fx), ==, modes[i] == MAKE_AND_ANSWER ? 1 : 2);
            /* the same request again names an existing connection: EEXIST, nothing sent */
            char *again = abfs_connection_create(store, request, &err);
            g_assert_null(again);
            g_assert_error(err, ABFS_ERROR, EEXIST);
            g_assert_nonnull(strstr(err->message, "settings/" NEW_ID ".json"));
            g_clear_error(&err);
            g_assert_cmpuint(fake_count(fx->srv, "POST", LIST_PATH), ==, 1);
        } else {
            g_assert_null(id);
            /* nothing was made: the POST's own failure (5xx, or the hang-up), not "unknown" */
            g_assert_nonnull(err);
            g_assert_cmpint(err->code, !=, ABFS_EUNKNOWN);
            g_clear_error(&err);
            g_assert_cmpuint(list_requests(fx), ==, 2);
        }
        g_free(id);
        json_object_put(request);
        abfs_store_free(store);
        fx_free(fx);
    }
}

/* Without a listing nothing is sent; when the listing cannot be read after a lost answer, the
 * outcome is unknown (EREMOTEIO). */
static void test_create_unknown_when_the_check_fails(void)
{
    Server s = {NULL, MAKE_AND_HANG_UP_THEN_NO_LISTING};
    Fx *fx = fx_with(&s);
    AbfsStore *store = store_for(fx, 60000);
    json_object *request = simple_request("new one");
    GError *err = NULL;
    char *id = abfs_connection_create(store, request, &err);
    g_assert_null(id);
    g_assert_error(err, ABFS_ERROR, ABFS_EUNKNOWN);
    g_assert_nonnull(strstr(err->message, "reading the listing to check failed"));
    g_clear_error(&err);
    g_assert_cmpuint(fake_count(fx->srv, "POST", LIST_PATH), ==, 1);
    /* now the listing is refused from the start: nothing is sent */
    id = abfs_connection_create(store, request, &err);
    g_assert_null(id);
    g_assert_error(err, ABFS_ERROR, EPERM);
    g_clear_error(&err);
    g_assert_cmpuint(fake_count(fx->srv, "POST", LIST_PATH), ==, 1);
    json_object_put(request);
    abfs_store_free(store);
    fx_free(fx);
}

int main(int argc, char **argv)
{
    abfs_unit_init(&argc, &argv);
    g_test_add_func("/create/request/resolves-and-normalizes", test_create_request_resolves_and_normalizes);
    g_test_add_func("/create/request/refusals", test_create_request_refusals);
    g_test_add_func("/create/streams", test_create_check_streams);
    g_test_add_func("/create/post-once-and-lost-answers", test_create_post_once_and_lost_answers);
    g_test_add_func("/create/no-listing-no-post", test_create_unknown_when_the_check_fails);
    return abfs_unit_run();
}
