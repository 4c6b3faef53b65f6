/* resources.h — the Airbyte resources airbytefs reads and changes, as json-c objects.
 *
 * Listing walks pages of limit=100 with computed offsets (never the server's `next`, which
 * self-managed servers fill with internal hosts) and stops at a short or empty page. Every
 * object handed out has been checked for the members airbytefs relies on; a malformed item is
 * an error for that item, not a crash. */
#ifndef ABFS_RESOURCES_H
#define ABFS_RESOURCES_H

#include <glib.h>
#include <json-c/json.h>
#include "client.h"
#include "json_scan.h" /* AbfsScanItem */
#include "json_util.h" /* abfs_json_string(), abfs_json_free() */

#define ABFS_PAGE_LIMIT 100
/* Every item of a list endpoint (path such as "/connections", query without limit/offset, e.g.
 * "workspaceIds=<id>"), in server order. *items: GPtrArray of json_object (owned; freed with
 * json_object_put). *pages receives the number of requests made (may be NULL). */
gboolean abfs_list_all(AbfsClient *client, const char *path, const char *query, GPtrArray **items, guint *pages,
                       GError **error);

/* The same walk with up to `parallel` page requests in flight. hint: how many items the caller
 * expects (e.g. the previous walk's count; 0 = unknown): the pages it implies are fetched in
 * parallel at once. Past them (all of them without a hint) the walk starts slow: a generation of
 * one page, then 2, 4 ... (each once the one before came back full) up to parallel, then a page
 * whenever one comes back. So a list of up to 3 pages costs exactly its pages, and the empty
 * pages asked for past the end are fewer than the last generation (at most parallel-1).
 * Items come back in server order either way. */
typedef gpointer (*AbfsListItemFunc)(json_object *item, gpointer data);
/* keep (may be NULL: keep the json_object itself) turns each item into what *items holds, on the
 * thread that fetched its page, or drops it (NULL); free_kept frees what it made. */
gboolean abfs_list_all_parallel(AbfsClient *client, const char *path, const char *query, guint hint, guint parallel,
                                AbfsListItemFunc keep, gpointer keep_data, GDestroyNotify free_kept, GPtrArray **items,
                                guint *pages, GError **error);

/* The same walk with each page scanned (json_scan.h) instead of parsed into a tree: keep turns
 * each item into what *items holds (or drops it: NULL), on the thread that fetched its page. A
 * page that is not strict JSON (RFC 8259), or has no `data` array, fails the walk with EIO. */
typedef gpointer (*AbfsListScanFunc)(const AbfsScanItem *item, gpointer data);
gboolean abfs_list_scanned_parallel(AbfsClient *client, const char *path, const char *query, guint hint,
                                    guint parallel, AbfsListScanFunc keep, gpointer keep_data, GDestroyNotify free_kept,
                                    GPtrArray **items, guint *pages, GError **error);

/* GET /workspaces/{id}. */
json_object *abfs_workspace_get(AbfsClient *client, const char *workspace_id, GError **error);

/* A connection of a walk: its compact JSON text and the members the store indexes, read from the
 * page's own parse (the text is not parsed again to list it). */
typedef struct {
    char *text;
    char *id, *name, *source_id, *destination_id; /* NULL if absent (id never) */
    char *tag_ids;                                /* the ids of its tags, separated by spaces ("" if none) */
    gint64 created_at;                            /* seconds; -1 if absent */
} AbfsListedConnection;

/* What the listing keeps of a connection object: text (taken) as its compact text, or NULL to
 * make it from conn, and its members. */
AbfsListedConnection *abfs_listed_connection_of(json_object *conn, char *text);
/* Frees an AbfsListedConnection (NULL is fine). */
void abfs_listed_connection_free(gpointer listed);

/* Every connection of the workspace (GET /connections?workspaceIds=W), each checked with
 * abfs_connection_check() (*items: GPtrArray of AbfsListedConnection*, which frees them). Connections of
 * other workspaces are dropped. A connection that cannot be shown (no usable id, nested deeper than
 * ABFS_JSON_MAX_DEPTH) is dropped, never the listing; one with members of the wrong type is kept.
 * *skipped (may be NULL) receives one line per dropped or defective connection saying which and
 * why (a GPtrArray of char*, or NULL if none).
 * hint and parallel as for abfs_list_all_parallel(). */
gboolean abfs_connections_list(AbfsClient *client, const char *workspace_id, guint hint, guint parallel,
                               GPtrArray **items, GPtrArray **skipped, GError **error);

/* GET /connections/{id}; ENOENT if it belongs to another workspace. */
json_object *abfs_connection_get(AbfsClient *client, const char *workspace_id, const char *connection_id,
                                 GError **error);

/* PATCH /connections/{id} with patch; the updated connection as the server answers it. */
json_object *abfs_connection_patch(AbfsClient *client, const char *workspace_id, const char *connection_id,
                                   json_object *patch, GError **error);

/* DELETE of path (e.g. /sources/{id}), sent exactly once. When its answer is lost, a GET of the
 * same path tells: a 404, or a `status` of deprecated, means it was deleted (TRUE); otherwise the
 * DELETE's error, or ABFS_EUNKNOWN when the check failed too. All within one -o timeout. */
gboolean abfs_delete_checked(AbfsClient *client, const char *path, GError **error);

/* DELETE /connections/{id} (the server marks it deprecated), checked as above. */
gboolean abfs_connection_delete(AbfsClient *client, const char *connection_id, GError **error);

/* TRUE if conn can be shown at all: a JSON object with an id that is safe as a path name (a UUID or
 * an integer) and a workspaceId, nesting at most ABFS_JSON_MAX_DEPTH levels. Sets error (EIO)
 * otherwise. Members of the wrong type do not fail it: the files render what there is. */
gboolean abfs_connection_check(json_object *conn, GError **error);

/* The members a connection that passed the check lacks or has with the wrong type, as a list for
 * a message ("`name`, `schedule`"; newly allocated), or NULL when it has them all. */
char *abfs_connection_defects(json_object *conn);

/* TRUE if id is a UUID (8-4-4-4-12 hex) or a decimal integer: the only ids used as names. */
gboolean abfs_id_is_safe(const char *id);

#endif
