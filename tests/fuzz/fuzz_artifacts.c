/* tests/fuzz/fuzz_artifacts.c — libFuzzer harness for the write checks of state.json and
 * catalog.json (core/artifacts.h abfs_artifact_validate): the first byte picks the file, the rest
 * is what a user wrote. Invariant: accepted, or refused with EINVAL and a one-line message. */
#include "artifacts.h"
#include "error.h"
#include "fuzz_common.h"

#include <errno.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    AbfsArtifact kind = data[0] & 1 ? ABFS_ARTIFACT_CATALOG : ABFS_ARTIFACT_STATE;
    char *text = fuzz_copy(data + 1, size - 1);
    GError *err = NULL;
    gboolean ok = abfs_artifact_validate(kind, text, size - 1, &err);
    FUZZ_CHECK(ok == (err == NULL), "result and error disagree");
    if (err) {
        FUZZ_CHECK(err->domain == ABFS_ERROR && err->code == EINVAL, "error %d", err->code);
        FUZZ_CHECK(err->message[0] && fuzz_is_one_clean_line(err->message), "message %s", err->message);
        g_error_free(err);
    }
    g_free(text);
    return 0;
}
