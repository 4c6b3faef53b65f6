/* tests/fuzz/fuzz_common.h — helpers shared by the libFuzzer harnesses: NUL-terminated copies of
 * the input and the invariant checks that several harnesses make. A failed check calls abort(), so
 * libFuzzer records the input as a crash. */
#ifndef ABFS_FUZZ_COMMON_H
#define ABFS_FUZZ_COMMON_H

#include <glib.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Aborts with a message naming the broken invariant (shown above libFuzzer's crash report). */
#define FUZZ_CHECK(cond, ...)                                                        \
    do {                                                                             \
        if (!(cond)) {                                                               \
            fprintf(stderr, "%s:%d: invariant failed: %s: ", __FILE__, __LINE__, #cond); \
            fprintf(stderr, __VA_ARGS__);                                            \
            fputc('\n', stderr);                                                     \
            abort();                                                                 \
        }                                                                            \
    } while (0)

/* A copy of data[0..size) with a NUL after it (embedded NULs are kept). Free with g_free. */
static inline char *fuzz_copy(const uint8_t *data, size_t size)
{
    char *copy = g_malloc(size + 1);
    if (size > 0)
        memcpy(copy, data, size);
    copy[size] = '\0';
    return copy;
}

/* TRUE if s is one line with no ASCII control character (no CR, LF, TAB, DEL, ...). */
static inline gboolean fuzz_is_one_clean_line(const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p < 0x20 || *p == 0x7f)
            return FALSE;
    return TRUE;
}

/* An error as the core promises it: set, a message that is non-empty, one line. */
static inline void fuzz_check_error(const GError *error, const char *what)
{
    FUZZ_CHECK(error != NULL, "%s failed without setting an error", what);
    FUZZ_CHECK(error->message && error->message[0] != '\0', "%s: empty error message", what);
    FUZZ_CHECK(strchr(error->message, '\n') == NULL && strchr(error->message, '\r') == NULL,
               "%s: error message is not one line: %s", what, error->message);
}

#endif
