/* core/cron.h — normalization of connection schedule cron expressions.
 *
 * airbytefs lets users write a schedule either as a Quartz cron expression (what the Airbyte
 * server stores and validates) or as a familiar 5-field Unix cron / @macro; this module turns
 * whatever the user wrote into the canonical Quartz string to send to the server, or explains in
 * one line why it cannot. Pure function, no I/O, thread-safe. The rules are the Airbyte server's for
 * AirbyteApiConnectionSchedule.cronExpression (cron-utils' QUARTZ definition, below). */
#ifndef ABFS_CORE_CRON_H
#define ABFS_CORE_CRON_H

#include <glib.h>

G_BEGIN_DECLS

#define ABFS_CRON_ERROR (abfs_cron_error_quark())
GQuark abfs_cron_error_quark(void);

typedef enum { ABFS_CRON_ERROR_INVALID } AbfsCronError;

/* Normalizes a schedule cron expression as airbytefs accepts it from a user and returns the
 * Quartz form the Airbyte server stores (newly allocated, g_free it), or NULL with a GError
 * (ABFS_CRON_ERROR / ABFS_CRON_ERROR_INVALID) whose message is a one-line, user-facing explanation.
 * Rules:
 *  - surrounding whitespace trimmed, runs of blanks collapsed to one space; a trailing " UTC" (the
 *    time zone the server appends when reading back) is dropped;
 *  - a Quartz expression (6 or 7 fields: sec min hour day-of-month month day-of-week [year]) is
 *    validated like the server (cron-utils QUARTZ definition): field ranges (sec/min 0-59, hour 0-23,
 *    dom 1-31, month 1-12 or JAN-DEC, dow 1-7 or SUN-SAT, year 1970-2099), the syntax `*`, `?`,
 *    `a-b` (wrapping ranges like `22-2` allowed except in year), `a/b`, `*\/b`, `a-b/c` (step 1..field
 *    max; no steps in year), lists `a,b,c`, `L`, `LW`, `nW`, `L-n` in dom, `L`, `nL`, `n#k` (k 1-5)
 *    in dow; `?`, `*` and the L/W/# forms must stand alone (not in lists); names case-insensitive;
 *    exactly one of dom/dow must be `?`;
 *    Airbyte also requires the seconds field (and, for 7-field expressions, the minutes field) to
 *    be a single plain integer (not `*`, a list, range or step);
 *    output is canonical: names and L/W upper-case, numbers without leading zeros;
 *  - a 5-field Unix cron (min hour dom month dow; dow 0-7 with 0 and 7 = Sunday, or SUN-SAT) is
 *    CONVERTED to the equivalent Quartz form: seconds `0` prefixed; dow numbers map to Quartz
 *    (SUN=1) element-wise, names kept; a dow range or step reaching 7 (Sunday) is split, e.g.
 *    `5-7` -> `6-7,1`; `a/s` means `a-max/s`; if dom is `*` and dow restricted, dom becomes `?`;
 *    if dow is `*`, dow becomes `?`; if both are restricted (Unix means OR) -> error;
 *    e.g. "0 6 * * *" -> "0 0 6 * * ?", "30 2 * * 1-5" -> "0 30 2 ? * 2-6",
 *    "0 0 1 * *" -> "0 0 0 1 * ?";
 *    macros @hourly "0 0 * * * ?", @daily/@midnight "0 0 0 * * ?", @weekly "0 0 0 ? * 1",
 *    @monthly "0 0 0 1 * ?", @yearly/@annually "0 0 0 1 1 ?" (case-insensitive);
 *  - anything else (NULL, empty, 1-4 or 8+ fields, garbage, @reboot) -> error.
 * The result of normalizing an already-normalized expression is itself (idempotent). */
char *abfs_cron_normalize(const char *input, GError **error);

G_END_DECLS

#endif /* ABFS_CORE_CRON_H */
