/* stream_names.h — how a stream of a connection is named in the tree (streams.d/<label>/, the
 * stream column of a job's streams.tsv).
 *
 * The rule: a stream is named by its name alone when no other stream of the same list has that
 * name; when several do (the same table in two namespaces, e.g. public.customers and
 * sales.customers), each of them is named "<namespace>.<name>" (a stream without a namespace there
 * keeps its bare name). The result is made a safe file name as by-name/ does (names.h: "/" becomes
 * "∕", control characters "�"), so every label is a valid directory name. */
#ifndef ABFS_STREAM_NAMES_H
#define ABFS_STREAM_NAMES_H

#include <glib.h>
#include <json-c/json.h>

/* The label of every member of streams (a JSON array of objects naming a stream with name_key and
 * namespace_key, e.g. "name"/"namespace" or "streamName"/"streamNamespace"), in order: a newly
 * allocated array of newly allocated strings, one per member (a member without a name: ""). */
GPtrArray *abfs_stream_labels(json_object *streams, const char *name_key, const char *namespace_key);

/* The index in streams of the member labelled label, or -1. */
int abfs_stream_find(json_object *streams, const char *name_key, const char *namespace_key, const char *label);

#endif
