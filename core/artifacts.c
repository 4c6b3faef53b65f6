/* artifacts.c — state.json and catalog.json over the Config API (artifacts.h). */
#include "artifacts.h"
#include "cache.h"
#include "error.h"
#include "json_util.h"
#include "resources.h"

#include <errno.h>
#include <string.h>

static void explain_missing_config_api(AbfsClient *client, GError **error)
{
    if (error && *error && ((*error)->code == ENOENT || (*error)->code == ENOTSUP)) {
        const char *root = abfs_client_config(client)->config_api_root;
        g_prefix_error(
            error, "the Config API (%s) does not answer this; state and catalog need it: ", root ? root : "unknown");
        (*error)->code = ENOTSUP; /* the file exists; the server lacks the feature */
    }
}

/* The current value as a JSON object (new reference). */
static json_object *fetch(AbfsClient *client, const char *connection_id, AbfsArtifact kind, GError **error)
{
    json_object *body = json_object_new_object(), *answer = NULL;
    json_object_object_add(body, "connectionId", json_object_new_string(connection_id));
    const char *path = kind == ABFS_ARTIFACT_STATE ? "/state/get" : "/web_backend/connections/get";
    if (kind == ABFS_ARTIFACT_CATALOG)
        json_object_object_add(body, "withRefreshedCatalog", json_object_new_boolean(FALSE));
    gboolean ok = abfs_client_call(client, ABFS_API_CONFIG, "POST", path, body, ABFS_CALL_IDEMPOTENT, &answer, error);
    json_object_put(body);
    if (!ok) {
        explain_missing_config_api(client, error);
        return NULL;
    }
    json_object *value = answer;
    if (kind == ABFS_ARTIFACT_CATALOG) {
        value = json_object_object_get(answer, "syncCatalog");
        value = value ? json_object_get(value) : NULL;
        json_object_put(answer);
    }
    if (!json_object_is_type(value, json_type_object)) {
        json_object_put(value);
        g_set_error(error, ABFS_ERROR, EIO, "POST %s: the answer has no %s", path,
                    kind == ABFS_ARTIFACT_STATE ? "state" : "syncCatalog");
        return NULL;
    }
    return value;
}

char *abfs_artifact_read(AbfsClient *client, const char *connection_id, AbfsArtifact kind, GError **error)
{
    json_object *value = fetch(client, connection_id, kind, error);
    if (!value)
        return NULL;
    char *text = abfs_json_pretty(value);
    json_object_put(value);
    return text;
}

static gboolean validate(json_object *value, AbfsArtifact kind, GError **error)
{
    if (!json_object_is_type(value, json_type_object)) {
        g_set_error(error, ABFS_ERROR, EINVAL, "%s must be a JSON object",
                    kind == ABFS_ARTIFACT_STATE ? "state.json" : "catalog.json");
        return FALSE;
    }
    if (kind == ABFS_ARTIFACT_STATE) {
        static const char *const types[] = {"global", "stream", "legacy", "not_set", NULL};
        const char *type = abfs_json_string(value, "stateType");
        if (!type || !g_strv_contains(types, type)) {
            g_set_error(error, ABFS_ERROR, EINVAL,
                        "state.json: stateType must be one of global, stream, legacy, not_set");
            return FALSE;
        }
        json_object *streams = json_object_object_get(value, "streamState");
        if (streams && !json_object_is_type(streams, json_type_array)) {
            g_set_error(error, ABFS_ERROR, EINVAL, "state.json: streamState must be an array");
            return FALSE;
        }
        return TRUE;
    }
    json_object *streams = json_object_object_get(value, "streams");
    if (!json_object_is_type(streams, json_type_array)) {
        g_set_error(error, ABFS_ERROR, EINVAL, "catalog.json must have a \"streams\" array");
        return FALSE;
    }
    for (size_t i = 0; i < json_object_array_length(streams); i++) {
        json_object *s = json_object_array_get_idx(streams, i);
        if (!json_object_is_type(json_object_object_get(s, "stream"), json_type_object) ||
            !json_object_is_type(json_object_object_get(s, "config"), json_type_object)) {
            g_set_error(error, ABFS_ERROR, EINVAL, "catalog.json: stream #%zu needs \"stream\" and \"config\" objects",
                        i + 1);
            return FALSE;
        }
    }
    return TRUE;
}

gboolean abfs_artifact_validate(AbfsArtifact kind, const char *text, gsize len, GError **error)
{
    json_object *value = abfs_json_parse(text, len, error);
    gboolean ok = value && validate(value, kind, error);
    json_object_put(value);
    return ok;
}

gboolean abfs_artifact_write(AbfsClient *client, const char *connection_id, AbfsArtifact kind, const char *text,
                             gsize len, GError **error)
{
    json_object *value = abfs_json_parse(text, len, error);
    if (!value || !validate(value, kind, error)) {
        json_object_put(value);
        return FALSE;
    }
    json_object *current = fetch(client, connection_id, kind, error);
    if (!current) {
        json_object_put(value);
        return FALSE;
    }
    gboolean same = json_object_equal(current, value);
    json_object_put(current);
    if (same) {
        json_object_put(value);
        return TRUE;
    }
    json_object *body = json_object_new_object();
    json_object_object_add(body, "connectionId", json_object_new_string(connection_id));
    const char *path;
    if (kind == ABFS_ARTIFACT_STATE) {
        json_object_object_add(value, "connectionId", json_object_new_string(connection_id));
        json_object_object_add(body, "connectionState", value);
        path = "/state/create_or_update_safe";
    } else {
        json_object_object_add(body, "syncCatalog", value);
        json_object_object_add(body, "skipReset", json_object_new_boolean(TRUE));
        path = "/web_backend/connections/update";
    }
    gboolean ok = abfs_client_call(client, ABFS_API_CONFIG, "POST", path, body, ABFS_CALL_DEFAULT, NULL, error);
    json_object_put(body);
    if (!ok)
        explain_missing_config_api(client, error);
    return ok;
}

/* ---- the cache ---- */

struct AbfsArtifacts {
    AbfsClient *client; /* set at creation, then read-only */
    AbfsCache *files;   /* "<kind>:<connection id>" → Kept (cache.h: thread-safe by itself) */
};

/* A fetched text, or the refusal of a server without the Config API: immutable once made,
 * shared by reference (atomic reference count). */
typedef struct {
    char *text;
    int code; /* with message: ENOTSUP, and text NULL */
    char *message;
} Kept;

static void kept_clear(gpointer p)
{
    Kept *k = p;
    g_free(k->text);
    g_free(k->message);
}

static gpointer kept_ref(gpointer p)
{
    return g_atomic_rc_box_acquire(p);
}

static void kept_unref(gpointer p)
{
    g_atomic_rc_box_release_full(p, kept_clear);
}

static char *key_of(const char *connection_id, AbfsArtifact kind)
{
    return g_strdup_printf("%c:%s", kind == ABFS_ARTIFACT_STATE ? 's' : 'c', connection_id);
}

/* The cache's fetch: the file's text, or a kept ENOTSUP (it will not change within the TTL). */
static gpointer fetch_kept(const char *key, gpointer previous, gpointer data, GError **error)
{
    (void)previous;
    AbfsArtifacts *a = data;
    AbfsArtifact kind = key[0] == 's' ? ABFS_ARTIFACT_STATE : ABFS_ARTIFACT_CATALOG;
    GError *err = NULL;
    char *text = abfs_artifact_read(a->client, key + 2, kind, &err);
    if (!text && err->code != ENOTSUP) {
        g_propagate_error(error, err);
        return NULL;
    }
    Kept *k = g_atomic_rc_box_new0(Kept);
    k->text = text;
    if (err) {
        k->code = err->code;
        k->message = g_strdup(err->message);
        g_error_free(err);
    }
    return k;
}

AbfsArtifacts *abfs_artifacts_new(AbfsClient *client, guint ttl_ms)
{
    AbfsArtifacts *a = g_new0(AbfsArtifacts, 1);
    a->client = client;
    AbfsCacheOptions options = {.ttl_ms = ttl_ms, .copy = kept_ref, .free = kept_unref};
    a->files = abfs_cache_new(&options);
    return a;
}

void abfs_artifacts_free(AbfsArtifacts *artifacts)
{
    if (!artifacts)
        return;
    abfs_cache_free(artifacts->files);
    g_free(artifacts);
}

char *abfs_artifacts_text(AbfsArtifacts *artifacts, const char *connection_id, AbfsArtifact kind, GError **error)
{
    char *key = key_of(connection_id, kind);
    Kept *k = abfs_cache_get(artifacts->files, key, fetch_kept, artifacts, error);
    g_free(key);
    if (!k)
        return NULL;
    char *text = g_strdup(k->text);
    if (!text)
        g_set_error_literal(error, ABFS_ERROR, k->code, k->message);
    kept_unref(k);
    return text;
}

gboolean abfs_artifacts_write(AbfsArtifacts *artifacts, const char *connection_id, AbfsArtifact kind,
                              const char *text, gsize len, GError **error)
{
    gboolean ok = abfs_artifact_write(artifacts->client, connection_id, kind, text, len, error);
    char *key = key_of(connection_id, kind);
    abfs_cache_forget(artifacts->files, key); /* written, refused or unknown: read it again */
    g_free(key);
    return ok;
}

void abfs_artifacts_forget(AbfsArtifacts *artifacts, const char *connection_id)
{
    for (AbfsArtifact kind = ABFS_ARTIFACT_STATE; kind <= ABFS_ARTIFACT_CATALOG; kind++) {
        char *key = key_of(connection_id, kind);
        abfs_cache_forget(artifacts->files, key);
        g_free(key);
    }
}

void abfs_artifacts_invalidate(AbfsArtifacts *artifacts)
{
    abfs_cache_invalidate(artifacts->files, NULL);
}
