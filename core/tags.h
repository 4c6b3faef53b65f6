/* tags.h — the workspace's tags: a cached list (GET /tags?workspaceIds=W, trusted for a TTL) and
 * the changes tags/ makes (create, rename, recolour, delete). Connections name their tags by name
 * in files (connections/<id>/tags, "tags" in settings.json), so a repository stays portable; the
 * PATCH of a connection carries Tag objects, which abfs_tags_resolve_patch() makes from the names.
 * Thread-safe. */
#ifndef ABFS_TAGS_H
#define ABFS_TAGS_H

#include <glib.h>
#include <json-c/json.h>
#include "client.h"

typedef struct AbfsTags AbfsTags;

/* The color a tag made by mkdir gets. */
#define ABFS_TAG_DEFAULT_COLOR "4A90E2"

AbfsTags *abfs_tags_new(AbfsClient *client, const char *workspace_id, guint ttl_ms);
void abfs_tags_free(AbfsTags *tags);
/* Drops the cached list. */
void abfs_tags_invalidate(AbfsTags *tags);

/* Tag name → Tag object (TagResponse: tagId, name, color, workspaceId) of every tag of the
 * workspace: a new table whose values are the caller's (copies). */
GHashTable *abfs_tags_by_name(AbfsTags *tags, GError **error);

/* The tag named name (a new reference), or NULL with ENOENT. */
json_object *abfs_tag_find(AbfsTags *tags, const char *name, GError **error);

/* TRUE if text is a color the API takes: six hexadecimal digits, with or without a leading '#'.
 * Otherwise FALSE with EINVAL. */
gboolean abfs_tag_color_valid(const char *text, GError **error);

/* POST /tags {name, color, workspaceId}, sent once: EEXIST when the workspace has a tag of that
 * name (checked first, and the server's 409); a lost answer is checked against a fresh list (a tag
 * of that name there: done). EINVAL for an empty name or one with a control character or '/'. */
gboolean abfs_tag_create(AbfsTags *tags, const char *name, const char *color, GError **error);

/* PATCH /tags/{id} of the tag named name with new_name and color (either NULL: unchanged; the API
 * takes both). Nothing is sent when neither changes. ENOENT: no such tag; EEXIST: new_name is
 * another tag's. */
gboolean abfs_tag_update(AbfsTags *tags, const char *name, const char *new_name, const char *color, GError **error);

/* DELETE /tags/{id} of the tag named name, checked when its answer is lost (resources.h). */
gboolean abfs_tag_delete(AbfsTags *tags, const char *name, GError **error);

/* In a connection's PATCH body, replaces "tags" (an array of names, as settings.h makes it) by
 * the Tag objects of those names. FALSE with EINVAL naming a tag the workspace does not have
 * (nothing is sent then). A patch without "tags" is left alone. */
gboolean abfs_tags_resolve_patch(AbfsTags *tags, json_object *patch, GError **error);

#endif
