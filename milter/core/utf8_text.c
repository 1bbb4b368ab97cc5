/*
 * Bounded copies of client text that stay valid UTF-8 (utf8_text.h).
 * Surrogates and overlong forms are not UTF-8 (RFC 3629 section 3):
 * g_utf8_get_char_validated() refuses them, so they become '?' too.
 */
#include "utf8_text.h"

#include <string.h>
#include <glib.h>

/* The length of the valid character at s (at most len octets), or 0. */
static size_t
char_len(const char *s, size_t len)
{
	gunichar u = g_utf8_get_char_validated(s, (gssize)len);

	if (u == (gunichar)-1 || u == (gunichar)-2 || u == 0)
		return 0;
	return (size_t)(g_utf8_next_char(s) - s);
}

size_t
utf8_copy(char *dst, size_t size, const char *src)
{
	size_t n = 0, len;

	if (size == 0)
		return 0;
	len = src != NULL ? strlen(src) : 0;
	for (size_t i = 0; i < len;) {
		size_t w = (unsigned char)src[i] < 0x80 ? 1 : char_len(src + i, len - i);

		if (n + (w > 0 ? w : 1) >= size)
			break;
		if (w == 0) {
			dst[n++] = '?';
			i++;
		} else {
			memcpy(dst + n, src + i, w);
			n += w;
			i += w;
		}
	}
	dst[n] = '\0';
	return n;
}

size_t
utf8_boundary(const char *s, size_t n)
{
	if (strnlen(s, n) < n)
		return strlen(s);
	/* back over continuation octets (10xxxxxx) to a character's start */
	while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
		n--;
	return n;
}

bool
utf8_is_valid(const char *src)
{
	return src == NULL || g_utf8_validate(src, -1, NULL);
}

char *
utf8_valid_dup_len(const char *src, size_t len, unsigned *replaced)
{
	GString *out = g_string_sized_new(len + 1);
	const char *p = src, *end = src + len, *bad;

	/* '?' for each bad octet (a NUL included): never longer than src */
	while (!g_utf8_validate_len(p, (gsize)(end - p), &bad)) {
		g_string_append_len(out, p, bad - p);
		g_string_append_c(out, '?');
		if (replaced != NULL)
			(*replaced)++;
		p = bad + 1;
	}
	g_string_append_len(out, p, end - p);
	return g_string_free(out, FALSE);
}

char *
utf8_valid_dup(const char *src)
{
	return src != NULL ? utf8_valid_dup_len(src, strlen(src), NULL) : NULL;
}
