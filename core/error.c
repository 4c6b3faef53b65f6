/* error.c — the HTTP status → errno table and extraction of the server's message from
 * error bodies (problem JSON, Config API exceptions, Micronaut errors, plain text). */
#include "error.h"
#include "text.h"

#include <errno.h>
#include <string.h>
#include <json-c/json.h>

G_DEFINE_QUARK(abfs - error - quark, abfs_error)

int abfs_errno_for_http_status(long status)
{
    if (status >= 200 && status < 400)
        return 0;
    switch (status) {
    case 400:
    case 422: return EINVAL;
    case 401: return EACCES;
    case 403: return EPERM;
    case 404:
    case 410: return ENOENT;
    case 405:
    case 501: return ENOTSUP;
    case 408:
    case 504: return ETIMEDOUT;
    case 409:
    case 423: return EBUSY;
    case 413: return EFBIG;
    case 429: return EAGAIN;
    default: return status >= 500 ? EIO : EINVAL;
    }
}

static const char *reason_phrase(long status)
{
    switch (status) {
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 409: return "Conflict";
    case 422: return "Unprocessable Entity";
    case 423: return "Locked";
    case 429: return "Too Many Requests";
    case 500: return "Internal Server Error";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    default: return "error";
    }
}

static const char *string_member(json_object *obj, const char *key)
{
    json_object *v;
    if (obj && json_object_is_type(obj, json_type_object) && json_object_object_get_ex(obj, key, &v) &&
        json_object_is_type(v, json_type_string) && json_object_get_string_len(v) > 0)
        return json_object_get_string(v);
    return NULL;
}

/* Collapses a message to one printable line: newlines and control characters become spaces. */
static char *one_line(const char *s, gsize max)
{
    GString *out = g_string_sized_new(64);
    for (const char *p = s; *p && out->len < max; p++)
        g_string_append_c(out, abfs_char_is_control((guchar)*p) ? ' ' : *p);
    const char *valid_end;
    if (!g_utf8_validate(out->str, (gssize)out->len, &valid_end)) /* a cut inside a character */
        g_string_truncate(out, (gsize)(valid_end - out->str));
    g_strstrip(out->str);
    out->len = strlen(out->str);
    return g_string_free(out, FALSE);
}

char *abfs_server_message(long status, const char *body, gsize len)
{
    const char *msg = NULL;
    json_object *root = NULL;
    if (body && len > 0) {
        /* Only a whole JSON object is an error body; "404 page not found" is text. */
        json_tokener *tok = json_tokener_new();
        root = json_tokener_parse_ex(tok, body, (int)MIN(len, (gsize)G_MAXINT));
        gsize end = json_tokener_get_parse_end(tok);
        json_tokener_free(tok);
        while (root && end < len && g_ascii_isspace(body[end]))
            end++;
        if (root && (!json_object_is_type(root, json_type_object) || end < len)) {
            json_object_put(root);
            root = NULL;
        }
    }
    if (root) {
        json_object *data, *emb, *errs;
        msg = string_member(root, "detail");
        if (!msg && json_object_object_get_ex(root, "data", &data))
            msg = string_member(data, "message");
        /* Micronaut's top-level message is a generic "Bad Request"; the cause is embedded. */
        if (!msg && json_object_object_get_ex(root, "_embedded", &emb) &&
            json_object_object_get_ex(emb, "errors", &errs) && json_object_is_type(errs, json_type_array) &&
            json_object_array_length(errs) > 0)
            msg = string_member(json_object_array_get_idx(errs, 0), "message");
        if (!msg)
            msg = string_member(root, "message");
        if (!msg)
            msg = string_member(root, "title");
    }
    char *result;
    if (msg)
        result = one_line(msg, 1000);
    else if (body && len > 0 && !root) {
        /* The first non-blank line of a text body. */
        gsize start = 0, end;
        while (start < len && g_ascii_isspace(body[start]))
            start++;
        for (end = start; end < len && body[end] != '\n' && body[end] != '\r'; end++)
            ;
        char *copy = g_strndup(body + start, MIN(end - start, 1000));
        result = one_line(copy, 1000);
        g_free(copy);
    } else
        result = NULL;
    if (!result || !*result) {
        g_free(result);
        result = g_strdup(reason_phrase(status));
    }
    json_object_put(root);
    return result;
}

void abfs_set_http_error(GError **error, long status, const char *body, gsize len)
{
    if (!error)
        return;
    char *msg = abfs_server_message(status, body, len);
    g_set_error(error, ABFS_ERROR, abfs_errno_for_http_status(status), "HTTP %ld: %s", status, msg);
    g_free(msg);
}

long abfs_error_http_status(const GError *error)
{
    if (!error || error->domain != ABFS_ERROR || !g_str_has_prefix(error->message, "HTTP "))
        return 0;
    return strtol(error->message + 5, NULL, 10);
}

void abfs_error_set_unknown(GError **error, GError *lost, const char *what, const char *reason)
{
    if (lost->domain == ABFS_ERROR && lost->code == EINTR) {
        g_propagate_error(error, lost);
        return;
    }
    g_set_error(error, ABFS_ERROR, ABFS_EUNKNOWN,
                "outcome unknown: the answer to %s was lost (%s) and %s; it may or may not have been done", what,
                lost->message, reason);
    g_error_free(lost);
}

gboolean abfs_error_may_act_later(const GError *error)
{
    return error && error->domain == ABFS_ERROR && error->code == ETIMEDOUT;
}

gboolean abfs_error_outcome_unknown(const GError *error)
{
    /* ENOTCONN is not among them: the server could not be reached, so nothing was sent. */
    return error && error->domain == ABFS_ERROR &&
           (error->code == EIO || error->code == ETIMEDOUT || error->code == EINTR);
}

gboolean abfs_error_unreachable(const GError *error)
{
    return error && error->domain == ABFS_ERROR &&
           (error->code == ENOTCONN || error->code == ETIMEDOUT || error->code == EIO || error->code == EAGAIN);
}
