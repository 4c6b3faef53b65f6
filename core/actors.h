/* actors.h — the workspace's sources and destinations ("actors" in Airbyte's words).
 *
 * Both lists are read with one paginated walk each and trusted for a TTL. Each actor shows as a
 * few files: name (writable: a rename), type, definition_id, configuration.json (as the API
 * returns it: secrets stay masked, and the file is read-only so a masked value is never written
 * back) and url. Thread-safe. */
#ifndef ABFS_ACTORS_H
#define ABFS_ACTORS_H

#include <glib.h>
#include "client.h"

typedef enum { ABFS_ACTOR_SOURCE, ABFS_ACTOR_DESTINATION } AbfsActorKind;

typedef struct AbfsActors AbfsActors;

AbfsActors *abfs_actors_new(AbfsClient *client, const char *workspace_id, const char *web_root, guint ttl_ms);
void abfs_actors_free(AbfsActors *actors);

/* Ids of the workspace's sources or destinations, sorted (newly allocated strings). */
GPtrArray *abfs_actors_list(AbfsActors *actors, AbfsActorKind kind, GError **error);

/* id → name of the workspace's sources or destinations (a new table of strings), from the cached
 * list: what a draft's "source" or "destination" name is resolved against. */
GHashTable *abfs_actors_names(AbfsActors *actors, AbfsActorKind kind, GError **error);

/* TRUE if the actor exists (per the cached list). */
gboolean abfs_actor_exists(AbfsActors *actors, AbfsActorKind kind, const char *id, GError **error);

/* The file names of an actor directory, NULL-terminated. */
const char *const *abfs_actor_files(void);
gboolean abfs_actor_file_writable(const char *file);

/* Content of an actor's file (newly allocated, ends with a newline), or NULL with an error. */
char *abfs_actor_file(AbfsActors *actors, AbfsActorKind kind, const char *id, const char *file, GError **error);

/* Renames an actor: text (one trailing newline dropped) must be one non-empty line; the same name
 * sends nothing; otherwise PATCH {name}. */
gboolean abfs_actor_rename(AbfsActors *actors, AbfsActorKind kind, const char *id, const char *text, gsize len,
                           GError **error);

/* DELETE the actor. */
gboolean abfs_actor_delete(AbfsActors *actors, AbfsActorKind kind, const char *id, GError **error);

/* The web URL of an actor: {web}/workspaces/{ws}/source/{id} (or destination). */
char *abfs_actor_url(AbfsActors *actors, AbfsActorKind kind, const char *id);

/* Drops the cached lists. */
void abfs_actors_invalidate(AbfsActors *actors);

#endif
