/*
 * Client text kept in bounded fields. Whatever a client sends ends up in
 * fixed-size fields (the statistics' top clients, the table per MTA, the
 * session) and from there in JSON, Prometheus text, HTML and logs, all of
 * which must be valid UTF-8. Cutting a multi-octet character in half, or
 * passing on an octet that is not UTF-8, makes every one of those invalid
 * (a state file that no longer parses loses every counter at the next
 * start), so every bounded copy of client text goes through here.
 *
 * utf8_copy() copies src into dst (size octets, the NUL included): valid
 * UTF-8 characters as they are, each octet that does not begin one as
 * '?', and it stops before a character that would not fit whole. It
 * returns the length written. utf8_valid_dup() returns a copy of src
 * (NULL for NULL) made valid the same way, unbounded, for the caller to
 * g_free(). utf8_is_valid() says whether src needs no change.
 * utf8_boundary() is for text already valid: where to cut it.
 */
#ifndef ESMTP_UTF8_TEXT_H
#define ESMTP_UTF8_TEXT_H

#include <stdbool.h>
#include <stddef.h>

size_t utf8_copy(char *dst, size_t size, const char *src);
/* The largest length up to n that ends on a character boundary of the
   valid UTF-8 text s (n itself when s is shorter). */
size_t utf8_boundary(const char *s, size_t n);
char *utf8_valid_dup(const char *src);
/* The same for len octets that may hold a NUL (a file's text); the
   octets replaced are added to *replaced when it is not NULL. */
char *utf8_valid_dup_len(const char *src, size_t len, unsigned *replaced);
bool utf8_is_valid(const char *src);

#endif
