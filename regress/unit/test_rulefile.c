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
 * rule_text(): "approve always" appends to cloister's project file
 * only where the new lines land in hostexec.auto_approve and the rest
 * stays byte for byte; any other shape is refused.  Each result is
 * read back with libyaml: the last item of hostexec.auto_approve is
 * the new pattern, and the old bytes are a prefix of the new file.
 */

#include <sys/types.h>
#include <sys/queue.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <event.h>
#include <yaml.h>

#include "imsgev.h"
#include "parent.h"

/* parent_rulefile.c asks for the configuration only in rule_add(). */
struct config *
parent_config(void)
{
	return (NULL);
}

#define PAT	"^make test\\.x$"

/*
 * The scalar at hostexec.auto_approve[-1].pattern of text, by a
 * plain walk of libyaml's document: malloc'd, or NULL.
 */
static char *
last_pattern(const char *text, size_t len)
{
	yaml_parser_t	 p;
	yaml_document_t	 doc;
	yaml_node_t	*root, *n, *k, *v, *list = NULL, *item;
	yaml_node_pair_t *pr;
	char		*out = NULL;

	assert_true(yaml_parser_initialize(&p));
	yaml_parser_set_input_string(&p, (const unsigned char *)text, len);
	if (!yaml_parser_load(&p, &doc)) {
		yaml_parser_delete(&p);
		return (NULL);
	}
	if ((root = yaml_document_get_root_node(&doc)) == NULL ||
	    root->type != YAML_MAPPING_NODE)
		goto done;
	n = NULL;
	for (pr = root->data.mapping.pairs.start;
	    pr < root->data.mapping.pairs.top; pr++) {
		k = yaml_document_get_node(&doc, pr->key);
		if (k->type == YAML_SCALAR_NODE &&
		    strcmp((char *)k->data.scalar.value, "hostexec") == 0)
			n = yaml_document_get_node(&doc, pr->value);
	}
	if (n == NULL || n->type != YAML_MAPPING_NODE)
		goto done;
	for (pr = n->data.mapping.pairs.start;
	    pr < n->data.mapping.pairs.top; pr++) {
		k = yaml_document_get_node(&doc, pr->key);
		if (strcmp((char *)k->data.scalar.value, "auto_approve") == 0)
			list = yaml_document_get_node(&doc, pr->value);
	}
	if (list == NULL || list->type != YAML_SEQUENCE_NODE ||
	    list->data.sequence.items.top == list->data.sequence.items.start)
		goto done;
	item = yaml_document_get_node(&doc, list->data.sequence.items.top[-1]);
	if (item->type != YAML_MAPPING_NODE)
		goto done;
	pr = item->data.mapping.pairs.start;
	k = yaml_document_get_node(&doc, pr->key);
	v = yaml_document_get_node(&doc, pr->value);
	if (strcmp((char *)k->data.scalar.value, "pattern") == 0 &&
	    v->type == YAML_SCALAR_NODE)
		out = strdup((char *)v->data.scalar.value);
 done:
	yaml_document_delete(&doc);
	yaml_parser_delete(&p);
	return (out);
}

/* in gets the rule: the old bytes kept, the pattern last in the list. */
static void
appends(const char *in, const char *want_tail)
{
	char		*out, *pat;
	size_t		 len;
	const char	*why = NULL;

	assert_int_equal(rule_text(in, strlen(in), PAT, "added by t", &out,
	    &len, &why), 0);
	assert_true(len > strlen(in));
	assert_memory_equal(out, in, strlen(in));
	if (want_tail != NULL) {
		assert_true(len >= strlen(want_tail));
		assert_string_equal(out + len - strlen(want_tail), want_tail);
	}
	pat = last_pattern(out, len);
	if (pat == NULL)
		fail_msg("no pattern in:\n%.*s", (int)len, out);
	assert_string_equal(pat, PAT);
	free(pat);
	free(out);
}

static void
refuses(const char *in)
{
	char		*out;
	size_t		 len;
	const char	*why = NULL;

	if (rule_text(in, strlen(in), PAT, "added by t", &out, &len,
	    &why) != -1)
		fail_msg("appended to:\n%s\ngiving:\n%.*s", in, (int)len, out);
	assert_non_null(why);
	assert_null(out);
}

static void
test_appends(void **state)
{
	/* Nothing, or only comments: a new hostexec. */
	appends("", "hostexec:\n  auto_approve:\n    # added by t\n"
	    "    - pattern: \"^make test\\\\.x$\"\n");
	appends("# nothing yet\n", NULL);
	/* Other keys, no hostexec. */
	appends("remote: \"git@x:y.git\"\nroot: /src\n", NULL);
	appends("refs:\n  - main\n", NULL);
	/* hostexec without auto_approve, at the end. */
	appends("remote: x\nhostexec:\n  manual_approve:\n"
	    "    - pattern: \"^git push\"\n",
	    "\n  auto_approve:\n    # added by t\n"
	    "    - pattern: \"^make test\\\\.x$\"\n");
	appends("hostexec:\n    manual_approve: []\n",
	    "\n    auto_approve:\n      # added by t\n"
	    "      - pattern: \"^make test\\\\.x$\"\n");
	/* A block list at the end: indented, indentless, quoted keys. */
	appends("hostexec:\n  auto_approve:\n    - pattern: \"^a$\"\n",
	    "    - pattern: \"^a$\"\n    # added by t\n"
	    "    - pattern: \"^make test\\\\.x$\"\n");
	appends("hostexec:\n  auto_approve:\n  - pattern: \"^a$\"\n",
	    "  - pattern: \"^a$\"\n  # added by t\n"
	    "  - pattern: \"^make test\\\\.x$\"\n");
	appends("\"hostexec\":\n  'auto_approve':\n    - {pattern: \"^a$\"}\n",
	    NULL);
	/* No final newline, comments after, an explicit start, CRLF. */
	appends("hostexec:\n  auto_approve:\n    - pattern: \"^a$\"", NULL);
	appends("hostexec:\n  auto_approve:\n    - pattern: \"^a$\"\n"
	    "# end\n\n", NULL);
	appends("---\nhostexec:\n  auto_approve:\n    - pattern: \"^a$\"\n",
	    NULL);
	appends("hostexec:\r\n  auto_approve:\r\n    - pattern: \"^a$\"\r\n",
	    NULL);
}

static void
test_refuses(void **state)
{
	/* A flow list or mapping. */
	refuses("hostexec:\n  auto_approve: [{pattern: \"^a$\"}]\n");
	refuses("hostexec: {auto_approve: []}\n");
	refuses("{hostexec: {}}\n");
	/* Not at the end: appending would land elsewhere. */
	refuses("hostexec:\n  auto_approve:\n    - pattern: \"^a$\"\n"
	    "  manual_approve: []\n");
	refuses("hostexec:\n  auto_approve:\n    - pattern: \"^a$\"\n"
	    "remote: x\n");
	refuses("hostexec:\n  manual_approve: []\nremote: x\n");
	/* hostexec empty, or not a mapping; auto_approve not a list. */
	refuses("hostexec:\n");
	refuses("hostexec: 1\n");
	refuses("hostexec:\n  auto_approve:\n");
	/* Anchors, tags, aliases. */
	refuses("hostexec: &h\n  auto_approve:\n    - pattern: x\n");
	refuses("hostexec:\n  auto_approve: !!seq\n    - pattern: x\n");
	refuses("a: &x [1]\nhostexec:\n  auto_approve: *x\n");
	/* A block scalar at the end; two documents; an explicit end. */
	refuses("root: |+\n  text\n\n");
	refuses("hostexec:\n  auto_approve:\n    - pattern: >\n"
	    "        ^a$\n");
	refuses("remote: x\n---\nremote: y\n");
	refuses("remote: x\n...\n");
	/* Not a mapping; not YAML. */
	refuses("- a\n- b\n");
	refuses("just text\n");
	refuses("a: [\n");
	refuses("  remote: x\n");
}

static void
test_comment(void **state)
{
	char	*c;

	c = rule_comment("alice (web UI, session 3)\nx\x7f",
	    "2026-01-15T14:32:05Z", "0123");
	assert_string_equal(c, "added by alice (web UI, session 3)?x? on "
	    "2026-01-15T14:32:05Z for request 0123");
	free(c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_appends),
		cmocka_unit_test(test_refuses),
		cmocka_unit_test(test_comment),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
