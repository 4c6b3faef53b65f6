/* text.c — shared text rules (text.h). */
#include "text.h"

#include <string.h>

char *abfs_text_line(const char *value)
{
    return g_strconcat(value ? value : "", "\n", NULL);
}

gboolean abfs_char_is_control(gunichar c)
{
    return c < 0x20 || c == 0x7f;
}

gboolean abfs_text_has_control(const char *text, gsize len)
{
    for (gsize i = 0; i < len; i++)
        if (abfs_char_is_control((guchar)text[i]))
            return TRUE;
    return FALSE;
}

void abfs_text_replace_controls(char *text, char replacement)
{
    for (char *p = text; *p; p++)
        if (abfs_char_is_control((guchar)*p))
            *p = replacement;
}

gboolean abfs_text_is_one_line(const char *text, gsize len)
{
    return len > 0 && !abfs_text_has_control(text, len) && g_utf8_validate(text, (gssize)len, NULL);
}

void abfs_strip_one_newline(char *text, gsize *len)
{
    if (*len > 0 && text[*len - 1] == '\n') {
        (*len)--;
        if (*len > 0 && text[*len - 1] == '\r')
            (*len)--;
        text[*len] = '\0';
    }
}

/* C isspace(): unlike g_ascii_isspace() this includes '\v' (cron.c splits fields on the same). */
static gboolean is_blank(char c)
{
    return g_ascii_isspace(c) || c == '\v';
}

char *abfs_cron_without_utc(const char *cron)
{
    const char *s = cron ? cron : "";
    while (*s && is_blank(*s))
        s++;
    gsize n = strlen(s);
    while (n > 0 && is_blank(s[n - 1]))
        n--;
    if (n >= 3 && g_ascii_strncasecmp(s + n - 3, "UTC", 3) == 0 && (n == 3 || is_blank(s[n - 4]))) {
        n -= 3;
        while (n > 0 && is_blank(s[n - 1]))
            n--;
    }
    return g_strndup(s, n);
}
