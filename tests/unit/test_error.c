/* test_error.c — unit tests of core/error.h: the HTTP status → errno table and server messages. */
#include "fake_http.h"

static void test_error_errno_table(void)
{
    static const struct {
        long status;
        int err;
    } rows[] = {
        {200, 0},          {201, 0},          {204, 0},          {301, 0},         {304, 0},
        {400, EINVAL},     {422, EINVAL},     {401, EACCES},     {403, EPERM},     {404, ENOENT},
        {410, ENOENT},     {405, ENOTSUP},    {501, ENOTSUP},    {408, ETIMEDOUT}, {409, EBUSY},
        {423, EBUSY},      {413, EFBIG},      {429, EAGAIN},     {500, EIO},       {502, EIO},
        {503, EIO},        {599, EIO},        {402, EINVAL},     {406, EINVAL},    {415, EINVAL},
        {418, EINVAL},     {451, EINVAL},
    };
    for (gsize i = 0; i < G_N_ELEMENTS(rows); i++) {
        if (abfs_errno_for_http_status(rows[i].status) != rows[i].err)
            g_test_message("status %ld", rows[i].status);
        g_assert_cmpint(abfs_errno_for_http_status(rows[i].status), ==, rows[i].err);
    }
}

/* error.h: "408/504 ETIMEDOUT": a gateway timeout is a timeout. */
static void test_error_errno_504(void)
{
    g_assert_cmpint(abfs_errno_for_http_status(504), ==, ETIMEDOUT);
}

static char *message_of(long status, const char *body)
{
    return abfs_server_message(status, body, body ? strlen(body) : 0);
}

static void check_message(long status, const char *body, const char *expected)
{
    char *m = message_of(status, body);
    g_assert_cmpstr(m, ==, expected);
    g_free(m);
}

static void test_error_message_problem(void)
{
    check_message(404,
                  "{\"type\":\"https://reference.airbyte.com/reference/errors#resource-not-found\","
                  "\"title\":\"resource-not-found\",\"status\":404,"
                  "\"detail\":\"The requested resource could not be found.\","
                  "\"documentationUrl\":null,\"data\":{\"resourceType\":\"connection\",\"resourceId\":\"x\"}}",
                  "The requested resource could not be found.");
    /* title when there is no detail */
    check_message(409, "{\"type\":\"t\",\"title\":\"try-again-later\",\"status\":409}", "try-again-later");
}

static void test_error_message_config_api(void)
{
    check_message(422,
                  "{\"message\":\"Invalid input: cron\",\"exceptionClassName\":\"x.Y\",\"exceptionStack\":[]}",
                  "Invalid input: cron");
    check_message(429, "{\"message\":\"You are being rate limited.\"}", "You are being rate limited.");
}

static void test_error_message_micronaut(void)
{
    check_message(400, "{\"_embedded\":{\"errors\":[{\"message\":\"Invalid client id or token\"}]}}",
                  "Invalid client id or token");
}

/* The body self-managed servers really send (Micronaut's error JSON): the useful text is the embedded
 * error, not the generic top-level "Bad Request". */
static void test_error_message_micronaut_real_body(void)
{
    char *m = message_of(400, "{\"message\":\"Bad Request\",\"_links\":{\"self\":{\"href\":\"/api/public/v1/"
                              "applications/token\",\"templated\":false}},\"_embedded\":{\"errors\":"
                              "[{\"message\":\"Invalid client id or token\"}]}}");
    g_assert_nonnull(strstr(m, "Invalid client id or token"));
    g_free(m);
}

static void test_error_message_plain_text(void)
{
    check_message(502, "upstream connect error", "upstream connect error");
    /* error.h: "the body's first line when it is not JSON" */
    check_message(502, "upstream connect error\r\nreset reason: overflow\n", "upstream connect error");
}

/* Go's net/http and many ingresses answer "404 page not found": text, not JSON, even though it
 * starts with a number. */
static void test_error_message_text_starting_with_number(void)
{
    char *m = message_of(404, "404 page not found\n");
    g_assert_nonnull(strstr(m, "page not found"));
    g_free(m);
}

static void test_error_message_empty_body(void)
{
    check_message(404, "", "Not Found");
    check_message(503, NULL, "Service Unavailable");
    check_message(401, "   \n", "Unauthorized");
    check_message(409, "{}", "Conflict");
    check_message(403, "{\"detail\":\"\"}", "Forbidden");
    /* never NULL, never empty, whatever the status */
    char *m = message_of(599, "");
    g_assert_nonnull(m);
    g_assert_cmpuint(strlen(m), >, 0);
    g_free(m);
}

static void test_error_message_one_line(void)
{
    char *m = message_of(400, "{\"detail\":\"line one\\nline two\\r\\nline three\\tend\"}");
    g_assert_null(strchr(m, '\n'));
    g_assert_null(strchr(m, '\r'));
    g_assert_nonnull(strstr(m, "line one"));
    g_assert_nonnull(strstr(m, "line two"));
    g_assert_nonnull(strstr(m, "line three"));
    g_free(m);
    m = message_of(400, "{\"message\":\"\\n\\nleading blank lines\\n\"}");
    g_assert_cmpstr(m, ==, "leading blank lines");
    g_free(m);
}

static void test_error_set_http_error(void)
{
    const char *body = "{\"title\":\"try-again-later\",\"status\":409,\"detail\":\"A sync is already running.\"}";
    GError *err = NULL;
    abfs_set_http_error(&err, 409, body, strlen(body));
    g_assert_error(err, ABFS_ERROR, EBUSY);
    if (err)
        g_assert_cmpstr(err->message, ==, "HTTP 409: A sync is already running.");
    g_assert_cmpint(abfs_error_http_status(err), ==, 409);
    g_clear_error(&err);

    abfs_set_http_error(&err, 404, "", 0);
    g_assert_error(err, ABFS_ERROR, ENOENT);
    if (err)
        g_assert_cmpstr(err->message, ==, "HTTP 404: Not Found");
    g_assert_cmpint(abfs_error_http_status(err), ==, 404);
    g_clear_error(&err);

    abfs_set_http_error(NULL, 500, "x", 1); /* NULL error is allowed */

    /* errors without an HTTP status */
    g_assert_cmpint(abfs_error_http_status(NULL), ==, 0);
    err = g_error_new(ABFS_ERROR, EIO, "connection reset");
    g_assert_cmpint(abfs_error_http_status(err), ==, 0);
    g_clear_error(&err);
    err = g_error_new(G_FILE_ERROR, G_FILE_ERROR_NOENT, "HTTP 404: not ours");
    g_assert_cmpint(abfs_error_http_status(err), ==, 0);
    g_clear_error(&err);
}

int main(int argc, char **argv)
{
    abfs_unit_init(&argc, &argv);
    g_test_add_func("/error/errno-table", test_error_errno_table);
    g_test_add_func("/error/errno-504", test_error_errno_504);
    g_test_add_func("/error/message/problem", test_error_message_problem);
    g_test_add_func("/error/message/config-api", test_error_message_config_api);
    g_test_add_func("/error/message/micronaut", test_error_message_micronaut);
    g_test_add_func("/error/message/micronaut-real-body", test_error_message_micronaut_real_body);
    g_test_add_func("/error/message/plain-text", test_error_message_plain_text);
    g_test_add_func("/error/message/text-starting-with-number", test_error_message_text_starting_with_number);
    g_test_add_func("/error/message/empty-body", test_error_message_empty_body);
    g_test_add_func("/error/message/one-line", test_error_message_one_line);
    g_test_add_func("/error/set-http-error", test_error_set_http_error);
    return abfs_unit_run();
}
