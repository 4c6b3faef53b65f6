/* core/cron.c — normalizes user-written schedule cron expressions (Quartz, 5-field Unix cron,
 * @macros) into the canonical Quartz form the Airbyte server accepts; see cron.h for the contract.
 *
 * Structure: the expression is split into blank-separated fields; each field is parsed by one
 * small recursive-descent item parser driven by a FieldSpec table row (range, names, allowed
 * special forms, step limit, whether ranges may wrap). Quartz and Unix are just two tables.
 * Parsed items are re-serialized canonically; Unix input is converted item by item and the
 * resulting Quartz string is run through the Quartz path again, which guarantees that every
 * result is valid and that normalization is idempotent. */
#include "cron.h"
#include "text.h"

#include <stdarg.h>
#include <string.h>

G_DEFINE_QUARK(abfs-cron-error-quark, abfs_cron_error)

/* ------------------------------------------------------------------------------------------ */
/* Field table                                                                                 */

enum {
  SP_QMARK = 1u << 0, /* `?`               */
  SP_L = 1u << 1,     /* `L` alone         */
  SP_LW = 1u << 2,    /* `LW`              */
  SP_LOFF = 1u << 3,  /* `L-n` (dom)       */
  SP_W = 1u << 4,     /* `nW` (dom)        */
  SP_NL = 1u << 5,    /* `nL` (dow)        */
  SP_HASH = 1u << 6,  /* `n#k` (dow)       */
};

typedef struct {
  const char *name;         /* user-facing field name */
  int min, max;             /* value range */
  int max_step;             /* largest `/step`; 0 = steps not allowed */
  gboolean wrap;            /* `a-b` with a > b allowed (wraps around) */
  const char *const *names; /* NULL-terminated; names[i] means name_base + i */
  int name_base;
  unsigned specials;        /* SP_* forms allowed */
  const char *hint;         /* appended to out-of-range messages */
  const char *dialect;      /* appended to "not allowed" messages */
} FieldSpec;

static const char *const MONTH_NAMES[] = {"JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL",
                                          "AUG", "SEP", "OCT", "NOV", "DEC", NULL};
static const char *const DAY_NAMES[] = {"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT", NULL};

#define UNIX_NOTE " in a 5-field Unix cron (a Quartz expression needs 6 or 7 fields, seconds first)"

enum { Q_SEC, Q_MIN, Q_HOUR, Q_DOM, Q_MONTH, Q_DOW, Q_YEAR, Q_NFIELDS };
enum { U_MIN, U_HOUR, U_DOM, U_MONTH, U_DOW, U_NFIELDS };

/* Quartz as validated by cron-utils' QUARTZ definition (year is a strict, step-less range). */
static const FieldSpec QUARTZ_FIELDS[Q_NFIELDS] = {
    /* name           min   max   step wrap   names        base specials */
    {"seconds", 0, 59, 59, TRUE, NULL, 0, 0, "", ""},
    {"minutes", 0, 59, 59, TRUE, NULL, 0, 0, "", ""},
    {"hours", 0, 23, 23, TRUE, NULL, 0, 0, "", ""},
    {"day-of-month", 1, 31, 31, TRUE, NULL, 0, SP_QMARK | SP_L | SP_LW | SP_LOFF | SP_W, "", ""},
    {"month", 1, 12, 12, TRUE, MONTH_NAMES, 1, 0, " (or JAN-DEC)", ""},
    {"day-of-week", 1, 7, 7, TRUE, DAY_NAMES, 1, SP_QMARK | SP_L | SP_NL | SP_HASH,
     " (Quartz counts SUN=1 to SAT=7, or use SUN-SAT)", ""},
    {"year", 1970, 2099, 0, FALSE, NULL, 0, 0, "", ""},
};

/* Unix (vixie/cronie) cron: no specials, no wrapping ranges, day-of-week 0-7 with SUN=0. */
static const FieldSpec UNIX_FIELDS[U_NFIELDS] = {
    {"minutes", 0, 59, 59, FALSE, NULL, 0, 0, "", UNIX_NOTE},
    {"hours", 0, 23, 23, FALSE, NULL, 0, 0, "", UNIX_NOTE},
    {"day-of-month", 1, 31, 31, FALSE, NULL, 0, 0, "", UNIX_NOTE},
    {"month", 1, 12, 12, FALSE, MONTH_NAMES, 1, 0, " (or JAN-DEC)", UNIX_NOTE},
    {"day-of-week", 0, 7, 7, FALSE, DAY_NAMES, 0, 0, " (0 or 7 = SUN, 6 = SAT, or use SUN-SAT)",
     UNIX_NOTE},
};

static const struct {
  const char *name;
  const char *unix_form;
} MACROS[] = {
    {"@yearly", "0 0 1 1 *"}, {"@annually", "0 0 1 1 *"}, {"@monthly", "0 0 1 * *"},
    {"@weekly", "0 0 * * 0"}, {"@daily", "0 0 * * *"},    {"@midnight", "0 0 * * *"},
    {"@hourly", "0 * * * *"},
};

/* ------------------------------------------------------------------------------------------ */
/* Parsed items                                                                                */

typedef enum {
  IT_ANY,       /* *            (step optional) */
  IT_QMARK,     /* ?                            */
  IT_VALUE,     /* a            (step optional) */
  IT_RANGE,     /* a-b          (step optional) */
  IT_LAST,      /* L                            */
  IT_LW,        /* LW                           */
  IT_LOFF,      /* L-a                          */
  IT_NW,        /* aW                           */
  IT_NL,        /* aL                           */
  IT_NTH,       /* a#b                          */
} ItemKind;

/* How each kind is shown in "must stand alone" messages. */
static const char *const KIND_TEXT[] = {"*", "?", "a", "a-b", "L", "LW", "L-n", "nW", "nL", "n#k"};

typedef struct {
  ItemKind kind;
  int a, b;
  int step; /* 0 = none */
  gboolean a_name, b_name;
} Item;

static Item item_make(ItemKind kind, int a, gboolean a_name, int b, gboolean b_name, int step)
{
  Item it = {kind, a, b, step, a_name, b_name};
  return it;
}

/* ------------------------------------------------------------------------------------------ */
/* Errors                                                                                      */

/* Printable, backtick-free, bounded rendering of user text for messages. */
static char *echo(const char *s)
{
  GString *o = g_string_new(NULL);
  gsize i;
  for (i = 0; s[i] != '\0' && i < 40; i++) {
    guchar c = (guchar)s[i];
    if (c > 0x20 && c < 0x7f && c != '`')
      g_string_append_c(o, (char)c);
    else
      g_string_append_printf(o, "\\x%02X", c);
  }
  if (s[i] != '\0')
    g_string_append(o, "...");
  return g_string_free(o, FALSE);
}

static void set_error(GError **error, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
static void set_error(GError **error, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  char *msg = g_strdup_vprintf(fmt, ap);
  va_end(ap);
  g_set_error_literal(error, ABFS_CRON_ERROR, ABFS_CRON_ERROR_INVALID, msg);
  g_free(msg);
}

/* ------------------------------------------------------------------------------------------ */
/* Field parser                                                                                */

typedef struct {
  const FieldSpec *f;
  const char *tok; /* the whole field */
  const char *p;   /* cursor */
  GError **error;
} Parser;

static gboolean fail(Parser *ps, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
static gboolean fail(Parser *ps, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  char *detail = g_strdup_vprintf(fmt, ap);
  va_end(ap);
  char *tok = echo(ps->tok);
  set_error(ps->error, "%s field `%s`: %s", ps->f->name, tok, detail);
  g_free(tok);
  g_free(detail);
  return FALSE;
}

static gboolean fail_unexpected(Parser *ps, const char *expected)
{
  guchar c = (guchar)*ps->p;
  if (c == '\0')
    return fail(ps, "expected %s at the end", expected);
  if (c > 0x20 && c < 0x7f && c != '`')
    return fail(ps, "unexpected `%c` (expected %s)", c, expected);
  return fail(ps, "unexpected byte 0x%02X (expected %s)", c, expected);
}

static gboolean allow(Parser *ps, unsigned special, const char *text)
{
  if (ps->f->specials & special)
    return TRUE;
  return fail(ps, "`%s` is not allowed here%s", text, ps->f->dialect);
}

static gsize alpha_run(const char *p)
{
  gsize n = 0;
  while (g_ascii_isalpha(p[n]))
    n++;
  return n;
}

static gboolean word_is(const char *p, gsize n, const char *word)
{
  return strlen(word) == n && g_ascii_strncasecmp(p, word, n) == 0;
}

/* Unsigned decimal; saturates (anything that large is out of every range). `len` gets the
 * number of digits so messages can quote what the user wrote. */
static gboolean parse_number(Parser *ps, int *out, int *len)
{
  const char *s = ps->p;
  long v = 0;
  int n = 0;
  if (!g_ascii_isdigit(*s))
    return fail_unexpected(ps, "a number");
  while (g_ascii_isdigit(s[n])) {
    if (v < 1000000)
      v = v * 10 + (s[n] - '0');
    n++;
  }
  ps->p = s + n;
  *out = (int)v;
  *len = n;
  return TRUE;
}

static gboolean parse_value(Parser *ps, int *out, gboolean *is_name)
{
  const FieldSpec *f = ps->f;
  const char *s = ps->p;
  *is_name = FALSE;
  if (g_ascii_isdigit(*s)) {
    int len;
    if (!parse_number(ps, out, &len))
      return FALSE;
    if (*out < f->min || *out > f->max)
      return fail(ps, "%.*s%s is out of range %d-%d%s", MIN(len, 12), s, len > 12 ? "..." : "",
                  f->min, f->max, f->hint);
    return TRUE;
  }
  gsize n = alpha_run(s);
  if (n == 0)
    return fail_unexpected(ps, "a number");
  for (int i = 0; f->names && f->names[i]; i++) {
    if (word_is(s, n, f->names[i])) {
      *out = f->name_base + i;
      *is_name = TRUE;
      ps->p = s + n;
      return TRUE;
    }
  }
  if (f->names)
    return fail(ps, "`%.*s` is not a valid %s name%s", (int)MIN(n, 12), s, f->name, f->hint);
  return fail(ps, "`%.*s` is not a number", (int)MIN(n, 12), s);
}

/* Called with the cursor just past '/'. */
static gboolean parse_step(Parser *ps, int *step)
{
  const char *s = ps->p;
  int len;
  if (ps->f->max_step == 0)
    return fail(ps, "steps (`/`) are not allowed in the %s field", ps->f->name);
  if (!parse_number(ps, step, &len))
    return FALSE;
  if (*step < 1 || *step > ps->f->max_step)
    return fail(ps, "step %.*s%s must be between 1 and %d", MIN(len, 12), s, len > 12 ? "..." : "",
                ps->f->max_step);
  return TRUE;
}

/* item := '?' | '*' ['/' step] | 'LW' | 'L' ['-' n]
 *       | value ( 'W' | 'L' | '#' n | ['-' value] ['/' step] ) */
static gboolean parse_item(Parser *ps, Item *it)
{
  const FieldSpec *f = ps->f;
  *it = item_make(IT_VALUE, 0, FALSE, 0, FALSE, 0);

  if (*ps->p == '?') {
    ps->p++;
    it->kind = IT_QMARK;
    if (!allow(ps, SP_QMARK, "?"))
      return FALSE;
  } else if (*ps->p == '*') {
    ps->p++;
    it->kind = IT_ANY;
    if (*ps->p == '/') {
      ps->p++;
      if (!parse_step(ps, &it->step))
        return FALSE;
    }
  } else if (word_is(ps->p, alpha_run(ps->p), "LW")) {
    ps->p += 2;
    it->kind = IT_LW;
    if (!allow(ps, SP_LW, "LW"))
      return FALSE;
  } else if (word_is(ps->p, alpha_run(ps->p), "L")) {
    ps->p++;
    if (*ps->p == '-' && (f->specials & SP_LOFF)) {
      const char *s = ++ps->p;
      int len;
      it->kind = IT_LOFF;
      if (!parse_number(ps, &it->a, &len))
        return FALSE;
      if (it->a < 1 || it->a > 30)
        return fail(ps, "in `L-%.*s` the offset must be between 1 and 30", MIN(len, 12), s);
    } else {
      it->kind = IT_LAST;
      if (!allow(ps, SP_L, "L"))
        return FALSE;
    }
  } else {
    if (!parse_value(ps, &it->a, &it->a_name))
      return FALSE;
    gsize n = alpha_run(ps->p);
    if (word_is(ps->p, n, "W")) {
      ps->p++;
      it->kind = IT_NW;
      if (!allow(ps, SP_W, "W"))
        return FALSE;
    } else if (word_is(ps->p, n, "L")) {
      ps->p++;
      it->kind = IT_NL;
      if (!allow(ps, SP_NL, "nL"))
        return FALSE;
    } else if (*ps->p == '#') {
      const char *s = ++ps->p;
      int len;
      it->kind = IT_NTH;
      if (!allow(ps, SP_HASH, "#") || !parse_number(ps, &it->b, &len))
        return FALSE;
      if (it->b < 1 || it->b > 5)
        return fail(ps, "in `#%.*s` the occurrence must be between 1 and 5", MIN(len, 12), s);
    } else {
      if (*ps->p == '-') {
        ps->p++;
        it->kind = IT_RANGE;
        if (!parse_value(ps, &it->b, &it->b_name))
          return FALSE;
        if (!f->wrap && it->a > it->b)
          return fail(ps, "range goes backwards (%d > %d)%s", it->a, it->b, f->hint);
      }
      if (*ps->p == '/') {
        ps->p++;
        if (!parse_step(ps, &it->step))
          return FALSE;
      }
    }
  }
  if (*ps->p != '\0' && *ps->p != ',')
    return fail_unexpected(ps, "`,` or the end of the field");
  return TRUE;
}

/* field := item (',' item)*; everything but plain values and ranges must stand alone. */
static gboolean parse_field(const FieldSpec *f, const char *tok, GArray *items, GError **error)
{
  Parser ps = {f, tok, tok, error};
  for (;;) {
    Item it;
    if (*ps.p == '\0' || *ps.p == ',')
      return fail(&ps, "empty element in list");
    if (!parse_item(&ps, &it))
      return FALSE;
    g_array_append_val(items, it);
    if (*ps.p == '\0')
      break;
    ps.p++; /* ',' */
  }
  if (items->len > 1) {
    for (guint i = 0; i < items->len; i++) {
      ItemKind k = g_array_index(items, Item, i).kind;
      if (k != IT_VALUE && k != IT_RANGE)
        return fail(&ps, "`%s` must stand alone, not in a list", KIND_TEXT[k]);
    }
  }
  return TRUE;
}

static gboolean is_single(GArray *items, ItemKind kind)
{
  return items->len == 1 && g_array_index(items, Item, 0).kind == kind &&
         g_array_index(items, Item, 0).step == 0;
}

/* ------------------------------------------------------------------------------------------ */
/* Serialization                                                                               */

static void put_value(GString *o, const FieldSpec *f, int v, gboolean is_name)
{
  if (is_name && f->names)
    g_string_append(o, f->names[v - f->name_base]);
  else
    g_string_append_printf(o, "%d", v);
}

static void put_field(GString *o, const FieldSpec *f, GArray *items)
{
  for (guint i = 0; i < items->len; i++) {
    const Item *it = &g_array_index(items, Item, i);
    if (i > 0)
      g_string_append_c(o, ',');
    switch (it->kind) {
    case IT_ANY: g_string_append_c(o, '*'); break;
    case IT_QMARK: g_string_append_c(o, '?'); break;
    case IT_VALUE: put_value(o, f, it->a, it->a_name); break;
    case IT_RANGE:
      put_value(o, f, it->a, it->a_name);
      g_string_append_c(o, '-');
      put_value(o, f, it->b, it->b_name);
      break;
    case IT_LAST: g_string_append_c(o, 'L'); break;
    case IT_LW: g_string_append(o, "LW"); break;
    case IT_LOFF: g_string_append_printf(o, "L-%d", it->a); break;
    case IT_NW: g_string_append_printf(o, "%dW", it->a); break;
    case IT_NL: g_string_append_printf(o, "%dL", it->a); break;
    case IT_NTH:
      put_value(o, f, it->a, it->a_name);
      g_string_append_printf(o, "#%d", it->b);
      break;
    }
    if (it->step)
      g_string_append_printf(o, "/%d", it->step);
  }
}

/* ------------------------------------------------------------------------------------------ */
/* Quartz                                                                                      */

static char *normalize_quartz(char **tok, guint n, GError **error)
{
  GArray *items[Q_NFIELDS] = {NULL};
  char *result = NULL;
  guint i;

  for (i = 0; i < n; i++) {
    items[i] = g_array_new(FALSE, FALSE, sizeof(Item));
    if (!parse_field(&QUARTZ_FIELDS[i], tok[i], items[i], error))
      goto out;
  }

  gboolean dom_q = is_single(items[Q_DOM], IT_QMARK), dow_q = is_single(items[Q_DOW], IT_QMARK);
  if (dom_q && dow_q) {
    set_error(error, "day-of-month and day-of-week are both `?`; Quartz needs `?` in exactly one "
                     "of them, e.g. `0 0 6 * * ?` (daily) or `0 0 6 ? * MON` (Mondays)");
    goto out;
  }
  if (!dom_q && !dow_q) {
    char *dom = echo(tok[Q_DOM]), *dow = echo(tok[Q_DOW]);
    set_error(error,
              "Quartz needs `?` in exactly one of day-of-month (`%s`) and day-of-week (`%s`), "
              "e.g. `0 0 6 * * ?` (daily) or `0 0 6 ? * MON` (Mondays)",
              dom, dow);
    g_free(dom);
    g_free(dow);
    goto out;
  }
  /* AirbyteCatalogHelper.validateCronConfiguration: Integer.valueOf(fields[0]), and fields[1]
   * too when there are 7 fields. */
  for (i = Q_SEC; i <= (n == Q_NFIELDS ? (guint)Q_MIN : (guint)Q_SEC); i++) {
    if (!is_single(items[i], IT_VALUE)) {
      char *t = echo(tok[i]);
      set_error(error,
                "Airbyte requires the %s field to be a single number such as `0`%s, got `%s` "
                "(the seconds and minutes values cannot be `*`)",
                QUARTZ_FIELDS[i].name, i == Q_MIN ? " when a year field is present" : "", t);
      g_free(t);
      goto out;
    }
  }

  GString *o = g_string_new(NULL);
  for (i = 0; i < n; i++) {
    if (i > 0)
      g_string_append_c(o, ' ');
    put_field(o, &QUARTZ_FIELDS[i], items[i]);
  }
  result = g_string_free(o, FALSE);

out:
  for (i = 0; i < Q_NFIELDS; i++)
    if (items[i])
      g_array_free(items[i], TRUE);
  return result;
}

/* ------------------------------------------------------------------------------------------ */
/* Unix -> Quartz                                                                              */

/* Unix day-of-week number (0-7, 0 and 7 = SUN) to Quartz (1-7, SUN = 1). Names keep their
 * meaning because both dialects name SUN..SAT in the same order. */
static int dow_to_quartz(int v)
{
  return v == 7 ? 1 : v + 1;
}

/* Unix days a..b (a <= b) every `step` (0 = 1). Quartz has no day after SAT=7, so a range
 * reaching Unix 7 (Sunday) becomes the part up to SAT plus a separate `1` when Sunday is hit.
 * `explicit_end` is FALSE for `a/step`, which Unix reads as a-7/step. */
static void dow_range_to_quartz(GArray *out, int a, gboolean a_name, int b, gboolean b_name,
                                int step, gboolean explicit_end)
{
  int s = step ? step : 1;
  Item it;
  if (a == 7) { /* 7-7: Sunday */
    it = item_make(IT_VALUE, 1, FALSE, 0, FALSE, 0);
  } else if (b <= 6) {
    it = item_make(IT_RANGE, a + 1, a_name, b + 1, b_name, step);
  } else if (explicit_end && a == 6) { /* 6-7: SAT (and SUN below) */
    it = item_make(IT_VALUE, 7, a_name, 0, FALSE, 0);
  } else if (explicit_end) {
    it = item_make(IT_RANGE, a + 1, a_name, 7, FALSE, step);
  } else {
    it = item_make(IT_VALUE, a + 1, a_name, 0, FALSE, step);
  }
  g_array_append_val(out, it);
  if (b == 7 && a != 0 && a != 7 && (7 - a) % s == 0) {
    it = item_make(IT_VALUE, 1, FALSE, 0, FALSE, 0);
    g_array_append_val(out, it);
  }
}

static GArray *dow_to_quartz_items(GArray *unix_items)
{
  GArray *out = g_array_new(FALSE, FALSE, sizeof(Item));
  for (guint i = 0; i < unix_items->len; i++) {
    Item it = g_array_index(unix_items, Item, i);
    if (it.kind == IT_RANGE) {
      dow_range_to_quartz(out, it.a, it.a_name, it.b, it.b_name, it.step, TRUE);
    } else if (it.kind == IT_VALUE && it.step) {
      dow_range_to_quartz(out, it.a, it.a_name, 7, FALSE, it.step, FALSE);
    } else if (it.kind == IT_VALUE) {
      it.a = dow_to_quartz(it.a);
      g_array_append_val(out, it);
    } else { /* `*\/s`: Unix 0,s,2s,.. and Quartz 1,1+s,.. are the same days */
      g_array_append_val(out, it);
    }
  }
  return out;
}

static char *normalize_fields(char **tok, guint n, GError **error);

static char *normalize_unix(char **tok, GError **error)
{
  GArray *items[U_NFIELDS] = {NULL};
  char *result = NULL;
  guint i;

  for (i = 0; i < U_NFIELDS; i++) {
    items[i] = g_array_new(FALSE, FALSE, sizeof(Item));
    if (!parse_field(&UNIX_FIELDS[i], tok[i], items[i], error))
      goto out;
  }

  gboolean dom_any = is_single(items[U_DOM], IT_ANY), dow_any = is_single(items[U_DOW], IT_ANY);
  if (!dom_any && !dow_any) {
    char *dom = echo(tok[U_DOM]), *dow = echo(tok[U_DOW]);
    set_error(error,
              "in a 5-field Unix cron, restricting both day-of-month (`%s`) and day-of-week "
              "(`%s`) means \"either matches\", which Quartz cannot express; restrict only one "
              "of them and set the other to `*`",
              dom, dow);
    g_free(dom);
    g_free(dow);
    goto out;
  }

  GString *o = g_string_new("0 ");
  put_field(o, &QUARTZ_FIELDS[Q_MIN], items[U_MIN]);
  g_string_append_c(o, ' ');
  put_field(o, &QUARTZ_FIELDS[Q_HOUR], items[U_HOUR]);
  g_string_append_c(o, ' ');
  if (dom_any && !dow_any)
    g_string_append_c(o, '?');
  else
    put_field(o, &QUARTZ_FIELDS[Q_DOM], items[U_DOM]);
  g_string_append_c(o, ' ');
  put_field(o, &QUARTZ_FIELDS[Q_MONTH], items[U_MONTH]);
  g_string_append_c(o, ' ');
  if (dow_any) {
    g_string_append_c(o, '?');
  } else {
    GArray *dow = dow_to_quartz_items(items[U_DOW]);
    put_field(o, &QUARTZ_FIELDS[Q_DOW], dow);
    g_array_free(dow, TRUE);
  }
  char *quartz = g_string_free(o, FALSE);

  /* Re-validate the conversion as Quartz: proves it valid and makes the result canonical. */
  char **qtok = g_strsplit(quartz, " ", -1);
  result = normalize_fields(qtok, g_strv_length(qtok), error);
  g_strfreev(qtok);
  g_free(quartz);

out:
  for (i = 0; i < U_NFIELDS; i++)
    if (items[i])
      g_array_free(items[i], TRUE);
  return result;
}

/* ------------------------------------------------------------------------------------------ */
/* Entry point                                                                                 */

static char *normalize_fields(char **tok, guint n, GError **error)
{
  if (n == 0) {
    set_error(error, "the cron expression is empty");
    return NULL;
  }
  if (tok[0][0] == '@') {
    char *t = echo(tok[0]);
    if (n > 1) {
      set_error(error, "a macro like `%s` must stand alone", t);
    } else if (g_ascii_strcasecmp(tok[0], "@reboot") == 0) {
      set_error(error, "`@reboot` is not a schedule; use a cron expression or a manual schedule");
    } else {
      for (gsize i = 0; i < G_N_ELEMENTS(MACROS); i++) {
        if (g_ascii_strcasecmp(tok[0], MACROS[i].name) == 0) {
          g_free(t);
          char **utok = g_strsplit(MACROS[i].unix_form, " ", -1);
          char *result = normalize_unix(utok, error);
          g_strfreev(utok);
          return result;
        }
      }
      set_error(error,
                "unknown macro `%s`; use one of @hourly, @daily, @midnight, @weekly, @monthly, "
                "@yearly, @annually",
                t);
    }
    g_free(t);
    return NULL;
  }
  if (n == U_NFIELDS)
    return normalize_unix(tok, error);
  if (n == Q_NFIELDS - 1 || n == Q_NFIELDS)
    return normalize_quartz(tok, n, error);
  set_error(error,
            "expected a Quartz cron expression of 6 or 7 fields (seconds minutes hours "
            "day-of-month month day-of-week [year], e.g. `0 0 6 * * ?`) or a 5-field Unix cron, "
            "got %u field%s",
            n, n == 1 ? "" : "s");
  return NULL;
}

/* C isspace(): unlike g_ascii_isspace() this includes '\v'. */
static gboolean is_blank(char c)
{
  return g_ascii_isspace(c) || c == '\v';
}

char *abfs_cron_normalize(const char *input, GError **error)
{
  GPtrArray *tok = g_ptr_array_new_with_free_func(g_free);
  /* The server appends the time zone when reading back: "0 0 12 * * ? UTC". */
  char *trimmed = abfs_cron_without_utc(input);
  const char *s = trimmed;

  while (*s) {
    while (*s && is_blank(*s))
      s++;
    if (!*s)
      break;
    const char *start = s;
    while (*s && !is_blank(*s))
      s++;
    g_ptr_array_add(tok, g_strndup(start, (gsize)(s - start)));
  }
  g_free(trimmed);

  g_ptr_array_add(tok, NULL);
  char *result = normalize_fields((char **)tok->pdata, tok->len - 1, error);
  g_ptr_array_free(tok, TRUE);
  return result;
}
