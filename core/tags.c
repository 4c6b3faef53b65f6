/* tags.c — the cached list of the workspace's tags and the requests that change them (tags.h). */
#include "tags.h"
#include "cache.h"
#include "error.h"
#include "json_util.h"
#include "resources.h"
#include "text.h"

#include <errno.h>
#include <string.h>

#define LIST_KEY "tags"

/* One listing, immutable once made and shared by reference; its json_objects are only read. */
typedef struct {
    gint refs;
    GHashTable *by_name; /* name → Tag (owned) */
} TagList;

struct AbfsTags {
    AbfsClient *client;
    char *workspace_id;
    AbfsCache *lists; /* LIST_KEY → TagList */
};

static TagList *list_new(void)
{
    TagList *l = g_new0(TagList, 1);
    l->refs = 1;
    l->by_name = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, abfs_json_free);
    return l;
}

static gpointer list_ref(gpointer p)
{
    TagList *l = p;
    g_atomic_int_inc(&l->refs);
    return l;
}

static void list_unref(gpointer p)
{
    TagList *l = p;
    if (l && g_atomic_int_dec_and_test(&l->refs)) {
        g_hash_table_destroy(l->by_name);
        g_free(l);
    }
}

static void list_stale(const char *key, const GError *err, gpointer value, gint64 age_us, gpointer data)
{
    (void)key;
    (void)value;
    (void)age_us;
    (void)data;
    g_warning("listing tags failed (%s); serving the last listing", err->message);
}

AbfsTags *abfs_tags_new(AbfsClient *client, const char *workspace_id, guint ttl_ms)
{
    AbfsTags *t = g_new0(AbfsTags, 1);
    t->client = client;
    t->workspace_id = g_strdup(workspace_id);
    AbfsCacheOptions options = {
        .ttl_ms = ttl_ms,
        .copy = list_ref,
        .free = list_unref,
        .serve_stale = TRUE,
        .on_stale = list_stale,
    };
    t->lists = abfs_cache_new(&options);
    return t;
}

void abfs_tags_free(AbfsTags *t)
{
    if (!t)
        return;
    abfs_cache_free(t->lists);
    g_free(t->workspace_id);
    g_free(t);
}

void abfs_tags_invalidate(AbfsTags *t)
{
    abfs_cache_invalidate(t->lists, NULL);
}

/* The cache's fetch: GET /tags of the workspace (TagsResponse: {"data": [...]}, not paged). */
static gpointer fetch(const char *key, gpointer previous, gpointer data, GError **error)
{
    (void)key;
    (void)previous;
    AbfsTags *t = data;
    char *path = g_strdup_printf("/tags?workspaceIds=%s", t->workspace_id);
    json_object *answer = NULL;
    gboolean ok = abfs_client_call(t->client, ABFS_API_PUBLIC, "GET", path, NULL, ABFS_CALL_IDEMPOTENT, &answer, error);
    g_free(path);
    if (!ok)
        return NULL;
    json_object *items = json_object_object_get(answer, "data");
    if (!json_object_is_type(items, json_type_array)) {
        g_set_error(error, ABFS_ERROR, EIO, "the tag listing has no data array");
        json_object_put(answer);
        return NULL;
    }
    TagList *l = list_new();
    for (size_t i = 0; i < json_object_array_length(items); i++) {
        json_object *tag = json_object_array_get_idx(items, i);
        const char *name = abfs_json_string(tag, "name");
        if (!abfs_id_is_safe(abfs_json_string(tag, "tagId")) || !name ||
            g_strcmp0(abfs_json_string(tag, "workspaceId"), t->workspace_id) != 0)
            continue; /* another workspace's, or one that cannot be named */
        json_object *copy = NULL;
        json_object_deep_copy(tag, &copy, NULL);
        g_hash_table_replace(l->by_name, g_strdup(name), copy);
    }
    json_object_put(answer);
    return l;
}

static TagList *list_get(AbfsTags *t, GError **error)
{
    return abfs_cache_get(t->lists, LIST_KEY, fetch, t, error);
}

static json_object *copy_of(json_object *v)
{
    json_object *copy = NULL;
    json_object_deep_copy(v, &copy, NULL);
    return copy;
}

GHashTable *abfs_tags_by_name(AbfsTags *t, GError **error)
{
    TagList *l = list_get(t, error);
    if (!l)
        return NULL;
    GHashTable *out = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, abfs_json_free);
    GHashTableIter it;
    gpointer name, tag;
    g_hash_table_iter_init(&it, l->by_name);
    while (g_hash_table_iter_next(&it, &name, &tag))
        g_hash_table_replace(out, g_strdup(name), copy_of(tag));
    list_unref(l);
    return out;
}

json_object *abfs_tag_find(AbfsTags *t, const char *name, GError **error)
{
    TagList *l = list_get(t, error);
    if (!l)
        return NULL;
    json_object *tag = g_hash_table_lookup(l->by_name, name);
    json_object *out = tag ? copy_of(tag) : NULL;
    list_unref(l);
    if (!out)
        g_set_error(error, ABFS_ERROR, ENOENT, "no tag named %s", name);
    return out;
}

gboolean abfs_tag_color_valid(const char *text, GError **error)
{
    const char *hex = text && text[0] == '#' ? text + 1 : text;
    gboolean ok = hex && strlen(hex) == 6;
    for (int i = 0; ok && i < 6; i++)
        ok = g_ascii_isxdigit(hex[i]);
    if (!ok)
        g_set_error(error, ABFS_ERROR, EINVAL, "a tag's color is six hexadecimal digits, such as FF5733 or #FF5733");
    return ok;
}

static gboolean name_valid(const char *name, GError **error)
{
    if (!name || !*name || strchr(name, '/') || abfs_text_has_control(name, strlen(name)) ||
        !g_utf8_validate(name, -1, NULL)) {
        g_set_error(error, ABFS_ERROR, EINVAL, "a tag's name is non-empty UTF-8 text without '/' or control characters");
        return FALSE;
    }
    return TRUE;
}

/* The tag named name in a fresh list (a new reference), or NULL (error set only on a failure). */
static json_object *fresh_find(AbfsTags *t, const char *name, GError **error)
{
    abfs_tags_invalidate(t);
    TagList *l = list_get(t, error);
    if (!l)
        return NULL;
    json_object *tag = g_hash_table_lookup(l->by_name, name);
    json_object *out = tag ? copy_of(tag) : NULL;
    list_unref(l);
    return out;
}

gboolean abfs_tag_create(AbfsTags *t, const char *name, const char *color, GError **error)
{
    if (!name_valid(name, error) || !abfs_tag_color_valid(color, error))
        return FALSE;
    gint64 saved = abfs_client_deadline_begin(t->client);
    gboolean ok = FALSE;
    json_object *existing = fresh_find(t, name, error);
    if (existing) {
        g_set_error(error, ABFS_ERROR, EEXIST, "the workspace has a tag named %s already", name);
        json_object_put(existing);
    } else if (!error || !*error) {
        json_object *body = json_object_new_object();
        json_object_object_add(body, "name", json_object_new_string(name));
        json_object_object_add(body, "color", json_object_new_string(color));
        json_object_object_add(body, "workspaceId", json_object_new_string(t->workspace_id));
        GError *err = NULL;
        gint64 outer = abfs_client_deadline_keep_for_check();
        ok = abfs_client_call(t->client, ABFS_API_PUBLIC, "POST", "/tags", body, ABFS_CALL_DEFAULT, NULL, &err);
        abfs_client_deadline_set(outer);
        json_object_put(body);
        if (!ok && abfs_error_http_status(err) == 409) { /* made meanwhile by another client */
            g_set_error(error, ABFS_ERROR, EEXIST, "the workspace has a tag named %s already (%s)", name, err->message);
            g_clear_error(&err);
        } else if (!ok && abfs_error_outcome_unknown(err) && err->code != EINTR) {
            GError *look_err = NULL;
            json_object *made = fresh_find(t, name, &look_err);
            if (made) {
                g_message("create of tag %s: the answer was lost (%s) but the tag is there", name, err->message);
                g_clear_error(&err);
                ok = TRUE;
            } else if (look_err) {
                char *reason = g_strdup_printf("reading the tags to check failed (%s)", look_err->message);
                GError *lost = err;
                err = NULL;
                abfs_error_set_unknown(&err, lost, "POST /tags", reason);
                g_free(reason);
            } else if (abfs_error_may_act_later(err)) {
                GError *lost = err;
                err = NULL;
                abfs_error_set_unknown(&err, lost, "POST /tags", "no such tag yet, but " ABFS_MAY_ACT_LATER);
            }
            json_object_put(made);
            g_clear_error(&look_err);
        }
        if (err)
            g_propagate_error(error, err);
    }
    abfs_tags_invalidate(t);
    abfs_client_deadline_end(saved);
    return ok;
}

gboolean abfs_tag_update(AbfsTags *t, const char *name, const char *new_name, const char *color, GError **error)
{
    if ((new_name && !name_valid(new_name, error)) || (color && !abfs_tag_color_valid(color, error)))
        return FALSE;
    gint64 saved = abfs_client_deadline_begin(t->client);
    gboolean ok = FALSE;
    json_object *tag = fresh_find(t, name, error);
    json_object *other = tag && new_name && strcmp(new_name, name) != 0 ? fresh_find(t, new_name, error) : NULL;
    if (!tag && (!error || !*error))
        g_set_error(error, ABFS_ERROR, ENOENT, "no tag named %s", name);
    else if (other)
        g_set_error(error, ABFS_ERROR, EEXIST, "the workspace has a tag named %s already", new_name);
    else if (tag && !(error && *error)) {
        const char *to_name = new_name ? new_name : abfs_json_string(tag, "name");
        const char *to_color = color ? color : abfs_json_string(tag, "color");
        if (g_strcmp0(to_name, abfs_json_string(tag, "name")) == 0 &&
            g_strcmp0(to_color, abfs_json_string(tag, "color")) == 0)
            ok = TRUE; /* what it has: nothing to send */
        else {
            json_object *body = json_object_new_object();
            json_object_object_add(body, "name", json_object_new_string(to_name));
            json_object_object_add(body, "color", json_object_new_string(to_color ? to_color : ABFS_TAG_DEFAULT_COLOR));
            char *path = g_strdup_printf("/tags/%s", abfs_json_string(tag, "tagId"));
            /* idempotent: the same PATCH twice leaves the same tag */
            ok = abfs_client_call(t->client, ABFS_API_PUBLIC, "PATCH", path, body, ABFS_CALL_IDEMPOTENT, NULL, error);
            if (!ok && error && *error && abfs_error_http_status(*error) == 409)
                (*error)->code = EEXIST;
            g_free(path);
            json_object_put(body);
        }
    }
    json_object_put(tag);
    json_object_put(other);
    abfs_tags_invalidate(t);
    abfs_client_deadline_end(saved);
    return ok;
}

gboolean abfs_tag_delete(AbfsTags *t, const char *name, GError **error)
{
    json_object *tag = abfs_tag_find(t, name, error);
    if (!tag)
        return FALSE;
    char *path = g_strdup_printf("/tags/%s", abfs_json_string(tag, "tagId"));
    gboolean ok = abfs_delete_checked(t->client, path, error);
    g_free(path);
    json_object_put(tag);
    abfs_tags_invalidate(t);
    return ok;
}

gboolean abfs_tags_resolve_patch(AbfsTags *t, json_object *patch, GError **error)
{
    json_object *names = json_object_object_get(patch, "tags");
    if (!names)
        return TRUE;
    GHashTable *known = t ? abfs_tags_by_name(t, error) : NULL;
    if (!known) {
        if (!t)
            g_set_error(error, ABFS_ERROR, EINVAL, "tags cannot be set here");
        return FALSE;
    }
    json_object *out = json_object_new_array();
    gboolean ok = TRUE;
    for (size_t i = 0; ok && i < json_object_array_length(names); i++) {
        const char *name = json_object_get_string(json_object_array_get_idx(names, i));
        json_object *tag = name ? g_hash_table_lookup(known, name) : NULL;
        if (!tag) {
            char *shown = g_strdup(name ? name : "");
            abfs_text_replace_controls(shown, '?');
            g_set_error(error, ABFS_ERROR, EINVAL, "tags: this workspace has no tag \"%s\" (mkdir tags/NAME creates one)",
                        shown);
            g_free(shown);
            ok = FALSE;
        } else
            json_object_array_add(out, copy_of(tag));
    }
    g_hash_table_destroy(known);
    if (ok)
        json_object_object_add(patch, "tags", out);
    else
        json_object_put(out);
    return ok;
}
