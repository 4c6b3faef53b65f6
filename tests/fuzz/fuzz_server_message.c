/* tests/fuzz/fuzz_server_message.c — libFuzzer harness for core/error.c: the server's message in an
 * HTTP error body (abfs_server_message, abfs_set_http_error, abfs_error_http_status).
 *
 * Input: "<status>\n<body>" — the status is the decimal number before the first newline (any long,
 * negative and huge ones too); with no newline in the first 24 bytes the whole input is the body
 * and the status comes from its length. The body may hold NUL bytes; it is passed NUL-terminated
 * with its full length, as the HTTP layer does.
 *
 * Invariants: the message is never NULL or empty, is one line of at most 1000 bytes with no control
 * character and no surrounding blanks, is valid UTF-8 when the body is, and is the same with or
 * without a body when the body has nothing to say; the GError says "HTTP <status>: <message>" with
 * the errno of abfs_errno_for_http_status, and abfs_error_http_status reads the status back. */
#include "error.h"
#include "fuzz_common.h"

static void check_message(const char *msg, const char *body, size_t len)
{
    FUZZ_CHECK(msg != NULL, "NULL message");
    FUZZ_CHECK(msg[0] != '\0', "empty message");
    FUZZ_CHECK(strlen(msg) <= 1000, "message of %zu bytes", strlen(msg));
    FUZZ_CHECK(fuzz_is_one_clean_line(msg), "not one clean line: \"%s\"", msg);
    FUZZ_CHECK(!g_ascii_isspace(msg[0]) && !g_ascii_isspace(msg[strlen(msg) - 1]),
               "surrounding blanks: \"%s\"", msg);
    /* A valid UTF-8 body must not become invalid UTF-8 (the message goes into a GError, the
     * `errors` file and the log). json-c decodes \u escapes itself, so this holds for JSON too. */
    if (body && g_utf8_validate(body, (gssize)len, NULL))
        FUZZ_CHECK(g_utf8_validate(msg, -1, NULL), "valid UTF-8 body, invalid UTF-8 message: \"%s\"", msg);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *input = fuzz_copy(data, size);
    long status;
    const char *body = input;
    const char *nl = memchr(input, '\n', MIN(size, (size_t)24));
    if (nl) {
        char *prefix = g_strndup(input, (gsize)(nl - input));
        status = (long)g_ascii_strtoll(prefix, NULL, 10);
        g_free(prefix);
        body = nl + 1;
    } else
        status = 400 + (long)(size % 200);
    size_t len = size - (size_t)(body - input);

    char *msg = abfs_server_message(status, body, len);
    check_message(msg, body, len);

    /* No body: the reason phrase, which is also what an empty or blank body gives. */
    char *bare = abfs_server_message(status, NULL, 0);
    check_message(bare, NULL, 0);
    char *empty = abfs_server_message(status, body, 0);
    FUZZ_CHECK(strcmp(empty, bare) == 0, "len 0 gives \"%s\", NULL gives \"%s\"", empty, bare);

    GError *error = NULL;
    abfs_set_http_error(&error, status, body, len);
    FUZZ_CHECK(error != NULL && error->domain == ABFS_ERROR, "no ABFS_ERROR set");
    FUZZ_CHECK(error->code == abfs_errno_for_http_status(status), "code %d for status %ld", error->code, status);
    char *expected = g_strdup_printf("HTTP %ld: %s", status, msg);
    FUZZ_CHECK(strcmp(error->message, expected) == 0, "message \"%s\", expected \"%s\"", error->message, expected);
    FUZZ_CHECK(abfs_error_http_status(error) == status, "status %ld read back as %ld", status,
               abfs_error_http_status(error));
    abfs_set_http_error(NULL, status, body, len); /* allowed: no error wanted */

    g_free(expected);
    g_error_free(error);
    g_free(empty);
    g_free(bare);
    g_free(msg);
    g_free(input);
    return 0;
}
