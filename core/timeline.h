/* timeline.h — a connection's timeline: what happened to it, newest first (POST
 * /connections/events/list of the Config API, at most ABFS_TIMELINE_EVENTS events). Each
 * connection's answer is kept for a short TTL, so that stat and read of timeline and timeline.json
 * cost one request. Where the Config API is missing: ENOTSUP, saying so.
 *
 * timeline has one line per event, four tab-separated fields:
 *     <time, ISO 8601 UTC> TAB <event type> TAB <who> TAB <what changed> NL
 * who is the user's email (else name; "-" for an event no user caused, such as a scheduled sync);
 * what is, for a job's event, "job <id> <type>" and its records and bytes once it ended; for a
 * settings update, each changed field as "field: <from> -> <to>" (compact JSON values) joined by
 * "; "; else the event's summary as compact JSON ("" when empty). Control characters become
 * spaces. timeline.json is the events as the server sent them, pretty-printed. */
#ifndef ABFS_TIMELINE_H
#define ABFS_TIMELINE_H

#include <glib.h>
#include <json-c/json.h>
#include "client.h"

#define ABFS_TIMELINE_EVENTS 100

typedef struct AbfsTimeline AbfsTimeline;

AbfsTimeline *abfs_timeline_new(AbfsClient *client, guint ttl_ms);
void abfs_timeline_free(AbfsTimeline *timeline);
/* Drops every kept answer (.refresh), or one connection's (its job ended). */
void abfs_timeline_invalidate(AbfsTimeline *timeline);
void abfs_timeline_forget(AbfsTimeline *timeline, const char *connection_id);

/* The file's text (json: timeline.json), newly allocated. */
char *abfs_timeline_read(AbfsTimeline *timeline, const char *connection_id, gboolean json, GError **error);

/* The lines of timeline for events (a JSON array of ConnectionEvents), newest first. */
char *abfs_timeline_text(json_object *events);

#endif
