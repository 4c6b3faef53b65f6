/* settings.h — the writable settings of a connection, and how a new value becomes a PATCH.
 *
 * Each setting has a canonical JSON form (what settings.json shows: the API's member name and
 * value, with the server's read-only decorations removed — " UTC" after a cron expression,
 * `selectedFields: []`), a validator that checks a new value as the server would, and its PATCH
 * form. A value equal to the current one (as a set, for streams) contributes nothing; so writing
 * back what was read sends nothing. */
#ifndef ABFS_SETTINGS_H
#define ABFS_SETTINGS_H

#include <glib.h>
#include <json-c/json.h>

/* The canonical form of setting key (e.g. "schedule") of conn; a new reference, or NULL when
 * conn has no such member. Keys: name, prefix, status, schedule, namespaceDefinition,
 * namespaceFormat, nonBreakingSchemaUpdatesBehavior, configurations, tags (the names of the
 * connection's tags, sorted: a PATCH carries them as names, which tags.h resolves to Tag objects
 * before sending). */
json_object *abfs_setting_current(json_object *conn, const char *key);

/* A member of settings/<id>.json that is not a setting: the hash of the settings the file was
 * exported from (plan.h tells a stale file from an edit with it). Writing it sends nothing. */
#define ABFS_SETTINGS_BASE_MEMBER "_exported"

/* Every setting of conn in one object (settings.json). New reference. */
json_object *abfs_settings_object(json_object *conn);

/* Checks value for setting key against conn and, when it differs from the current value, adds the
 * PATCH member to patch. FALSE with an EINVAL error (one line, naming the setting) if invalid. */
gboolean abfs_setting_add_to_patch(json_object *conn, const char *key, json_object *value, json_object *patch,
                                   GError **error);

/* Checks value as a value of setting key, as the server would, and gives its PATCH (and create)
 * form in *normalized (a new reference; a cron expression in Quartz form, streams without the
 * server's decorations). FALSE with an EINVAL error (one line, naming the setting) if invalid or
 * if key is not a writable setting. */
gboolean abfs_setting_normalize(const char *key, json_object *value, json_object **normalized, GError **error);

/* TRUE if key is a member of settings.json (a writable setting). */
gboolean abfs_setting_is_known(const char *key);

/* The same for a whole settings.json object: unknown members are an error; members left out are
 * left unchanged. *patch is NULL when nothing changes. */
gboolean abfs_settings_patch(json_object *conn, json_object *settings, json_object **patch, GError **error);

/* A short hash (12 hex digits) of value as a value of setting key, in canonical form (normalized
 * when valid, keys sorted, streams and tags as sets): equal for values that mean the same. */
char *abfs_setting_fingerprint(const char *key, json_object *value);

/* The ABFS_SETTINGS_BASE_MEMBER of conn's settings.json: setting key → fingerprint of its current
 * value, for every setting conn has. New reference. */
json_object *abfs_settings_exported(json_object *conn);

/* The streams of conn in canonical form (array; may be empty). New reference. */
json_object *abfs_streams_current(json_object *conn);

#endif
