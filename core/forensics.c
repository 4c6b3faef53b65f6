/* forensics.c — job and attempt files rendered from JobInfoRead and AttemptRead (forensics.h). */
#include "forensics.h"
#include "json_util.h"
#include "stream_names.h"
#include "text.h"

#include <string.h>

static const char *word_or_unknown(json_object *obj, const char *key)
{
    const char *w = abfs_json_string(obj, key);
    return w && *w ? w : "unknown";
}

char *abfs_attempt_failure_line(json_object *attempt)
{
    json_object *failures = json_object_object_get(json_object_object_get(attempt, "failureSummary"), "failures");
    json_object *f = json_object_is_type(failures, json_type_array) ? json_object_array_get_idx(failures, 0) : NULL;
    if (!json_object_is_type(f, json_type_object))
        return g_strdup("");
    json_object *retry = json_object_object_get(f, "retryable");
    const char *retryable =
        json_object_is_type(retry, json_type_boolean) ? (json_object_get_boolean(retry) ? "true" : "false") : "unknown";
    const char *message = abfs_json_string(f, "externalMessage");
    char *origin = g_strdup(word_or_unknown(f, "failureOrigin"));
    char *type = g_strdup(word_or_unknown(f, "failureType"));
    char *msg = g_strdup(message ? message : "");
    /* one line whatever the server wrote: tabs and newlines of the message become spaces */
    abfs_text_replace_controls(origin, ' ');
    abfs_text_replace_controls(type, ' ');
    abfs_text_replace_controls(msg, ' ');
    char *line = g_strdup_printf("%s\t%s\t%s\t%s\n", origin, type, retryable, msg);
    g_free(origin);
    g_free(type);
    g_free(msg);
    return line;
}

static json_object *attempts_of(json_object *info)
{
    json_object *a = json_object_object_get(info, "attempts");
    return json_object_is_type(a, json_type_array) ? a : NULL;
}

char *abfs_job_failure_text(json_object *info)
{
    json_object *job = json_object_object_get(info, "job");
    if (g_strcmp0(abfs_json_string(job, "status"), "succeeded") == 0)
        return g_strdup("");
    json_object *attempts = attempts_of(info);
    for (gsize i = attempts ? json_object_array_length(attempts) : 0; i > 0; i--) {
        json_object *attempt = json_object_object_get(json_object_array_get_idx(attempts, i - 1), "attempt");
        char *line = abfs_attempt_failure_line(attempt);
        if (*line)
            return line;
        g_free(line);
    }
    return g_strdup("");
}

static gint64 int_member(json_object *obj, const char *key)
{
    json_object *v = json_object_object_get(obj, key);
    return json_object_is_type(v, json_type_int) ? json_object_get_int64(v) : 0;
}

char *abfs_job_streams_tsv(json_object *info)
{
    json_object *stats = json_object_object_get(json_object_object_get(info, "job"), "streamAggregatedStats");
    if (!json_object_is_type(stats, json_type_array))
        return g_strdup("");
    GPtrArray *labels = abfs_stream_labels(stats, "streamName", "streamNamespace");
    GString *out = g_string_new(NULL);
    for (guint i = 0; i < labels->len; i++) {
        json_object *s = json_object_array_get_idx(stats, i);
        g_string_append_printf(out, "%s\t%" G_GINT64_FORMAT "\t%" G_GINT64_FORMAT "\n",
                               (const char *)g_ptr_array_index(labels, i), int_member(s, "recordsCommitted"),
                               int_member(s, "bytesCommitted"));
    }
    g_ptr_array_free(labels, TRUE);
    return g_string_free(out, FALSE);
}

GPtrArray *abfs_job_attempt_numbers(json_object *info)
{
    GPtrArray *out = g_ptr_array_new_with_free_func(g_free);
    json_object *attempts = attempts_of(info);
    for (gsize i = 0; attempts && i < json_object_array_length(attempts); i++) {
        json_object *id = json_object_object_get(json_object_object_get(json_object_array_get_idx(attempts, i), "attempt"),
                                                 "id");
        if (json_object_is_type(id, json_type_int))
            g_ptr_array_add(out, g_strdup_printf("%" G_GINT64_FORMAT, json_object_get_int64(id)));
    }
    return out;
}

json_object *abfs_job_attempt(json_object *info, gint64 number)
{
    json_object *attempts = attempts_of(info);
    for (gsize i = 0; attempts && i < json_object_array_length(attempts); i++) {
        json_object *attempt = json_object_object_get(json_object_array_get_idx(attempts, i), "attempt");
        json_object *id = json_object_object_get(attempt, "id");
        if (json_object_is_type(id, json_type_int) && json_object_get_int64(id) == number)
            return attempt;
    }
    return NULL;
}

static const char *const attempt_files[] = {"status", "failure", "stats.json", "log", NULL};

gboolean abfs_attempt_file_exists(const char *name)
{
    return g_strv_contains(attempt_files, name);
}

const char *const *abfs_attempt_file_names(void)
{
    return attempt_files;
}

char *abfs_attempt_file(json_object *attempt, const char *name)
{
    if (strcmp(name, "status") == 0)
        return abfs_text_line(abfs_json_string(attempt, "status"));
    if (strcmp(name, "failure") == 0)
        return abfs_attempt_failure_line(attempt);
    if (strcmp(name, "stats.json") == 0) {
        static const char *const keys[] = {"bytesSynced", "recordsSynced", "createdAt", "endedAt", "totalStats",
                                           "streamStats"};
        json_object *stats = json_object_new_object();
        for (gsize i = 0; i < G_N_ELEMENTS(keys); i++) {
            json_object *v = json_object_object_get(attempt, keys[i]);
            if (v)
                json_object_object_add(stats, keys[i], json_object_get(v));
        }
        char *text = abfs_json_pretty(stats);
        json_object_put(stats);
        return text;
    }
    return NULL;
}

void abfs_attempt_log_append(GString *out, json_object *logs)
{
    json_object *events = json_object_object_get(logs, "events");
    json_object *lines = json_object_object_get(logs, "logLines");
    if (json_object_is_type(events, json_type_array)) {
        for (gsize k = 0; k < json_object_array_length(events); k++) {
            json_object *e = json_object_array_get_idx(events, k);
            const char *level = abfs_json_string(e, "level");
            const char *msg = abfs_json_string(e, "message");
            g_string_append_printf(out, "[%" G_GINT64_FORMAT "] %s: %s\n",
                                   json_object_get_int64(json_object_object_get(e, "timestamp")), level ? level : "INFO",
                                   msg ? msg : "");
        }
    } else if (json_object_is_type(lines, json_type_array)) {
        for (gsize k = 0; k < json_object_array_length(lines); k++) {
            json_object *l = json_object_array_get_idx(lines, k);
            g_string_append_printf(out, "%s\n", json_object_is_type(l, json_type_string) ? json_object_get_string(l) : "");
        }
    }
}
