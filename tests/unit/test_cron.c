/* tests/unit/test_cron.c — GLib unit tests for core/cron.c (abfs_cron_normalize): Quartz
 * validation, normalization (whitespace, UTC suffix, case), Unix 5-field and @macro conversion,
 * error messages, idempotence. */
#include "cron.h"

#include <string.h>

typedef struct {
  const char *in;
  const char *out;
} Conv;

typedef struct {
  const char *in;
  const char *needle; /* must appear in the error message */
} Bad;

/* Valid Quartz, already canonical: must pass unchanged. */
static const char *const QUARTZ_VALID[] = {
    "0 0 0 * * ?",        "0 0 */6 * * ?",       "0 0 0 ? * SUN",         "0 0 12 * * ?",
    "0 30 2 ? * 2-6",     "0 0 6 ? * MON-FRI",   "0 0 0 L * ?",           "0 0 0 LW * ?",
    "0 0 0 15W * ?",      "0 0 0 L-3 * ?",       "0 0 0 ? * 6L",          "0 0 0 ? * L",
    "0 0 0 ? * 2#1",      "0 0 0 ? * MON#2",     "0 0 0 1,15 * ?",        "0 0 0 1 JAN,JUL ?",
    "0 15 10 ? * 6L 2024", "0 0 0 1 1 ? 2025-2030", "0 0 0 * * ? *",       "0 0 1-5/2 * * ?",
    "0 0 5/3 * * ?",      "0 0 22-2 * * ?",      "0 0 0 ? * FRI-MON",     "59 59 23 31 12 ?",
    "0 0 0 ? */3 *",      "0 0 12 1/5 * ?",      "0 0 0 ? JAN-MAR 1,7",   "0 0 0 ? * *",
    "0 * * * * ?",        "30 */15 * * * ?",     "0 0 0 1 1 ? 2099",      "0 0 0 1 1 ? 1970,2030",
    "0 0 0 31 DEC ?",     "0 0 0 ? * 7",         "0 0 0 ? * 1-7/2",       "0 0 1,2,3-5,22-23 * * ?",
    "0 5 0 * * ? 2030",   "0 0 */23 * * ?",      "0 0 0 */31 * ?",        "0 0 0 ? * */7",
};

/* Valid Quartz that normalization rewrites. */
static const Conv QUARTZ_NORMALIZED[] = {
    {"0 0 12 * * ? UTC", "0 0 12 * * ?"},
    {"0 0 12 * * ? utc", "0 0 12 * * ?"},
    {"0 0 12 * * ? 2030 UTC", "0 0 12 * * ? 2030"},
    {"  0   0\t12 * *  ?  ", "0 0 12 * * ?"},
    {"\n0 0 12\t\t* * ?\r\n", "0 0 12 * * ?"},
    {" 0 0 12 * * ?   UTC  ", "0 0 12 * * ?"},
    {"0 0 0 ? * mon-fri", "0 0 0 ? * MON-FRI"},
    {"0 0 0 1 jan ?", "0 0 0 1 JAN ?"},
    {"0 0 0 l * ?", "0 0 0 L * ?"},
    {"0 0 0 lw * ?", "0 0 0 LW * ?"},
    {"0 0 0 15w * ?", "0 0 0 15W * ?"},
    {"0 0 0 ? * 6l", "0 0 0 ? * 6L"},
    {"0 0 0 ? * Tue#3", "0 0 0 ? * TUE#3"},
    {"00 05 06 * * ?", "0 5 6 * * ?"},
    {"0 0 0 01-09/02 * ?", "0 0 0 1-9/2 * ?"},
};

/* Unix 5-field cron converted to Quartz. */
static const Conv UNIX_CONVERTED[] = {
    {"0 6 * * *", "0 0 6 * * ?"},
    {"30 2 * * 1-5", "0 30 2 ? * 2-6"},
    {"0 0 1 * *", "0 0 0 1 * ?"},
    {"*/15 * * * *", "0 */15 * * * ?"},
    {"0 */6 * * *", "0 0 */6 * * ?"},
    {"0 0 1,15 * *", "0 0 0 1,15 * ?"},
    {"0 0 1 jan *", "0 0 0 1 JAN ?"},
    {"0 9-17 * 1-6 *", "0 0 9-17 * 1-6 ?"},
    {"15 3 */2 * *", "0 15 3 */2 * ?"},
    {"0 0 * * * UTC", "0 0 0 * * ?"},
    {"  0  0 *\t* *  ", "0 0 0 * * ?"},
    {"05 04 * * *", "0 5 4 * * ?"},
};

/* Unix day-of-week mapping (0 and 7 = SUN -> 1, names kept). */
static const Conv UNIX_DOW[] = {
    {"0 0 * * 0", "0 0 0 ? * 1"},
    {"0 0 * * 7", "0 0 0 ? * 1"},
    {"0 0 * * 1", "0 0 0 ? * 2"},
    {"0 0 * * 6", "0 0 0 ? * 7"},
    {"0 0 * * 1-5", "0 0 0 ? * 2-6"},
    {"0 0 * * 0-6", "0 0 0 ? * 1-7"},
    {"0 0 * * 0-7", "0 0 0 ? * 1-7"},
    {"0 0 * * 1-7", "0 0 0 ? * 2-7,1"},
    {"0 0 * * 5-7", "0 0 0 ? * 6-7,1"},
    {"0 0 * * 6-7", "0 0 0 ? * 7,1"},
    {"0 0 * * 7-7", "0 0 0 ? * 1"},
    {"0 0 * * 0,3,6", "0 0 0 ? * 1,4,7"},
    {"0 0 * * 1,7", "0 0 0 ? * 2,1"},
    {"0 0 * * SUN-SAT", "0 0 0 ? * SUN-SAT"},
    {"0 0 * * sun-sat", "0 0 0 ? * SUN-SAT"},
    {"0 0 * * MON-FRI", "0 0 0 ? * MON-FRI"},
    {"0 0 * * SUN", "0 0 0 ? * SUN"},
    {"0 0 * * sat,sun", "0 0 0 ? * SAT,SUN"},
    {"0 0 * * */2", "0 0 0 ? * */2"},
    {"0 0 * * 1-5/2", "0 0 0 ? * 2-6/2"},
    {"0 0 * * 0/2", "0 0 0 ? * 1/2"},           /* 0,2,4,6 = SUN,TUE,THU,SAT */
    {"0 0 * * 1/2", "0 0 0 ? * 2/2,1"},         /* 1,3,5,7 = MON,WED,FRI,SUN */
    {"0 0 * * 2/2", "0 0 0 ? * 3/2"},           /* 2,4,6   = TUE,THU,SAT */
    {"0 0 * * 1-7/3", "0 0 0 ? * 2-7/3,1"},     /* 1,4,7   = MON,THU,SUN */
    {"0 0 * * 2-7/3", "0 0 0 ? * 3-7/3"},       /* 2,5     = TUE,FRI */
    {"0 0 * * MON-5", "0 0 0 ? * MON-6"},
};

/* Unix macros. */
static const Conv MACROS[] = {
    {"@hourly", "0 0 * * * ?"},    {"@daily", "0 0 0 * * ?"},     {"@midnight", "0 0 0 * * ?"},
    {"@weekly", "0 0 0 ? * 1"},    {"@monthly", "0 0 0 1 * ?"},   {"@yearly", "0 0 0 1 1 ?"},
    {"@annually", "0 0 0 1 1 ?"},  {"@DAILY", "0 0 0 * * ?"},     {"  @Hourly  UTC", "0 0 * * * ?"},
};

/* The `?` rule. */
static const Bad BAD_QMARK[] = {
    {"0 0 0 * * *", "exactly one"},
    {"0 0 0 1 * MON", "exactly one"},
    {"0 0 0 ? * ?", "both `?`"},
    {"0 0 0 L * L", "`?`"},
};

/* Out-of-range values. */
static const Bad BAD_RANGE[] = {
    {"60 0 0 * * ?", "out of range 0-59"},
    {"0 60 0 * * ?", "out of range 0-59"},
    {"0 0 24 * * ?", "out of range 0-23"},
    {"0 0 0 0 * ?", "out of range 1-31"},
    {"0 0 0 32 * ?", "out of range 1-31"},
    {"0 0 0 1 0 ?", "out of range 1-12"},
    {"0 0 0 1 13 ?", "out of range 1-12"},
    {"0 0 0 ? * 0", "out of range 1-7"},
    {"0 0 0 ? * 8", "out of range 1-7"},
    {"0 0 0 * * ? 1969", "out of range 1970-2099"},
    {"0 0 0 * * ? 2100", "out of range 1970-2099"},
    {"0 0 0 ? * 1-8", "out of range 1-7"},
    {"0 0 0 40W * ?", "out of range 1-31"},
    {"0 0 0 ? * 9L", "out of range 1-7"},
    {"0 0 0 ? * 0#1", "out of range 1-7"},
    {"0 0 99999999999999999999 * * ?", "out of range 0-23"},
    {"0 0 0 ? * 2#6", "between 1 and 5"},
    {"0 0 0 ? * 2#0", "between 1 and 5"},
    {"0 0 0 L-31 * ?", "between 1 and 30"},
    {"0 0 0 L-0 * ?", "between 1 and 30"},
    {"0 0 */0 * * ?", "step 0 must be between 1 and 23"},
    {"0 0 */24 * * ?", "step 24 must be between 1 and 23"},
    {"0 */60 0 * * ?", "between 1 and 59"},
    {"0 0 0 ? * */8", "between 1 and 7"},
    {"0 0 0 * * ? 2030-2025", "backwards"},
    {"0 0 0 * * ? 2025/2", "not allowed in the year field"},
};

/* Airbyte: seconds (and, with a year, minutes) must be a plain integer. */
static const Bad BAD_SECONDS[] = {
    {"* 0 0 * * ?", "cannot be `*`"},
    {"*/5 0 0 * * ?", "cannot be `*`"},
    {"0,30 0 0 * * ?", "seconds field"},
    {"0-5 0 0 * * ?", "seconds field"},
    {"0/5 0 0 * * ?", "seconds field"},
    {"0 * 0 * * ? 2025", "cannot be `*`"},
    {"0 */5 0 * * ? 2025", "minutes field"},
    {"0 1,2 0 * * ? *", "minutes field"},
};

/* Other syntax errors. */
static const Bad BAD_SYNTAX[] = {
    {"0 0 0 ? * FOO", "not a valid day-of-week name"},
    {"0 0 0 1 FOO ?", "not a valid month name"},
    {"0 0 0 ? * FRIL", "not a valid day-of-week name"},
    {"0 0 x * * ?", "not a number"},
    {"0 0 MON * * ?", "not a number"},
    {"0 0 L * * ?", "`L` is not allowed"},
    {"0 0 0 1 L ?", "`L` is not allowed"},
    {"0 0 0 ? * LW", "`LW` is not allowed"},
    {"0 0 0 ? * 1W", "`W` is not allowed"},
    {"0 0 0 5L * ?", "`nL` is not allowed"},
    {"0 0 0 2#1 * ?", "`#` is not allowed"},
    {"0 0 0 ? * L-2", "unexpected `-`"},
    {"0 ? 0 * * ?", "`?` is not allowed"},
    {"0 0 0 1,L * ?", "must stand alone"},
    {"0 0 0 ?,1 * ?", "must stand alone"},
    {"0 0 *,1 * * ?", "must stand alone"},
    {"0 0 0 ? * 2#1,3", "must stand alone"},
    {"0 0 1-2-3 * * ?", "unexpected `-`"},
    {"0 0 1, * * ?", "empty element"},
    {"0 0 ,1 * * ?", "empty element"},
    {"0 0 1,,2 * * ?", "empty element"},
    {"0 0 - * * ?", "unexpected `-`"},
    {"0 0 1- * * ?", "expected a number at the end"},
    {"0 0 1/ * * ?", "expected a number at the end"},
    {"0 0 */ * * ?", "expected a number at the end"},
    {"0 0 ** * * ?", "unexpected `*`"},
    {"0 0 +1 * * ?", "unexpected `+`"},
    {"0 0 -1 * * ?", "unexpected `-`"},
    {"0 0 1\x01 * * ?", "0x01"},
    {"0 0 1\xc3\xa9 * * ?", "0xC3"},
    {"0 0 0 15WW * ?", "unexpected `W`"},
    {"0 0 0 1#2 * ?", "`#` is not allowed"},
};

/* Wrong number of fields, garbage, macros. */
static const Bad BAD_SHAPE[] = {
    {"1 2 3 4", "got 4 fields"},
    {"0 0 0 * * ? 2025 x", "got 8 fields"},
    {"0 0 0 * * ? UTC UTC", "not a number"},
    {"garbage", "got 1 field"},
    {"0 0 12 * * ?UTC", "unexpected `U`"},
    {"@reboot", "@reboot"},
    {"@fortnightly", "unknown macro"},
    {"@daily 0", "must stand alone"},
    {"@", "unknown macro"},
};

/* Unix-specific errors. */
static const Bad BAD_UNIX[] = {
    {"0 0 1 * 1", "both day-of-month"},
    {"0 0 1 * MON", "Quartz cannot express"},
    {"0 0 */2 * MON", "both day-of-month"},
    {"0 0 1-15 * 1-5", "both day-of-month"},
    {"0 0 * * 8", "out of range 0-7"},
    {"60 * * * *", "out of range 0-59"},
    {"0 24 * * *", "out of range 0-23"},
    {"0 0 0 * *", "out of range 1-31"},
    {"0 0 * 13 *", "out of range 1-12"},
    {"0 0 * * ?", "5-field Unix cron"},
    {"0 0 L * *", "5-field Unix cron"},
    {"0 0 * * 5L", "5-field Unix cron"},
    {"0 0 * * 1#2", "5-field Unix cron"},
    {"0 0 * * 5-1", "backwards"},
    {"0 0 * * MON-SUN", "backwards"},
    {"0 22-2 * * *", "backwards"},
    {"*/60 * * * *", "between 1 and 59"},
    {"0 0 * * */8", "between 1 and 7"},
};

/* ---------------------------------------------------------------------------------------- */

static void assert_ok(const char *in, const char *expected)
{
  GError *error = NULL;
  char *out = abfs_cron_normalize(in, &error);
  if (error)
    g_test_message("input <%s>: %s", in, error->message);
  g_assert_no_error(error);
  g_assert_nonnull(out);
  if (g_strcmp0(out, expected) != 0)
    g_test_message("input <%s>", in);
  g_assert_cmpstr(out, ==, expected);
  g_free(out);
}

static void assert_bad(const char *in, const char *needle)
{
  GError *error = NULL;
  char *out = abfs_cron_normalize(in, &error);
  if (out)
    g_test_message("input <%s> unexpectedly gave <%s>", in ? in : "(null)", out);
  g_assert_null(out);
  g_assert_error(error, ABFS_CRON_ERROR, ABFS_CRON_ERROR_INVALID);
  if (!strstr(error->message, needle))
    g_test_message("input <%s>: message <%s> lacks <%s>", in ? in : "(null)", error->message,
                   needle);
  g_assert_nonnull(strstr(error->message, needle));
  /* One line, printable, valid UTF-8. */
  g_assert_null(strchr(error->message, '\n'));
  g_assert_null(strchr(error->message, '\r'));
  g_assert_true(g_utf8_validate(error->message, -1, NULL));
  g_error_free(error);
}

static void assert_bad_table(const Bad *t, gsize n)
{
  for (gsize i = 0; i < n; i++)
    assert_bad(t[i].in, t[i].needle);
}

static void assert_conv_table(const Conv *t, gsize n)
{
  for (gsize i = 0; i < n; i++)
    assert_ok(t[i].in, t[i].out);
}

static void assert_idempotent(const char *in)
{
  GError *error = NULL;
  char *once = abfs_cron_normalize(in, &error);
  g_assert_no_error(error);
  char *twice = abfs_cron_normalize(once, &error);
  g_assert_no_error(error);
  g_assert_cmpstr(once, ==, twice);
  /* The result is always 6 or 7 single-space separated Quartz fields. */
  char **f = g_strsplit(once, " ", -1);
  guint n = g_strv_length(f);
  g_assert_true(n == 6 || n == 7);
  for (guint i = 0; i < n; i++)
    g_assert_cmpuint(strlen(f[i]), >, 0);
  g_strfreev(f);
  g_free(once);
  g_free(twice);
}

/* ---------------------------------------------------------------------------------------- */

static void test_quartz_valid_unchanged(void)
{
  for (gsize i = 0; i < G_N_ELEMENTS(QUARTZ_VALID); i++)
    assert_ok(QUARTZ_VALID[i], QUARTZ_VALID[i]);
}

static void test_utc_suffix_dropped(void)
{
  assert_ok("0 0 12 * * ? UTC", "0 0 12 * * ?");
  assert_ok("0 0 12 * * ? utc", "0 0 12 * * ?");
  assert_ok("0 0 12 * * ? 2030 UTC", "0 0 12 * * ? 2030");
  assert_ok("0 0 0 ? * SUN UTC", "0 0 0 ? * SUN");
  /* Only the trailing time zone goes; anything else is still checked. */
  assert_bad("UTC 0 0 12 * * ?", "not a number");
  assert_bad("UTC", "empty");
}

static void test_whitespace_normalized(void)
{
  assert_ok("  0   0\t12 * *  ?  ", "0 0 12 * * ?");
  assert_ok("\n0 0 12\t\t* * ?\r\n", "0 0 12 * * ?");
  assert_ok(" 0 0 12 * * ?   UTC  ", "0 0 12 * * ?");
  assert_ok("\v0\f0 12 * * ?", "0 0 12 * * ?");
}

static void test_quartz_canonical_form(void)
{
  assert_conv_table(QUARTZ_NORMALIZED, G_N_ELEMENTS(QUARTZ_NORMALIZED));
}

static void test_quartz_question_mark_rule(void)
{
  assert_bad_table(BAD_QMARK, G_N_ELEMENTS(BAD_QMARK));
}

static void test_quartz_ranges(void)
{
  assert_bad_table(BAD_RANGE, G_N_ELEMENTS(BAD_RANGE));
  /* Boundaries are accepted. */
  assert_ok("59 59 23 31 12 ? 2099", "59 59 23 31 12 ? 2099");
  assert_ok("0 0 0 1 1 ? 1970", "0 0 0 1 1 ? 1970");
  assert_ok("0 0 0 ? 1 1", "0 0 0 ? 1 1");
  assert_ok("0 0 0 ? 12 7", "0 0 0 ? 12 7");
}

static void test_quartz_seconds_minutes_integer(void)
{
  assert_bad_table(BAD_SECONDS, G_N_ELEMENTS(BAD_SECONDS));
  /* Minutes may be anything in a 6-field expression. */
  assert_ok("0 */5 * * * ?", "0 */5 * * * ?");
  assert_ok("0 5 * * * ? 2030", "0 5 * * * ? 2030");
}

static void test_quartz_syntax_errors(void)
{
  assert_bad_table(BAD_SYNTAX, G_N_ELEMENTS(BAD_SYNTAX));
}

static void test_bad_shape(void)
{
  assert_bad_table(BAD_SHAPE, G_N_ELEMENTS(BAD_SHAPE));
}

static void test_unix_conversion(void)
{
  assert_conv_table(UNIX_CONVERTED, G_N_ELEMENTS(UNIX_CONVERTED));
}

static void test_unix_dow_mapping(void)
{
  assert_conv_table(UNIX_DOW, G_N_ELEMENTS(UNIX_DOW));
}

static void test_unix_dom_dow_both_restricted(void)
{
  assert_bad("0 0 1 * 1", "either matches");
  assert_bad("0 0 1 * MON", "restrict only one");
  assert_bad("0 0 */2 * */2", "both day-of-month");
  /* One side `*` is fine either way round. */
  assert_ok("0 0 1 * *", "0 0 0 1 * ?");
  assert_ok("0 0 * * 1", "0 0 0 ? * 2");
  assert_ok("0 0 * * *", "0 0 0 * * ?");
}

static void test_unix_errors(void)
{
  assert_bad_table(BAD_UNIX, G_N_ELEMENTS(BAD_UNIX));
}

static void test_macros(void)
{
  assert_conv_table(MACROS, G_N_ELEMENTS(MACROS));
  assert_bad("@reboot", "not a schedule");
  assert_bad("@Fortnightly", "unknown macro");
  assert_bad("@weekly MON", "must stand alone");
}

static void test_idempotent(void)
{
  gsize i;
  for (i = 0; i < G_N_ELEMENTS(QUARTZ_VALID); i++)
    assert_idempotent(QUARTZ_VALID[i]);
  const Conv *tables[] = {QUARTZ_NORMALIZED, UNIX_CONVERTED, UNIX_DOW, MACROS};
  const gsize sizes[] = {G_N_ELEMENTS(QUARTZ_NORMALIZED), G_N_ELEMENTS(UNIX_CONVERTED),
                         G_N_ELEMENTS(UNIX_DOW), G_N_ELEMENTS(MACROS)};
  for (gsize t = 0; t < G_N_ELEMENTS(tables); t++)
    for (i = 0; i < sizes[t]; i++)
      assert_idempotent(tables[t][i].in);
}

static void test_null_and_empty(void)
{
  assert_bad(NULL, "empty");
  assert_bad("", "empty");
  assert_bad("   ", "empty");
  assert_bad("\t\n \r", "empty");
  /* A NULL GError** is allowed. */
  g_assert_null(abfs_cron_normalize("", NULL));
  g_assert_null(abfs_cron_normalize("0 0 0 * * *", NULL));
  char *out = abfs_cron_normalize("0 0 0 * * ?", NULL);
  g_assert_cmpstr(out, ==, "0 0 0 * * ?");
  g_free(out);
}

static void test_messages_mention_field(void)
{
  /* Messages name the field and quote what was written. */
  assert_bad("0 0 25 * * ?", "hours field `25`");
  assert_bad("0 0 0 ? * 0", "day-of-week field `0`");
  assert_bad("0 0 0 ? * 0", "SUN=1");
  assert_bad("0 0 0 1 FOO ?", "month field `FOO`");
  /* Long garbage is truncated in the message. */
  char *long_tok = g_strnfill(500, '9');
  char *in = g_strdup_printf("0 0 %s * * ?", long_tok);
  GError *error = NULL;
  g_assert_null(abfs_cron_normalize(in, &error));
  g_assert_error(error, ABFS_CRON_ERROR, ABFS_CRON_ERROR_INVALID);
  g_assert_cmpuint(strlen(error->message), <, 300);
  g_error_free(error);
  g_free(in);
  g_free(long_tok);
}

int main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/cron/quartz/valid-unchanged", test_quartz_valid_unchanged);
  g_test_add_func("/cron/quartz/utc-suffix-dropped", test_utc_suffix_dropped);
  g_test_add_func("/cron/whitespace-normalized", test_whitespace_normalized);
  g_test_add_func("/cron/quartz/canonical-form", test_quartz_canonical_form);
  g_test_add_func("/cron/quartz/question-mark-rule", test_quartz_question_mark_rule);
  g_test_add_func("/cron/quartz/ranges", test_quartz_ranges);
  g_test_add_func("/cron/quartz/seconds-minutes-integer", test_quartz_seconds_minutes_integer);
  g_test_add_func("/cron/quartz/syntax-errors", test_quartz_syntax_errors);
  g_test_add_func("/cron/bad-shape", test_bad_shape);
  g_test_add_func("/cron/unix/conversion", test_unix_conversion);
  g_test_add_func("/cron/unix/dow-mapping", test_unix_dow_mapping);
  g_test_add_func("/cron/unix/dom-dow-both-restricted", test_unix_dom_dow_both_restricted);
  g_test_add_func("/cron/unix/errors", test_unix_errors);
  g_test_add_func("/cron/macros", test_macros);
  g_test_add_func("/cron/idempotent", test_idempotent);
  g_test_add_func("/cron/null-and-empty", test_null_and_empty);
  g_test_add_func("/cron/messages", test_messages_mention_field);
  return g_test_run();
}
