/* create.h — a new connection from a draft: a JSON file written to settings/<name>.json whose name
 * is not a connection id (docs/gitops.md, "Creating a connection").
 *
 * A draft holds its source as "sourceId" (an id) or "source" (a source's name in this workspace),
 * its destination likewise ("destinationId" or "destination"), and any member of settings.json,
 * each validated as settings.json validates it; "name" defaults to the file's name without
 * ".json". Stream names are checked against what the source offers to that destination (GET
 * /streams). The connection is made by ONE POST /connections, never sent again: when its answer is
 * lost, a fresh listing tells whether the server made it. A draft that names the same source,
 * destination and name as an existing connection is refused (EEXIST), so a draft applied twice
 * never makes two connections. */
#ifndef ABFS_CREATE_H
#define ABFS_CREATE_H

#include <glib.h>
#include <json-c/json.h>
#include "actors.h"
#include "store.h"

/* The members a draft may hold besides those of settings.json. */
#define ABFS_DRAFT_SOURCE_ID "sourceId"
#define ABFS_DRAFT_SOURCE "source"
#define ABFS_DRAFT_DESTINATION_ID "destinationId"
#define ABFS_DRAFT_DESTINATION "destination"

/* The ConnectionCreateRequest a draft asks for (a new object), or NULL with an EINVAL error whose
 * one-line message says what is wrong: not a JSON object, an unknown member, a bad value, no
 * source or destination, a name that matches no actor or several (ambiguous). text: NUL-terminated
 * at len. stem: the name the connection gets when the draft has none. sources, destinations: id →
 * name of the workspace's actors (abfs_actors_names). tags: tag name → Tag object of the workspace
 * (the "tags" member lists names; NULL: a draft with tags is refused). */
json_object *abfs_create_request(const char *text, gsize len, const char *stem, GHashTable *sources,
                                 GHashTable *destinations, GHashTable *tags, GError **error);

/* Checks the streams of request (configurations.streams, if any) against properties, the answer of
 * GET /streams for its source and destination (an array of StreamProperties): each stream must be
 * one the source offers (by name, and by namespace when several share the name), and its syncMode,
 * if given, one that pair allows. FALSE with an EINVAL error naming the stream otherwise. */
gboolean abfs_create_check_streams(json_object *request, json_object *properties, GError **error);

/* Makes the connection request asks for, all within one -o timeout: its streams checked (one GET
 * /streams, only when it lists streams); refused with EEXIST when a fresh listing has a connection
 * of the same name, source and destination; then one POST /connections. A lost answer (transport
 * failure, cut or malformed answer, 5xx, timeout) is checked against a fresh listing: the one new
 * connection of that name, source and destination is this request's (success); none means
 * nothing was made (the POST's error, or ABFS_EUNKNOWN when the server may still act on it), and
 * a failed look is ABFS_EUNKNOWN. The new connection is put into store. Returns its id (newly
 * allocated), or NULL with an error. */
char *abfs_connection_create(AbfsStore *store, json_object *request, GError **error);

/* abfs_create_request() with the workspace's sources, destinations and tags as cached (actors;
 * the store's tags). */
json_object *abfs_create_request_for(AbfsStore *store, AbfsActors *actors, const char *text, gsize len,
                                     const char *stem, GError **error);

/* The checks abfs_connection_create() makes before sending, without sending: the streams (one GET
 * /streams, only when the request lists streams) and no connection of the same name, source and
 * destination in the store's current listing (EEXIST). For a plan. */
gboolean abfs_create_check(AbfsStore *store, json_object *request, GError **error);

/* The whole create of a draft file: the workspace's sources and destinations read fresh (actors),
 * the request made (abfs_create_request; stem: the file's name without ".json") and the connection
 * created (abfs_connection_create). Returns the new id (newly allocated) or NULL with an error. */
char *abfs_connection_create_from_draft(AbfsStore *store, AbfsActors *actors, const char *text, gsize len,
                                        const char *stem, GError **error);

#endif
