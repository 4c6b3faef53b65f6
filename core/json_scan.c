/* json_scan.c — a strict JSON scanner that finds the items of a list page (json_scan.h). It never
 * recurses: nesting is tracked in a stack of max_depth bytes, so no text can exhaust a thread's
 * stack. */
#include "json_scan.h"
#include "error.h"

#include <errno.h>
#include <string.h>

typedef struct {
    const char *start, *p, *end;
    guint max_depth;   /* for the value being scanned */
    char *stack;       /* '{' or '[' per open level (capacity: the page's max_depth) */
    const char *fault; /* what is wrong, once something is */
    int code;          /* EBADMSG (not JSON) or EPROTO (JSON of the wrong shape) */
    GArray *members;   /* AbfsScanMember of the item being scanned, reused across items */
} Scanner;

static gboolean fail(Scanner *s, const char *what)
{
    if (!s->fault) {
        s->fault = what;
        s->code = EBADMSG;
    }
    return FALSE;
}

/* JSON, but not the page asked for. */
static gboolean fail_shape(Scanner *s, const char *what)
{
    fail(s, what);
    s->code = EPROTO;
    return FALSE;
}

static void skip_blanks(Scanner *s)
{
    while (s->p < s->end && (*s->p == ' ' || *s->p == '\n' || *s->p == '\r' || *s->p == '\t'))
        s->p++;
}

static gboolean at(Scanner *s, char c)
{
    return s->p < s->end && *s->p == c;
}

/* A string, s->p on its opening quote; *escaped tells whether it has escapes. */
static gboolean scan_string(Scanner *s, gboolean *escaped)
{
    *escaped = FALSE;
    s->p++;
    while (s->p < s->end) {
        unsigned char c = (unsigned char)*s->p;
        if (c == '"') {
            s->p++;
            return TRUE;
        }
        if (c == '\0')
            return fail(s, "a NUL byte in a string");
        if (c != '\\') {
            s->p++;
            continue;
        }
        *escaped = TRUE;
        if (++s->p >= s->end)
            break;
        c = (unsigned char)*s->p++;
        if (c == 'u') {
            for (int i = 0; i < 4; i++, s->p++)
                if (s->p >= s->end || !g_ascii_isxdigit(*s->p))
                    return fail(s, "a \\u escape without four hex digits");
        } else if (!strchr("\"\\/bfnrt", c) || c == '\0')
            return fail(s, "an unknown escape in a string");
    }
    return fail(s, "a string that does not end");
}

static gboolean scan_digits(Scanner *s)
{
    const char *from = s->p;
    while (s->p < s->end && g_ascii_isdigit(*s->p))
        s->p++;
    return s->p > from;
}

static gboolean scan_number(Scanner *s, json_type *type)
{
    *type = json_type_int;
    if (at(s, '-'))
        s->p++;
    if (at(s, '0')) {
        s->p++;
        if (s->p < s->end && g_ascii_isdigit(*s->p))
            return fail(s, "a number with a leading zero");
    } else if (!scan_digits(s))
        return fail(s, "a malformed number");
    if (at(s, '.')) {
        s->p++;
        *type = json_type_double;
        if (!scan_digits(s))
            return fail(s, "a number without digits after its point");
    }
    if (at(s, 'e') || at(s, 'E')) {
        s->p++;
        *type = json_type_double;
        if (at(s, '+') || at(s, '-'))
            s->p++;
        if (!scan_digits(s))
            return fail(s, "a number without digits in its exponent");
    }
    return TRUE;
}

static gboolean scan_word(Scanner *s, const char *word)
{
    gsize n = strlen(word);
    if ((gsize)(s->end - s->p) < n || memcmp(s->p, word, n) != 0)
        return fail(s, "an unexpected character");
    s->p += n;
    return TRUE;
}

/* A value that is not an object or an array, s->p on its first byte. */
static gboolean scan_scalar(Scanner *s, json_type *type)
{
    gboolean escaped;
    switch (s->p < s->end ? *s->p : '\0') {
    case '"':
        *type = json_type_string;
        return scan_string(s, &escaped);
    case 't':
        *type = json_type_boolean;
        return scan_word(s, "true");
    case 'f':
        *type = json_type_boolean;
        return scan_word(s, "false");
    case 'n':
        *type = json_type_null;
        return scan_word(s, "null");
    default:
        if (at(s, '-') || (s->p < s->end && g_ascii_isdigit(*s->p)))
            return scan_number(s, type);
        if (at(s, 'N') || at(s, 'I') || at(s, 'i'))
            return fail(s, "a number RFC 8259 does not allow (NaN, Infinity)");
        return fail(s, s->p < s->end ? "an unexpected character" : "the text ends before a value");
    }
}

static char closer(char opener)
{
    return opener == '{' ? '}' : ']';
}

/* Any value, s->p on its first byte (blanks skipped); *depth: its nesting depth. */
static gboolean scan_value(Scanner *s, json_type *type, guint *depth)
{
    *depth = 0;
    if (!at(s, '{') && !at(s, '['))
        return scan_scalar(s, type);
    *type = at(s, '{') ? json_type_object : json_type_array;
    guint level = 0, deepest = 0;
    gboolean opening = TRUE; /* s->p is on an opening bracket; otherwise just past an element */
    for (;;) {
        if (opening) {
            if (level >= s->max_depth)
                return fail(s, "nesting deeper than the limit");
            char kind = *s->p++;
            s->stack[level++] = kind;
            deepest = MAX(deepest, level);
            skip_blanks(s);
            if (at(s, closer(kind))) { /* empty */
                s->p++;
                if (--level == 0)
                    break;
                opening = FALSE;
                continue;
            }
        } else {
            skip_blanks(s);
            if (at(s, closer(s->stack[level - 1]))) {
                s->p++;
                if (--level == 0)
                    break;
                continue;
            }
            if (!at(s, ','))
                return fail(s, s->p < s->end ? "a ',' or a closing bracket is missing" : "the text ends inside a value");
            s->p++;
            skip_blanks(s);
        }
        /* an element of the container at the top of the stack */
        if (s->stack[level - 1] == '{') {
            gboolean escaped;
            if (!at(s, '"'))
                return fail(s, "a member name is missing");
            if (!scan_string(s, &escaped))
                return FALSE;
            skip_blanks(s);
            if (!at(s, ':'))
                return fail(s, "a ':' is missing after a member name");
            s->p++;
            skip_blanks(s);
        }
        if (at(s, '{') || at(s, '[')) {
            opening = TRUE;
            continue;
        }
        json_type scalar;
        if (!scan_scalar(s, &scalar))
            return FALSE;
        opening = FALSE;
    }
    *depth = deepest;
    return TRUE;
}

/* A member name, s->p on its quote: its bytes between the quotes. */
static gboolean scan_key(Scanner *s, const char **key, gsize *len, gboolean *escaped)
{
    if (!at(s, '"'))
        return fail(s, "a member name is missing");
    const char *from = s->p + 1;
    if (!scan_string(s, escaped))
        return FALSE;
    *key = from;
    *len = (gsize)(s->p - 1 - from);
    skip_blanks(s);
    if (!at(s, ':'))
        return fail(s, "a ':' is missing after a member name");
    s->p++;
    skip_blanks(s);
    return TRUE;
}

/* The value of four hex digits (checked by scan_string). */
static gunichar hex4(const char *p)
{
    gunichar v = 0;
    for (int i = 0; i < 4; i++)
        v = v * 16 + (gunichar)g_ascii_xdigit_value(p[i]);
    return v;
}

/* Appends the decoded string text[0, len) (no quotes) to out. */
static void decode_into(GString *out, const char *text, gsize len)
{
    const char *p = text, *end = text + len;
    while (p < end) {
        const char *bs = memchr(p, '\\', (gsize)(end - p));
        if (!bs) {
            g_string_append_len(out, p, end - p);
            break;
        }
        g_string_append_len(out, p, bs - p);
        p = bs + 1;
        char c = *p++;
        switch (c) {
        case 'b': g_string_append_c(out, '\b'); break;
        case 'f': g_string_append_c(out, '\f'); break;
        case 'n': g_string_append_c(out, '\n'); break;
        case 'r': g_string_append_c(out, '\r'); break;
        case 't': g_string_append_c(out, '\t'); break;
        case 'u': {
            gunichar u = hex4(p);
            p += 4;
            if (u >= 0xD800 && u <= 0xDBFF && end - p >= 6 && p[0] == '\\' && p[1] == 'u' && hex4(p + 2) >= 0xDC00 &&
                hex4(p + 2) <= 0xDFFF) {
                u = 0x10000 + ((u - 0xD800) << 10) + (hex4(p + 2) - 0xDC00);
                p += 6;
            } else if (u >= 0xD800 && u <= 0xDFFF)
                u = 0xFFFD; /* a lone surrogate */
            if (u == 0)
                g_string_append_c(out, '\0');
            else
                g_string_append_unichar(out, u);
            break;
        }
        default: g_string_append_c(out, c); break; /* " \ / */
        }
    }
}

static gboolean key_is(const AbfsScanMember *m, const char *key)
{
    gsize n = strlen(key);
    if (!m->key_escaped)
        return m->key_len == n && memcmp(m->key, key, n) == 0;
    GString *decoded = g_string_sized_new(m->key_len);
    decode_into(decoded, m->key, m->key_len);
    gboolean same = strcmp(decoded->str, key) == 0; /* up to a decoded NUL, as json-c's keys are C strings */
    g_string_free(decoded, TRUE);
    return same;
}

const AbfsScanMember *abfs_json_scan_member(const AbfsScanItem *item, const char *key)
{
    for (guint i = item->n_members; i-- > 0;)
        if (key_is(&item->members[i], key))
            return &item->members[i];
    return NULL;
}

char *abfs_json_scan_string(const AbfsScanMember *m)
{
    if (!m || m->type != json_type_string)
        return NULL;
    GString *out = g_string_sized_new(m->value_len);
    decode_into(out, m->value + 1, m->value_len - 2);
    return g_string_free(out, FALSE);
}

/* One element of the array, s->p on its first byte. */
static gboolean scan_item(Scanner *s, AbfsScanItem *item)
{
    *item = (AbfsScanItem){.text = s->p};
    g_array_set_size(s->members, 0);
    if (!at(s, '{')) {
        if (!scan_value(s, &item->type, &item->depth))
            return FALSE;
        item->len = (gsize)(s->p - item->text);
        return TRUE;
    }
    if (s->max_depth < 1)
        return fail(s, "nesting deeper than the limit");
    guint limit = s->max_depth;
    item->type = json_type_object;
    item->depth = 1;
    s->p++;
    skip_blanks(s);
    if (!at(s, '}')) {
        s->max_depth = limit - 1;
        for (;;) {
            AbfsScanMember m = {0};
            guint depth;
            if (!scan_key(s, &m.key, &m.key_len, &m.key_escaped))
                return FALSE;
            m.value = s->p;
            if (!scan_value(s, &m.type, &depth))
                return FALSE;
            m.value_len = (gsize)(s->p - m.value);
            item->depth = MAX(item->depth, depth + 1);
            g_array_append_val(s->members, m);
            skip_blanks(s);
            if (at(s, '}'))
                break;
            if (!at(s, ','))
                return fail(s, s->p < s->end ? "a ',' or a closing bracket is missing" : "the text ends inside a value");
            s->p++;
            skip_blanks(s);
        }
        s->max_depth = limit;
    }
    s->p++;
    item->len = (gsize)(s->p - item->text);
    item->members = (const AbfsScanMember *)(gpointer)s->members->data;
    item->n_members = s->members->len;
    return TRUE;
}

/* The array of items, s->p on its '['. */
static gboolean scan_items(Scanner *s, AbfsScanItemFunc each, gpointer data, gsize *count)
{
    s->p++;
    skip_blanks(s);
    if (at(s, ']')) {
        s->p++;
        return TRUE;
    }
    for (;;) {
        AbfsScanItem item;
        if (!scan_item(s, &item))
            return FALSE;
        each(&item, data);
        (*count)++;
        skip_blanks(s);
        if (at(s, ']')) {
            s->p++;
            return TRUE;
        }
        if (!at(s, ','))
            return fail(s, s->p < s->end ? "a ',' or a closing bracket is missing" : "the text ends inside a value");
        s->p++;
        skip_blanks(s);
    }
}

gboolean abfs_json_scan_items(const char *text, gsize len, const char *array_key, guint max_depth,
                              AbfsScanItemFunc each, gpointer data, gsize *count, GError **error)
{
    Scanner s = {text, text, text + len, max_depth, g_malloc(MAX(max_depth, 1)), NULL, 0,
                 g_array_new(FALSE, FALSE, sizeof(AbfsScanMember))};
    gsize n = 0;
    gboolean found = FALSE, ok = FALSE;
    skip_blanks(&s);
    if (!at(&s, '{')) { /* JSON of another shape, or not JSON */
        json_type type;
        guint depth;
        if (s.p == s.end)
            fail(&s, "the answer is empty");
        else if (scan_value(&s, &type, &depth)) {
            skip_blanks(&s);
            if (s.p < s.end)
                fail(&s, "more text after the value");
            else
                fail_shape(&s, "the answer is not a JSON object");
        }
    }
    else if (max_depth < 2)
        fail(&s, "nesting deeper than the limit");
    else {
        s.p++;
        skip_blanks(&s);
        gboolean more = !at(&s, '}');
        while (more) {
            const char *key;
            gsize key_len;
            gboolean escaped;
            if (!scan_key(&s, &key, &key_len, &escaped))
                break;
            AbfsScanMember name = {key, key_len, escaped, json_type_null, NULL, 0};
            if (key_is(&name, array_key) && found) {
                fail_shape(&s, "two members of the same name");
                break;
            }
            if (key_is(&name, array_key) && at(&s, '[')) {
                found = TRUE;
                s.max_depth = max_depth - 2; /* the page's object, then the array */
                if (!scan_items(&s, each, data, &n))
                    break;
                s.max_depth = max_depth;
            } else {
                json_type type;
                guint depth;
                s.max_depth = max_depth - 1;
                if (!scan_value(&s, &type, &depth))
                    break;
                s.max_depth = max_depth;
            }
            skip_blanks(&s);
            if (at(&s, '}'))
                more = FALSE;
            else if (!at(&s, ',')) {
                fail(&s, s.p < s.end ? "a ',' or a closing bracket is missing" : "the text ends inside a value");
                break;
            } else {
                s.p++;
                skip_blanks(&s);
            }
        }
        if (!s.fault) {
            s.p++; /* the closing brace */
            skip_blanks(&s);
            if (s.p < s.end)
                fail(&s, "more text after the value");
            else if (!found)
                fail_shape(&s, "no array member of that name");
            else
                ok = TRUE;
        }
    }
    if (!ok)
        g_set_error(error, ABFS_ERROR, s.code, "%s (at byte %" G_GSIZE_FORMAT ")", s.fault,
                    (gsize)(MIN(s.p, s.end) - s.start));
    if (count)
        *count = n;
    g_free(s.stack);
    g_array_free(s.members, TRUE);
    return ok;
}

gboolean abfs_json_scan_value(const char *text, gsize len, guint max_depth, AbfsScanItemFunc each, gpointer data,
                              GError **error)
{
    Scanner s = {text, text, text + len, max_depth, g_malloc(MAX(max_depth, 1)), NULL, 0,
                 g_array_new(FALSE, FALSE, sizeof(AbfsScanMember))};
    AbfsScanItem item;
    gboolean ok = FALSE;
    skip_blanks(&s);
    if (s.p == s.end)
        fail(&s, "the text is empty");
    else if (scan_item(&s, &item)) {
        skip_blanks(&s);
        if (s.p < s.end)
            fail(&s, "more text after the value");
        else
            ok = TRUE;
    }
    if (ok)
        each(&item, data);
    else
        g_set_error(error, ABFS_ERROR, s.code, "%s (at byte %" G_GSIZE_FORMAT ")", s.fault,
                    (gsize)(MIN(s.p, s.end) - s.start));
    g_free(s.stack);
    g_array_free(s.members, TRUE);
    return ok;
}

char *abfs_json_scan_compact(const char *text, gsize len)
{
    char *out = g_malloc(len + 1), *o = out;
    gboolean in_string = FALSE;
    for (gsize i = 0; i < len; i++) {
        char c = text[i];
        if (in_string) {
            *o++ = c;
            if (c == '\\' && i + 1 < len)
                *o++ = text[++i];
            else if (c == '"')
                in_string = FALSE;
        } else if (c != ' ' && c != '\n' && c != '\r' && c != '\t') {
            *o++ = c;
            in_string = c == '"';
        }
    }
    *o = '\0';
    return out;
}
