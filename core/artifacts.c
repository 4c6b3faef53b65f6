/* artifacts.c — state.json and catalog.json over the Config API (artifacts.h). */
#include "artifacts.h"
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
