/*
 * Copyright (c) 2026 The guardiand authors
 *
 * Permission to use, copy, modify, and distribute this software for any
 * purpose with or without fee is hereby granted, provided that the above
 * copyright notice and this permission notice appear in all copies.
 *
 * THE SOFTWARE IS PROVIDED "AS IS" AND THE AUTHOR DISCLAIMS ALL WARRANTIES
 * WITH REGARD TO THIS SOFTWARE INCLUDING ALL IMPLIED WARRANTIES OF
 * MERCHANTABILITY AND FITNESS. IN NO EVENT SHALL THE AUTHOR BE LIABLE FOR
 * ANY SPECIAL, DIRECT, INDIRECT, OR CONSEQUENTIAL DAMAGES OR ANY DAMAGES
 * WHATSOEVER RESULTING FROM LOSS OF USE, DATA OR PROFITS, WHETHER IN AN
 * ACTION OF CONTRACT, NEGLIGENCE OR OTHER TORTIOUS ACTION, ARISING OUT OF
 * OR IN CONNECTION WITH THE USE OR PERFORMANCE OF THIS SOFTWARE.
 */

/*
 * log_escape(): how the parent writes a child's log text.  Whatever
 * the child sends, the result is printable ASCII on one line, and it
 * says exactly what was sent (it decodes back to the input).
 */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "log.h"

static void
check(const char *in, const char *want)
{
	char	*out;

	out = log_escape(in);
	assert_non_null(out);
	assert_string_equal(out, want);
	free(out);
}

static void
test_printable(void **state)
{
	check("", "");
	check("request: GET /pending 200 \"ok\" 100% {a=b} ~'`",
	    "request: GET /pending 200 \"ok\" 100% {a=b} ~'`");
}

static void
test_c_style(void **state)
{
	check("a\\b", "a\\\\b");
	check("one\ntwo", "one\\ntwo");
	check("\r\t\b", "\\r\\t\\b");
	/* A child cannot write what reads as an escape of another byte. */
	check("\\n", "\\\\n");
}

static void
test_octal(void **state)
{
	check("\x1b[31mred", "\\033[31mred");
	check("\x01\x07\x0b\x0c\x1f\x7f", "\\001\\007\\013\\014\\037\\177");
	/* C1 and every other byte from 0x80, UTF-8 or not. */
	check("\xc2\x85", "\\302\\205");
	check("caf\xc3\xa9", "caf\\303\\251");
	check("\xe2\x80\xae" "evil", "\\342\\200\\256evil");	/* U+202E */
	check("\xef\xbb\xbf", "\\357\\273\\277");		/* U+FEFF */
	check("\xff\x80", "\\377\\200");
}

/* The decoder a reader of the log would use. */
static size_t
unescape(const char *s, unsigned char *out)
{
	static const char	 letter[] = "\\nrtb", special[] = "\\\n\r\t\b";
	const char		*c;
	size_t			 n = 0;

	while (*s != '\0') {
		if (*s != '\\') {
			out[n++] = *s++;
			continue;
		}
		s++;
		if ((c = strchr(letter, *s)) != NULL && *s != '\0') {
			out[n++] = special[c - letter];
			s++;
			continue;
		}
		assert_true(s[0] >= '0' && s[0] <= '3');
		assert_true(s[1] >= '0' && s[1] <= '7');
		assert_true(s[2] >= '0' && s[2] <= '7');
		out[n++] = (s[0] - '0') << 6 | (s[1] - '0') << 3 | (s[2] - '0');
		s += 3;
	}
	return (n);
}

static void
test_every_byte(void **state)
{
	char		 in[256], *out;
	unsigned char	 back[256];
	size_t		 i;

	for (i = 1; i < 256; i++)
		in[i - 1] = (char)i;
	in[255] = '\0';
	out = log_escape(in);
	assert_non_null(out);
	assert_true(strlen(out) <= 4 * 255);
	for (i = 0; out[i] != '\0'; i++)
		assert_true(out[i] >= 0x20 && out[i] < 0x7f);
	assert_int_equal(unescape(out, back), 255);
	assert_memory_equal(back, in, 255);
	free(out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_printable),
		cmocka_unit_test(test_c_style),
		cmocka_unit_test(test_octal),
		cmocka_unit_test(test_every_byte),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
