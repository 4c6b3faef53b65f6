/* test_tags.c — unit tests of core/tags.h: the workspace's tags and their changes. */
#include "fake_http.h"
#include "tags.h"

#define TAGS_PATH "/api/public/v1/tags"
#define TAG1 "7a670000-0000-4000-8000-000000000001"
#define TAG2 "7a670000-0000-4000-8000-000000000002"

/* A TagsResponse with tags "prod" (TAG1, FF0000) and, when team is set, "team" (TAG2, 00FF00),
 * plus one of another workspace. */
static const char *listing(gboolean team)
{
    return team ? "{\"data\":[{\"tagId\":\"" TAG1 "\",\"name\":\"prod\",\"color\":\"FF0000\",\"workspaceId\":\"" WS "\"},"
                  "{\"tagId\":\"" TAG2 "\",\"name\":\"team\",\"color\":\"00FF00\",\"workspaceId\":\"" WS "\"},"
                  "{\"tagId\":\"7a670000-0000-4000-8000-000000000009\",\"name\":\"x\",\"color\":\"000000\","
                  "\"workspaceId\":\"" OTHER_WS "\"}]}"
                : "{\"data\":[{\"tagId\":\"" TAG1 "\",\"name\":\"prod\",\"color\":\"FF0000\",\"workspaceId\":\"" WS
                  "\"}]}";
}

static void test_tags_list_and_resolve(void)
{
    Fx *fx = fx_new_full("t", 5);
    AbfsTags *tags = abfs_tags_new(fx->client, WS, 60000);
    api_push(fx->api, 200, listing(TRUE), 0);
    GError *err = NULL;
    GHashTable *by_name = abfs_tags_by_name(tags, &err);
    g_assert_no_error(err);
    g_assert_cmpuint(g_hash_table_size(by_name), ==, 2); /* the other workspace's tag is not ours */
    g_assert_cmpstr(abfs_json_string(g_hash_table_lookup(by_name, "team"), "tagId"), ==, TAG2);
    g_hash_table_destroy(by_name);
    FakeRequest *get = fake_nth(fx->srv, "GET", TAGS_PATH, 0);
    g_assert_cmpstr(get->query, ==, "workspaceIds=" WS);

    /* names in a PATCH become Tag objects; the cached list serves (no second GET) */
    json_object *patch = json_tokener_parse("{\"tags\":[\"prod\",\"team\"],\"name\":\"n\"}");
    g_assert_true(abfs_tags_resolve_patch(tags, patch, &err));
    g_assert_no_error(err);
    json_object *sent = json_object_object_get(patch, "tags");
    g_assert_cmpstr(abfs_json_string(json_object_array_get_idx(sent, 0), "tagId"), ==, TAG1);
    g_assert_cmpstr(abfs_json_string(json_object_array_get_idx(sent, 1), "color"), ==, "00FF00");
    json_object_put(patch);
    patch = json_tokener_parse("{\"tags\":[\"prod\",\"ghost\"]}");
    g_assert_false(abfs_tags_resolve_patch(tags, patch, &err));
    g_assert_error(err, ABFS_ERROR, EINVAL);
    g_assert_nonnull(strstr(err->message, "no tag \"ghost\""));
    g_clear_error(&err);
    json_object_put(patch);
    patch = json_tokener_parse("{\"name\":\"n\"}"); /* no tags: left alone */
    g_assert_true(abfs_tags_resolve_patch(NULL, patch, &err));
    json_object_put(patch);
    g_assert_cmpuint(fake_count(fx->srv, "GET", TAGS_PATH), ==, 1);

    g_assert_true(abfs_tag_color_valid("FF5733", NULL));
    g_assert_true(abfs_tag_color_valid("#a0b1c2", NULL));
    g_assert_false(abfs_tag_color_valid("red", &err));
    g_assert_error(err, ABFS_ERROR, EINVAL);
    g_clear_error(&err);
    g_assert_false(abfs_tag_color_valid("#FF57", NULL));
    abfs_tags_free(tags);
    fx_free(fx);
}

static void test_tags_create_once(void)
{
    Fx *fx = fx_new_full("t", 5);
    AbfsTags *tags = abfs_tags_new(fx->client, WS, 60000);
    GError *err = NULL;
    /* the answer is lost; the fresh list shows the tag: done, and sent once */
    api_push(fx->api, 200, listing(FALSE), 0);
    api_push(fx->api, 0, "", 0);
    api_push(fx->api, 200, listing(TRUE), 0);
    g_assert_true(abfs_tag_create(tags, "team", "00FF00", &err));
    g_assert_no_error(err);
    g_assert_cmpuint(fake_count(fx->srv, "POST", TAGS_PATH), ==, 1);
    json_object *body = json_tokener_parse(fake_nth(fx->srv, "POST", TAGS_PATH, 0)->body);
    g_assert_cmpstr(abfs_json_string(body, "name"), ==, "team");
    g_assert_cmpstr(abfs_json_string(body, "color"), ==, "00FF00");
    g_assert_cmpstr(abfs_json_string(body, "workspaceId"), ==, WS);
    json_object_put(body);
    /* a name the workspace has: EEXIST, nothing sent */
    api_push(fx->api, 200, listing(TRUE), 0);
    g_assert_false(abfs_tag_create(tags, "team", "00FF00", &err));
    g_assert_error(err, ABFS_ERROR, EEXIST);
    g_clear_error(&err);
    /* the server's 409 (made meanwhile elsewhere) is EEXIST too */
    api_push(fx->api, 200, listing(FALSE), 0);
    api_push(fx->api, 409, "{\"title\":\"conflict\",\"detail\":\"Tag with same name already exists\"}", 0);
    g_assert_false(abfs_tag_create(tags, "team", "00FF00", &err));
    g_assert_error(err, ABFS_ERROR, EEXIST);
    g_clear_error(&err);
    /* a lost answer and no tag in the list: not made */
    api_push(fx->api, 200, listing(FALSE), 0);
    api_push(fx->api, 0, "", 0);
    api_push(fx->api, 200, listing(FALSE), 0);
    g_assert_false(abfs_tag_create(tags, "team", "00FF00", &err));
    g_assert_nonnull(err);
    g_assert_cmpint(err->code, !=, ABFS_EUNKNOWN);
    g_clear_error(&err);
    g_assert_cmpuint(fake_count(fx->srv, "POST", TAGS_PATH), ==, 3);
    /* bad names and colors are refused before anything is sent */
    g_assert_false(abfs_tag_create(tags, "a/b", "00FF00", &err));
    g_assert_error(err, ABFS_ERROR, EINVAL);
    g_clear_error(&err);
    g_assert_false(abfs_tag_create(tags, "ok", "green", &err));
    g_assert_error(err, ABFS_ERROR, EINVAL);
    g_clear_error(&err);
    g_assert_cmpuint(fake_count(fx->srv, "POST", TAGS_PATH), ==, 3);
    abfs_tags_free(tags);
    fx_free(fx);
}

static void test_tags_update_and_delete(void)
{
    Fx *fx = fx_new_full("t", 5);
    AbfsTags *tags = abfs_tags_new(fx->client, WS, 60000);
    GError *err = NULL;
    /* the color it has: nothing sent */
    api_push(fx->api, 200, listing(TRUE), 0);
    g_assert_true(abfs_tag_update(tags, "team", NULL, "00FF00", &err));
    g_assert_no_error(err);
    g_assert_cmpuint(fake_count(fx->srv, "PATCH", NULL), ==, 0);
    /* a rename sends the name and the color it keeps (TagPatchRequest requires both) */
    api_push(fx->api, 200, listing(TRUE), 0);
    api_push(fx->api, 200, listing(TRUE), 0);
    api_push(fx->api, 200, "{\"tagId\":\"" TAG2 "\",\"name\":\"squad\",\"color\":\"00FF00\",\"workspaceId\":\"" WS "\"}",
             0);
    g_assert_true(abfs_tag_update(tags, "team", "squad", NULL, &err));
    g_assert_no_error(err);
    FakeRequest *patch = fake_nth(fx->srv, "PATCH", "/api/public/v1/tags/" TAG2, 0);
    g_assert_nonnull(patch);
    g_assert_cmpstr(patch->body, ==, "{\"name\":\"squad\",\"color\":\"00FF00\"}");
    /* onto another tag's name: EEXIST, nothing sent */
    api_push(fx->api, 200, listing(TRUE), 0);
    api_push(fx->api, 200, listing(TRUE), 0);
    g_assert_false(abfs_tag_update(tags, "team", "prod", NULL, &err));
    g_assert_error(err, ABFS_ERROR, EEXIST);
    g_clear_error(&err);
    g_assert_cmpuint(fake_count(fx->srv, "PATCH", NULL), ==, 1);
    /* delete: DELETE /tags/{id} */
    api_push(fx->api, 200, listing(TRUE), 0);
    api_push(fx->api, 204, "", 0);
    g_assert_true(abfs_tag_delete(tags, "team", &err));
    g_assert_no_error(err);
    g_assert_cmpuint(fake_count(fx->srv, "DELETE", "/api/public/v1/tags/" TAG2), ==, 1);
    abfs_tags_free(tags);
    fx_free(fx);
}

int main(int argc, char **argv)
{
    abfs_unit_init(&argc, &argv);
    g_test_add_func("/tags/list-and-resolve", test_tags_list_and_resolve);
    g_test_add_func("/tags/create-once", test_tags_create_once);
    g_test_add_func("/tags/update-and-delete", test_tags_update_and_delete);
    return abfs_unit_run();
}
