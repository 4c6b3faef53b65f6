/* plan.h — what applying a staged repository would change, member by member, and applying
 * exactly that (docs/gitops.md, "Plan, then apply").
 *
 * The staged files are settings files as exported (settings/<id>.json) and drafts of new
 * connections (<name>.json). A plan is made against a fresh listing of the workspace, sending no
 * write: for each member a file changes, the file's `_exported` (settings.h: a hash per member of
 * the values it was exported from) tells an intended edit (the server still has the exported
 * value) from a stale file (the file still has the exported value, the server changed it: drift,
 * which apply never reverts) and from a conflict (both changed). A file without `_exported` counts
 * as an edit throughout. Deletions are planned only with allow_delete: every connection that has
 * no staged file. */
#ifndef ABFS_PLAN_H
#define ABFS_PLAN_H

#include <glib.h>
#include "actors.h"
#include "store.h"

/* One staged file (borrowed). */
typedef struct {
    const char *name; /* e.g. "<id>.json", "stripe-to-bq.json" */
    const char *text; /* NUL-terminated at len */
    gsize len;
} AbfsStagedFile;

typedef struct AbfsPlan AbfsPlan;

/* The plan of files[0..n) against the workspace (store, read fresh; actors and tags read fresh
 * for drafts; GET /streams for drafts that list streams). Files whose name starts with a dot or
 * does not end in ".json" are left out. NULL with an error only when the workspace cannot be read. */
AbfsPlan *abfs_plan_compute(AbfsStore *store, AbfsActors *actors, const AbfsStagedFile *files, guint n,
                            gboolean allow_delete, GError **error);
void abfs_plan_free(AbfsPlan *plan);

/* The plan as text: one line an item, in file order ("+ create NAME.json ...", "~ ID \"NAME\":
 * MEMBER FROM -> TO", "! ID: MEMBER changed on the server since it was exported", "! FILE:
 * reason", "- delete ID \"NAME\""), then "Plan: C to create, U to change, D to delete." (U counts
 * connections). After abfs_plan_apply, each item ends with its result and a line "Applied: ...".
 * Newly allocated. */
char *abfs_plan_text(const AbfsPlan *plan);
/* The same as JSON ({"items": [...], "summary": {...}, "applied": bool}), pretty. */
char *abfs_plan_json(const AbfsPlan *plan);

/* Counts of the summary line. */
void abfs_plan_counts(const AbfsPlan *plan, guint *create, guint *change, guint *remove);

/* FALSE with EINVAL when the plan cannot be applied as a whole: a staged file is invalid, or a
 * member changed both on the server and in the file. */
gboolean abfs_plan_applicable(const AbfsPlan *plan, GError **error);

/* Told about each connection the apply created: the draft's file name and the new id. */
typedef void (*AbfsPlanCreated)(const char *file, const char *id, gpointer data);

/* Applies the plan's creates (one POST each, create.h), changes (one PATCH per connection with the
 * members planned, commit.h: drift and conflicts are never sent) and deletions (one DELETE each),
 * recording each item's result for abfs_plan_text. TRUE when every item was done; else FALSE with
 * the first failure. Not twice: a second call fails with EINVAL. */
gboolean abfs_plan_apply(AbfsPlan *plan, AbfsStore *store, AbfsActors *actors, AbfsPlanCreated created,
                         gpointer data, GError **error);

#endif
