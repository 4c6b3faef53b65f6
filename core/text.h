/* text.h — the small text rules every renderer and validator shares: a file's line, what counts as
 * a control character, the newline a write ends with, and the " UTC" the server appends to a cron
 * expression. Pure functions, thread-safe. */
#ifndef ABFS_TEXT_H
#define ABFS_TEXT_H

#include <glib.h>

/* value and one "\n" (value NULL: just "\n"), newly allocated: how one-line files render. */
char *abfs_text_line(const char *value);

/* TRUE for the C0 control characters (U+0000..U+001F) and DEL (U+007F): what no name, one-line
 * value or message line may hold. Bytes of UTF-8 text can be passed as (guchar) too. */
gboolean abfs_char_is_control(gunichar c);

/* TRUE if text[0..len) holds a control character (a NUL included). */
gboolean abfs_text_has_control(const char *text, gsize len);

/* Replaces every control character of the NUL-terminated text with replacement, in place. */
void abfs_text_replace_controls(char *text, char replacement);

/* TRUE if text[0..len) is one non-empty line of UTF-8 text: no NUL, newline or other control. */
gboolean abfs_text_is_one_line(const char *text, gsize len);

/* Removes one trailing "\n" or "\r\n" from text[0..*len) (in place; keeps it NUL-terminated). */
void abfs_strip_one_newline(char *text, gsize *len);

/* A cron expression without surrounding blanks and without the time zone the server appends when
 * reading back ("0 0 12 * * ? UTC" → "0 0 12 * * ?"; "UTC" in any case, after any blank). Newly
 * allocated; NULL reads as "". */
char *abfs_cron_without_utc(const char *cron);

#endif
