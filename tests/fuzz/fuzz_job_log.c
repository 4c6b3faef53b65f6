/* tests/fuzz/fuzz_job_log.c — libFuzzer harness for core/jobs.c's pure functions: the log text of a
 * Config API JobInfoRead (abfs_job_log_text), and the lenient time and duration parsers
 * (abfs_time_iso, abfs_duration_seconds) on the raw input text and on every string of the JSON.
 *
 * Input: a JobInfoRead body (parsed with abfs_json_parse; a text that is not JSON still goes to the
 * time and duration parsers).
 *
 * Invariants: the log text is never NULL; it is empty when there is no attempt, otherwise it starts
 * with "==== attempt 0 ====\n", has one such header for each attempt, in order, and ends with a
 * newline. A time is NULL or "YYYY-MM-DDTHH:MM:SSZ" that abfs_time_iso maps to itself; a duration
 * is -1 or at least 0 (and UBSan checks its arithmetic). */
#include "fuzz_common.h"
#include "jobs.h"
#include "json_util.h"

static void check_time(const char *text)
{
    char *iso = abfs_time_iso(text);
    if (!iso)
        return;
    FUZZ_CHECK(strlen(iso) == 20 && iso[4] == '-' && iso[7] == '-' && iso[10] == 'T' && iso[13] == ':' &&
                   iso[16] == ':' && iso[19] == 'Z',
               "abfs_time_iso(\"%s\") = \"%s\"", text, iso);
    for (int i = 0; i < 19; i++)
        FUZZ_CHECK(g_ascii_isdigit(iso[i]) || i == 4 || i == 7 || i == 10 || i == 13 || i == 16,
                   "abfs_time_iso(\"%s\") = \"%s\"", text, iso);
    char *again = abfs_time_iso(iso);
    FUZZ_CHECK(again && strcmp(again, iso) == 0, "abfs_time_iso(\"%s\") = \"%s\", not itself", iso,
               again ? again : "NULL");
    g_free(again);
    g_free(iso);
}

static void check_duration(const char *text)
{
    gint64 s = abfs_duration_seconds(text);
    FUZZ_CHECK(s >= -1, "abfs_duration_seconds(\"%s\") = %" G_GINT64_FORMAT, text, s);
}

/* The time and duration parsers on every string in value (startTime, duration, ... wherever). */
static void check_strings(json_object *value)
{
    switch (json_object_get_type(value)) {
    case json_type_string:
        check_time(json_object_get_string(value));
        check_duration(json_object_get_string(value));
        break;
    case json_type_array:
        for (size_t i = 0; i < json_object_array_length(value); i++)
            check_strings(json_object_array_get_idx(value, i));
        break;
    case json_type_object: {
        json_object_object_foreach(value, key, child) {
            (void)key;
            check_strings(child);
        }
        break;
    }
    default:
        break;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *input = fuzz_copy(data, size);
    check_time(input);
    check_duration(input);

    json_object *info = abfs_json_parse(input, size, NULL);
    char *log = abfs_job_log_text(info);
    FUZZ_CHECK(log != NULL, "NULL log");
    json_object *attempts = json_object_object_get(info, "attempts");
    size_t n = json_object_is_type(attempts, json_type_array) ? json_object_array_length(attempts) : 0;
    if (n == 0)
        FUZZ_CHECK(log[0] == '\0', "log text without attempts: \"%.80s\"", log);
    else {
        FUZZ_CHECK(g_str_has_prefix(log, "==== attempt 0 ====\n"), "log starts with \"%.40s\"", log);
        FUZZ_CHECK(g_str_has_suffix(log, "\n"), "log does not end with a newline");
        /* The headers, in order (a message could contain a fake header, so search forwards). */
        const char *p = log;
        for (size_t i = 0; i < n; i++) {
            char *header = g_strdup_printf("==== attempt %zu ====\n", i);
            const char *at = strstr(p, header);
            FUZZ_CHECK(at != NULL, "no header for attempt %zu", i);
            p = at + strlen(header);
            g_free(header);
        }
    }
    check_strings(info);

    g_free(log);
    json_object_put(info);
    g_free(input);
    return 0;
}
