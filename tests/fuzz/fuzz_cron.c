/* tests/fuzz/fuzz_cron.c — libFuzzer harness for core/cron.c: feeds arbitrary bytes to
 * abfs_cron_normalize and checks its invariants (exactly one of result/error; error messages
 * are one line of valid UTF-8; results are idempotent). */
#include "cron.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  char *input = g_strndup((const char *)data, size); /* NUL-terminated (stops at any NUL) */
  GError *error = NULL;
  char *out = abfs_cron_normalize(input, &error);

  if ((out == NULL) == (error == NULL))
    abort();
  if (error) {
    if (error->domain != ABFS_CRON_ERROR || error->message[0] == '\0' ||
        strchr(error->message, '\n') || !g_utf8_validate(error->message, -1, NULL))
      abort();
    g_error_free(error);
  } else {
    char *again = abfs_cron_normalize(out, NULL);
    if (again == NULL || strcmp(again, out) != 0)
      abort();
    g_free(again);
  }
  g_free(out);
  g_free(input);
  return 0;
}
