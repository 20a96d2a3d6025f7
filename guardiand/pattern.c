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
 * Go regular expressions (RE2 syntax) on pcre2.
 *
 * The pattern is parsed the way Go's regexp/syntax parses it with the
 * flags regexp.Compile uses (Perl: ClassNL | OneLine | PerlX |
 * UnicodeGroups), with the same errors and limits, into a small tree.
 * The tree is then written out as a pcre2 pattern that spells out every
 * construct explicitly (ASCII classes as ranges, ^ as \A, $ as \z),
 * so that no pcre2 default or inline option can give a construct a
 * meaning Go does not.  Only MatchString semantics matter here: groups
 * are written "(", which PCRE2_NO_AUTO_CAPTURE makes non-capturing
 * (pcre2 nests those deeper than "(?:"), and greediness is kept only
 * for speed.
 */

#include <sys/types.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "pattern.h"

/* Go's regexp/syntax limits (parse.go). */
#define GO_MAX_REPEAT	1000
#define GO_MAX_HEIGHT	1000
#define GO_MAX_SIZE	((128 << 20) / 40)
#define MAX_RUNE	0x10ffff
#define RUNE_ERROR	0xfffd

/*
 * pcre2 limits.  A pathological pattern such as ^(a+)+$ on a long
 * subject gives up after the match limit; the depth limit bounds the
 * backtracking frames (one per iteration of a repeated group, so it
 * must exceed the longest canonical string we expect) and the heap
 * limit what they may use.
 */
#define PAT_MATCH_LIMIT		1000000
#define PAT_DEPTH_LIMIT		1000000
#define PAT_HEAP_LIMIT		(64 * 1024)	/* KiB */
#define PAT_NEST_LIMIT		2500

/* Parse flags (Go's FoldCase, !OneLine, DotNL, NonGreedy). */
#define FL_FOLD		0x01
#define FL_MULTI	0x02
#define FL_DOTNL	0x04
#define FL_UNGREEDY	0x08

/* Go's error codes. */
#define E_CLASS		"invalid character class"
#define E_RANGE		"invalid character class range"
#define E_ESCAPE	"invalid escape sequence"
#define E_NAMED		"invalid named capture"
#define E_PERLOP	"invalid or unsupported Perl syntax"
#define E_REPEATOP	"invalid nested repetition operator"
#define E_REPEATSIZE	"invalid repeat count"
#define E_UTF8		"invalid UTF-8"
#define E_BRACKET	"missing closing ]"
#define E_PAREN		"missing closing )"
#define E_REPEATARG	"missing argument to repetition operator"
#define E_BACKSLASH	"trailing backslash at end of expression"
#define E_UNEXPAREN	"unexpected )"
#define E_NESTING	"expression nests too deeply"
#define E_LARGE		"expression too large"

struct pattern {
	char			*src;
	pcre2_code		*code;
	pcre2_match_context	*mctx;
};

enum op {
	OP_NOMATCH,
	OP_EMPTY,
	OP_LIT,
	OP_CLASS,
	OP_ANYNL,
	OP_ANY,
	OP_BOL,
	OP_EOL,
	OP_BOT,
	OP_EOT,
	OP_WB,
	OP_NWB,
	OP_CAP,
	OP_STAR,
	OP_PLUS,
	OP_QUEST,
	OP_REPEAT,
	OP_CONCAT,
	OP_ALT,
	OP_LPAREN,		/* parse stack markers, never in a tree */
	OP_VBAR
};

/* A Unicode class Go knows by name, as pcre2 spells it. */
struct uprop {
	const char	*name;		/* Go's name */
	const char	*pcre;		/* pcre2 properties, space separated */
	const uint32_t	*fold;		/* added under (?i), or NULL */
	int		 nofold;	/* (?i) not supported */
};

struct rset {
	uint32_t	*r;		/* lo, hi pairs */
	size_t		 n;		/* entries, twice the ranges */
	size_t		 cap;
};

struct citem {
	const char	*pcre;		/* pcre2 properties, space separated */
	const char	*script;	/* or a script, for \p{sc:NAME} */
	const uint32_t	*fold;		/* added under (?i) */
	int		 neg;
};

struct cclass {
	struct rset	 rs;		/* ranges pcre2 is to fold under (?i) */
	struct rset	 closed;	/* ranges closed under folding */
	struct citem	*it;
	size_t		 nit;
	size_t		 capit;
	int		 neg;
};

struct node {
	struct node	*alloc_next;
	enum op		 op;
	int		 flags;
	int		 cap;		/* OP_LPAREN: capturing */
	int		 min, max;	/* OP_REPEAT, max -1: none */
	int		 height;
	int64_t		 size;
	uint32_t	*runes;		/* OP_LIT */
	size_t		 nrunes;
	size_t		 caprunes;
	struct cclass	*cc;		/* OP_CLASS */
	struct node	**sub;
	size_t		 nsub;
};

struct parser {
	const char	*whole;
	int		 flags;
	struct node	**stack;
	size_t		 nstack;
	size_t		 capstack;
	struct node	*all;
	char		*err;
	size_t		 errlen;
	int		 failed;
};

struct buf {
	char		*s;
	size_t		 len;
	size_t		 cap;
	int		 oom;
};

/*
 * What Go's unicode.FoldCategory and FoldScript tables add to a class
 * under (?i): the code points whose case orbit meets the class.  Triples
 * lo, hi, stride; 0 ends.  From Go's tables, with the case pairs of
 * Unicode 14 (pcre2's version) added to Lu and Ll.
 */
static const uint32_t fold_l[] = { 0x345, 0x345, 1, 0 };
static const uint32_t fold_m[] = { 0x399, 0x3b9, 32, 0x1fbe, 0x1fbe, 1, 0 };
static const uint32_t fold_lt[] = {
	0x1c4, 0x1c6, 2, 0x1c7, 0x1c9, 2, 0x1ca, 0x1cc, 2, 0x1f1, 0x1f3, 2,
	0x1f80, 0x1f87, 1, 0x1f90, 0x1f97, 1, 0x1fa0, 0x1fa7, 1,
	0x1fb3, 0x1fc3, 16, 0x1ff3, 0x1ff3, 1, 0
};
static const uint32_t fold_common[] = { 0x39c, 0x3bc, 32, 0 };
static const uint32_t fold_greek[] = { 0xb5, 0x345, 656, 0 };
static const uint32_t fold_lu[] = {
	0x61, 0x7a, 1, 0xb5, 0xdf, 42, 0xe0, 0xf6, 1, 0xf8, 0xff, 1,
	0x101, 0x12f, 2, 0x133, 0x137, 2, 0x13a, 0x148, 2, 0x14b, 0x177, 2,
	0x17a, 0x17e, 2, 0x17f, 0x180, 1, 0x183, 0x185, 2, 0x188, 0x18c, 4,
	0x192, 0x195, 3, 0x199, 0x19a, 1, 0x19e, 0x1a1, 3, 0x1a3, 0x1a5, 2,
	0x1a8, 0x1ad, 5, 0x1b0, 0x1b4, 4, 0x1b6, 0x1b9, 3, 0x1bd, 0x1bf, 2,
	0x1c5, 0x1c6, 1, 0x1c8, 0x1c9, 1, 0x1cb, 0x1cc, 1, 0x1ce, 0x1dc, 2,
	0x1dd, 0x1ef, 2, 0x1f2, 0x1f3, 1, 0x1f5, 0x1f9, 4, 0x1fb, 0x21f, 2,
	0x223, 0x233, 2, 0x23c, 0x23f, 3, 0x240, 0x242, 2, 0x247, 0x24f, 2,
	0x250, 0x254, 1, 0x256, 0x257, 1, 0x259, 0x25b, 2, 0x25c, 0x260, 4,
	0x261, 0x265, 2, 0x266, 0x268, 2, 0x269, 0x26c, 1, 0x26f, 0x271, 2,
	0x272, 0x275, 3, 0x27d, 0x280, 3, 0x282, 0x283, 1, 0x287, 0x28c, 1,
	0x292, 0x29d, 11, 0x29e, 0x345, 167, 0x371, 0x373, 2, 0x377, 0x37b, 4,
	0x37c, 0x37d, 1, 0x3ac, 0x3af, 1, 0x3b1, 0x3ce, 1, 0x3d0, 0x3d1, 1,
	0x3d5, 0x3d7, 1, 0x3d9, 0x3ef, 2, 0x3f0, 0x3f3, 1, 0x3f5, 0x3fb, 3,
	0x430, 0x45f, 1, 0x461, 0x481, 2, 0x48b, 0x4bf, 2, 0x4c2, 0x4ce, 2,
	0x4cf, 0x52f, 2, 0x561, 0x586, 1, 0x10d0, 0x10fa, 1,
	0x10fd, 0x10ff, 1, 0x13f8, 0x13fd, 1, 0x1c80, 0x1c88, 1,
	0x1d79, 0x1d7d, 4, 0x1d8e, 0x1e01, 115, 0x1e03, 0x1e95, 2,
	0x1e9b, 0x1ea1, 6, 0x1ea3, 0x1eff, 2, 0x1f00, 0x1f07, 1,
	0x1f10, 0x1f15, 1, 0x1f20, 0x1f27, 1, 0x1f30, 0x1f37, 1,
	0x1f40, 0x1f45, 1, 0x1f51, 0x1f57, 2, 0x1f60, 0x1f67, 1,
	0x1f70, 0x1f7d, 1, 0x1fb0, 0x1fb1, 1, 0x1fbe, 0x1fd0, 18,
	0x1fd1, 0x1fe0, 15, 0x1fe1, 0x1fe5, 4, 0x214e, 0x2184, 54,
	0x2c30, 0x2c5e, 1, 0x2c61, 0x2c65, 4, 0x2c66, 0x2c6c, 2,
	0x2c73, 0x2c76, 3, 0x2c81, 0x2ce3, 2, 0x2cec, 0x2cee, 2,
	0x2cf3, 0x2d00, 13, 0x2d01, 0x2d25, 1, 0x2d27, 0x2d2d, 6,
	0xa641, 0xa66d, 2, 0xa681, 0xa69b, 2, 0xa723, 0xa72f, 2,
	0xa733, 0xa76f, 2, 0xa77a, 0xa77c, 2, 0xa77f, 0xa787, 2,
	0xa78c, 0xa791, 5, 0xa793, 0xa794, 1, 0xa797, 0xa7a9, 2,
	0xa7b5, 0xa7bf, 2, 0xa7c3, 0xa7c8, 5, 0xa7ca, 0xa7f6, 44,
	0xab53, 0xab70, 29, 0xab71, 0xabbf, 1, 0xff41, 0xff5a, 1,
	0x10428, 0x1044f, 1, 0x104d8, 0x104fb, 1, 0x10cc0, 0x10cf2, 1,
	0x118c0, 0x118df, 1, 0x16e60, 0x16e7f, 1, 0x1e922, 0x1e943, 1,
	0x2c5f, 0x2c5f, 1, 0xa7c1, 0xa7c1, 1, 0xa7d1, 0xa7d1, 1,
	0xa7d7, 0xa7d7, 1, 0xa7d9, 0xa7d9, 1, 0x10597, 0x105a1, 1,
	0x105a3, 0x105b1, 1, 0x105b3, 0x105b9, 1, 0x105bb, 0x105bc, 1, 0
};
static const uint32_t fold_ll[] = {
	0x41, 0x5a, 1, 0xc0, 0xd6, 1, 0xd8, 0xde, 1, 0x100, 0x12e, 2,
	0x132, 0x136, 2, 0x139, 0x147, 2, 0x14a, 0x178, 2, 0x179, 0x17d, 2,
	0x181, 0x182, 1, 0x184, 0x186, 2, 0x187, 0x189, 2, 0x18a, 0x18b, 1,
	0x18e, 0x191, 1, 0x193, 0x194, 1, 0x196, 0x198, 1, 0x19c, 0x19d, 1,
	0x19f, 0x1a0, 1, 0x1a2, 0x1a6, 2, 0x1a7, 0x1a9, 2, 0x1ac, 0x1ae, 2,
	0x1af, 0x1b1, 2, 0x1b2, 0x1b3, 1, 0x1b5, 0x1b7, 2, 0x1b8, 0x1bc, 4,
	0x1c4, 0x1c5, 1, 0x1c7, 0x1c8, 1, 0x1ca, 0x1cb, 1, 0x1cd, 0x1db, 2,
	0x1de, 0x1ee, 2, 0x1f1, 0x1f2, 1, 0x1f4, 0x1f6, 2, 0x1f7, 0x1f8, 1,
	0x1fa, 0x232, 2, 0x23a, 0x23b, 1, 0x23d, 0x23e, 1, 0x241, 0x243, 2,
	0x244, 0x246, 1, 0x248, 0x24e, 2, 0x345, 0x370, 43, 0x372, 0x376, 4,
	0x37f, 0x386, 7, 0x388, 0x38a, 1, 0x38c, 0x38e, 2, 0x38f, 0x391, 2,
	0x392, 0x3a1, 1, 0x3a3, 0x3ab, 1, 0x3cf, 0x3d8, 9, 0x3da, 0x3ee, 2,
	0x3f4, 0x3f7, 3, 0x3f9, 0x3fa, 1, 0x3fd, 0x42f, 1, 0x460, 0x480, 2,
	0x48a, 0x4c0, 2, 0x4c1, 0x4cd, 2, 0x4d0, 0x52e, 2, 0x531, 0x556, 1,
	0x10a0, 0x10c5, 1, 0x10c7, 0x10cd, 6, 0x13a0, 0x13f5, 1,
	0x1c90, 0x1cba, 1, 0x1cbd, 0x1cbf, 1, 0x1e00, 0x1e94, 2,
	0x1e9e, 0x1efe, 2, 0x1f08, 0x1f0f, 1, 0x1f18, 0x1f1d, 1,
	0x1f28, 0x1f2f, 1, 0x1f38, 0x1f3f, 1, 0x1f48, 0x1f4d, 1,
	0x1f59, 0x1f5f, 2, 0x1f68, 0x1f6f, 1, 0x1f88, 0x1f8f, 1,
	0x1f98, 0x1f9f, 1, 0x1fa8, 0x1faf, 1, 0x1fb8, 0x1fbc, 1,
	0x1fc8, 0x1fcc, 1, 0x1fd8, 0x1fdb, 1, 0x1fe8, 0x1fec, 1,
	0x1ff8, 0x1ffc, 1, 0x2126, 0x212a, 4, 0x212b, 0x2132, 7,
	0x2183, 0x2c00, 2685, 0x2c01, 0x2c2e, 1, 0x2c60, 0x2c62, 2,
	0x2c63, 0x2c64, 1, 0x2c67, 0x2c6d, 2, 0x2c6e, 0x2c70, 1,
	0x2c72, 0x2c75, 3, 0x2c7e, 0x2c80, 1, 0x2c82, 0x2ce2, 2,
	0x2ceb, 0x2ced, 2, 0x2cf2, 0xa640, 31054, 0xa642, 0xa66c, 2,
	0xa680, 0xa69a, 2, 0xa722, 0xa72e, 2, 0xa732, 0xa76e, 2,
	0xa779, 0xa77d, 2, 0xa77e, 0xa786, 2, 0xa78b, 0xa78d, 2,
	0xa790, 0xa792, 2, 0xa796, 0xa7aa, 2, 0xa7ab, 0xa7ae, 1,
	0xa7b0, 0xa7b4, 1, 0xa7b6, 0xa7be, 2, 0xa7c2, 0xa7c4, 2,
	0xa7c5, 0xa7c7, 1, 0xa7c9, 0xa7f5, 44, 0xff21, 0xff3a, 1,
	0x10400, 0x10427, 1, 0x104b0, 0x104d3, 1, 0x10c80, 0x10cb2, 1,
	0x118a0, 0x118bf, 1, 0x16e40, 0x16e5f, 1, 0x1e900, 0x1e921, 1,
	0x2c2f, 0x2c2f, 1, 0xa7c0, 0xa7c0, 1, 0xa7d0, 0xa7d0, 1,
	0xa7d6, 0xa7d6, 1, 0xa7d8, 0xa7d8, 1, 0x10570, 0x1057a, 1,
	0x1057c, 0x1058a, 1, 0x1058c, 0x10592, 1, 0x10594, 0x10595, 1, 0
};

/*
 * General categories.  Go's C leaves out Cn (unassigned) where pcre2's
 * does not.  pcre2 ignores (?i) for \p: what Go adds is listed.  Go's
 * tables may or may not fold LC, so (?i) with LC is refused.
 */
static const struct uprop categories[] = {
	{ "C", "Cc Cf Co Cs", NULL, 0 },
	{ "Cc", "Cc", NULL, 0 },
	{ "Cf", "Cf", NULL, 0 },
	{ "Co", "Co", NULL, 0 },
	{ "Cs", "Cs", NULL, 0 },
	{ "L", "L", fold_l, 0 },
	{ "LC", "Lu Ll Lt", NULL, 1 },
	{ "Ll", "Ll", fold_ll, 0 },
	{ "Lm", "Lm", NULL, 0 },
	{ "Lo", "Lo", NULL, 0 },
	{ "Lt", "Lt", fold_lt, 0 },
	{ "Lu", "Lu", fold_lu, 0 },
	{ "M", "M", fold_m, 0 },
	{ "Mc", "Mc", NULL, 0 },
	{ "Me", "Me", NULL, 0 },
	{ "Mn", "Mn", fold_m, 0 },
	{ "N", "N", NULL, 0 },
	{ "Nd", "Nd", NULL, 0 },
	{ "Nl", "Nl", NULL, 0 },
	{ "No", "No", NULL, 0 },
	{ "P", "P", NULL, 0 },
	{ "Pc", "Pc", NULL, 0 },
	{ "Pd", "Pd", NULL, 0 },
	{ "Pe", "Pe", NULL, 0 },
	{ "Pf", "Pf", NULL, 0 },
	{ "Pi", "Pi", NULL, 0 },
	{ "Po", "Po", NULL, 0 },
	{ "Ps", "Ps", NULL, 0 },
	{ "S", "S", NULL, 0 },
	{ "Sc", "Sc", NULL, 0 },
	{ "Sk", "Sk", NULL, 0 },
	{ "Sm", "Sm", NULL, 0 },
	{ "So", "So", NULL, 0 },
	{ "Z", "Z", NULL, 0 },
	{ "Zl", "Zl", NULL, 0 },
	{ "Zp", "Zp", NULL, 0 },
	{ "Zs", "Zs", NULL, 0 },
	{ NULL, NULL, NULL, 0 }
};

/* Long names of the general categories (Unicode PropertyValueAliases). */
static const struct {
	const char	*alias;
	const char	*name;
} category_aliases[] = {
	{ "Other", "C" }, { "Control", "Cc" }, { "cntrl", "Cc" },
	{ "Format", "Cf" }, { "Private_Use", "Co" }, { "Surrogate", "Cs" },
	{ "Letter", "L" }, { "Cased_Letter", "LC" },
	{ "Lowercase_Letter", "Ll" }, { "Modifier_Letter", "Lm" },
	{ "Other_Letter", "Lo" }, { "Titlecase_Letter", "Lt" },
	{ "Uppercase_Letter", "Lu" }, { "Mark", "M" },
	{ "Combining_Mark", "M" }, { "Spacing_Mark", "Mc" },
	{ "Enclosing_Mark", "Me" }, { "Nonspacing_Mark", "Mn" },
	{ "Number", "N" }, { "Decimal_Number", "Nd" }, { "digit", "Nd" },
	{ "Letter_Number", "Nl" }, { "Other_Number", "No" },
	{ "Punctuation", "P" }, { "punct", "P" },
	{ "Connector_Punctuation", "Pc" }, { "Dash_Punctuation", "Pd" },
	{ "Close_Punctuation", "Pe" }, { "Final_Punctuation", "Pf" },
	{ "Initial_Punctuation", "Pi" }, { "Other_Punctuation", "Po" },
	{ "Open_Punctuation", "Ps" }, { "Symbol", "S" },
	{ "Currency_Symbol", "Sc" }, { "Modifier_Symbol", "Sk" },
	{ "Math_Symbol", "Sm" }, { "Other_Symbol", "So" },
	{ "Separator", "Z" }, { "Line_Separator", "Zl" },
	{ "Paragraph_Separator", "Zp" }, { "Space_Separator", "Zs" },
	{ NULL, NULL }
};

/*
 * Scripts (Unicode 15, as in Go).  pcre2's plain \p{Greek} means the
 * Script_Extensions property; Go's means Script, hence sc: below.
 */
static const char *const scripts[] = {
	"Adlam", "Ahom", "Anatolian_Hieroglyphs", "Arabic", "Armenian",
	"Avestan", "Balinese", "Bamum", "Bassa_Vah", "Batak", "Bengali",
	"Bhaiksuki", "Bopomofo", "Brahmi", "Braille", "Buginese", "Buhid",
	"Canadian_Aboriginal", "Carian", "Caucasian_Albanian", "Chakma",
	"Cham", "Cherokee", "Chorasmian", "Common", "Coptic", "Cuneiform",
	"Cypriot", "Cypro_Minoan", "Cyrillic", "Deseret", "Devanagari",
	"Dives_Akuru", "Dogra", "Duployan", "Egyptian_Hieroglyphs",
	"Elbasan", "Elymaic", "Ethiopic", "Georgian", "Glagolitic",
	"Gothic", "Grantha", "Greek", "Gujarati", "Gunjala_Gondi",
	"Gurmukhi", "Han", "Hangul", "Hanifi_Rohingya", "Hanunoo",
	"Hatran", "Hebrew", "Hiragana", "Imperial_Aramaic", "Inherited",
	"Inscriptional_Pahlavi", "Inscriptional_Parthian", "Javanese",
	"Kaithi", "Kannada", "Katakana", "Kawi", "Kayah_Li", "Kharoshthi",
	"Khitan_Small_Script", "Khmer", "Khojki", "Khudawadi", "Lao",
	"Latin", "Lepcha", "Limbu", "Linear_A", "Linear_B", "Lisu",
	"Lycian", "Lydian", "Mahajani", "Makasar", "Malayalam", "Mandaic",
	"Manichaean", "Marchen", "Masaram_Gondi", "Medefaidrin",
	"Meetei_Mayek", "Mende_Kikakui", "Meroitic_Cursive",
	"Meroitic_Hieroglyphs", "Miao", "Modi", "Mongolian", "Mro",
	"Multani", "Myanmar", "Nabataean", "Nag_Mundari", "Nandinagari",
	"New_Tai_Lue", "Newa", "Nko", "Nushu", "Nyiakeng_Puachue_Hmong",
	"Ogham", "Ol_Chiki", "Old_Hungarian", "Old_Italic",
	"Old_North_Arabian", "Old_Permic", "Old_Persian", "Old_Sogdian",
	"Old_South_Arabian", "Old_Turkic", "Old_Uyghur", "Oriya", "Osage",
	"Osmanya", "Pahawh_Hmong", "Palmyrene", "Pau_Cin_Hau", "Phags_Pa",
	"Phoenician", "Psalter_Pahlavi", "Rejang", "Runic", "Samaritan",
	"Saurashtra", "Sharada", "Shavian", "Siddham", "SignWriting",
	"Sinhala", "Sogdian", "Sora_Sompeng", "Soyombo", "Sundanese",
	"Syloti_Nagri", "Syriac", "Tagalog", "Tagbanwa", "Tai_Le",
	"Tai_Tham", "Tai_Viet", "Takri", "Tamil", "Tangsa", "Tangut",
	"Telugu", "Thaana", "Thai", "Tibetan", "Tifinagh", "Tirhuta",
	"Toto", "Ugaritic", "Vai", "Vithkuqi", "Wancho", "Warang_Citi",
	"Yezidi", "Yi", "Zanabazar_Square", NULL
};

/* ASCII classes: Perl's \d \s \w and the POSIX [:name:] ones. */
static const uint32_t r_digit[] = { '0', '9', 0, 0 };
static const uint32_t r_space_perl[] = { '\t', '\n', '\f', '\r', ' ', ' ',
	0, 0 };
static const uint32_t r_word[] = { '0', '9', 'A', 'Z', '_', '_', 'a', 'z',
	0, 0 };
static const uint32_t r_alnum[] = { '0', '9', 'A', 'Z', 'a', 'z', 0, 0 };
static const uint32_t r_alpha[] = { 'A', 'Z', 'a', 'z', 0, 0 };
static const uint32_t r_ascii[] = { 0, 0x7f, 0, 0 };
static const uint32_t r_blank[] = { '\t', '\t', ' ', ' ', 0, 0 };
static const uint32_t r_cntrl[] = { 0, 0x1f, 0x7f, 0x7f, 0, 0 };
static const uint32_t r_graph[] = { '!', '~', 0, 0 };
static const uint32_t r_lower[] = { 'a', 'z', 0, 0 };
static const uint32_t r_print[] = { ' ', '~', 0, 0 };
static const uint32_t r_punct[] = { '!', '/', ':', '@', '[', '`', '{', '~',
	0, 0 };
static const uint32_t r_space[] = { '\t', '\r', ' ', ' ', 0, 0 };
static const uint32_t r_upper[] = { 'A', 'Z', 0, 0 };
static const uint32_t r_xdigit[] = { '0', '9', 'A', 'F', 'a', 'f', 0, 0 };

/* A table ends with the pair 0, 0 (no class starts with an empty one). */
static const struct {
	const char	*name;
	const uint32_t	*r;
} posix_groups[] = {
	{ "alnum", r_alnum }, { "alpha", r_alpha }, { "ascii", r_ascii },
	{ "blank", r_blank }, { "cntrl", r_cntrl }, { "digit", r_digit },
	{ "graph", r_graph }, { "lower", r_lower }, { "print", r_print },
	{ "punct", r_punct }, { "space", r_space }, { "upper", r_upper },
	{ "word", r_word }, { "xdigit", r_xdigit }, { NULL, NULL }
};

/*
 * UTF-8, strictly as Go's decoder: no overlong forms, no surrogates,
 * nothing above U+10FFFF.  Returns the length, 0 at the end, -1 if
 * invalid.
 */
static int
utf8_decode(const unsigned char *s, uint32_t *rp)
{
	uint32_t	 r;
	int		 n, i;

	if (s[0] == '\0') {
		*rp = RUNE_ERROR;
		return (0);
	}
	if (s[0] < 0x80) {
		*rp = s[0];
		return (1);
	}
	if (s[0] < 0xc2)
		return (-1);
	if (s[0] < 0xe0) {
		n = 2;
		r = s[0] & 0x1f;
	} else if (s[0] < 0xf0) {
		n = 3;
		r = s[0] & 0x0f;
	} else if (s[0] < 0xf5) {
		n = 4;
		r = s[0] & 0x07;
	} else
		return (-1);
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return (-1);
		r = (r << 6) | (s[i] & 0x3f);
	}
	if ((n == 3 && r < 0x800) || (n == 4 && r < 0x10000) ||
	    r > MAX_RUNE || (r >= 0xd800 && r <= 0xdfff))
		return (-1);
	*rp = r;
	return (n);
}

/* The next rune of a pattern already checked to be valid UTF-8. */
static const char *
next_rune(const char *s, uint32_t *rp)
{
	int	 n;

	n = utf8_decode((const unsigned char *)s, rp);
	return (s + (n > 0 ? n : 0));
}

/* Buffers. */

static void
buf_grow(struct buf *b, size_t more)
{
	char	*ns;
	size_t	 ncap;

	if (b->oom)
		return;
	if (b->len + more + 1 <= b->cap)
		return;
	ncap = b->cap ? b->cap : 64;
	while (ncap < b->len + more + 1)
		ncap *= 2;
	if ((ns = realloc(b->s, ncap)) == NULL) {
		b->oom = 1;
		return;
	}
	b->s = ns;
	b->cap = ncap;
}

static void
buf_add(struct buf *b, const char *s, size_t n)
{
	buf_grow(b, n);
	if (b->oom)
		return;
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
}

static void
buf_str(struct buf *b, const char *s)
{
	buf_add(b, s, strlen(s));
}

static void
buf_fmt(struct buf *b, const char *fmt, unsigned long v)
{
	char	 tmp[32];
	int	 n;

	n = snprintf(tmp, sizeof(tmp), fmt, v);
	if (n > 0 && (size_t)n < sizeof(tmp))
		buf_add(b, tmp, n);
}

/* Errors. */

/*
 * Go's message, "code: `expr`".  The excerpt is shortened, and control
 * characters are written \xHH so that a message stays on one line.
 */
static void
set_error(struct parser *p, const char *code, const char *expr, size_t len)
{
	struct buf	 b;
	size_t		 i, max = 80;
	unsigned char	 c;

	if (p->failed)
		return;
	p->failed = 1;
	if (p->err == NULL || p->errlen == 0)
		return;
	memset(&b, 0, sizeof(b));
	buf_str(&b, code);
	if (expr != NULL) {
		buf_str(&b, ": `");
		for (i = 0; i < len; i++) {
			c = expr[i];
			if (i >= max && (c & 0xc0) != 0x80) {
				buf_str(&b, "...");
				break;
			}
			if (c < 0x20 || c == 0x7f)
				buf_fmt(&b, "\\x%02lx", c);
			else
				buf_add(&b, (const char *)&c, 1);
		}
		buf_str(&b, "`");
	}
	if (b.oom)
		(void)strlcpy(p->err, "out of memory", p->errlen);
	else
		(void)strlcpy(p->err, b.s, p->errlen);
	free(b.s);
}

static void
set_error_str(struct parser *p, const char *code, const char *expr)
{
	set_error(p, code, expr, strlen(expr));
}

static void
set_oom(struct parser *p)
{
	set_error(p, "out of memory", NULL, 0);
}

/* Range sets. */

static int
rs_add(struct rset *rs, uint32_t lo, uint32_t hi)
{
	uint32_t	*nr;
	size_t		 ncap;

	if (rs->n + 2 > rs->cap) {
		ncap = rs->cap ? rs->cap * 2 : 16;
		if ((nr = reallocarray(rs->r, ncap, sizeof(*nr))) == NULL)
			return (-1);
		rs->r = nr;
		rs->cap = ncap;
	}
	rs->r[rs->n++] = lo;
	rs->r[rs->n++] = hi;
	return (0);
}

static int
range_cmp(const void *a, const void *b)
{
	const uint32_t	*x = a, *y = b;

	if (x[0] != y[0])
		return (x[0] < y[0] ? -1 : 1);
	if (x[1] != y[1])
		return (x[1] > y[1] ? -1 : 1);
	return (0);
}

/* Sort and merge overlapping or abutting ranges. */
static void
rs_clean(struct rset *rs)
{
	size_t	 i, w;

	if (rs->n < 4)
		return;
	qsort(rs->r, rs->n / 2, 2 * sizeof(uint32_t), range_cmp);
	w = 2;
	for (i = 2; i < rs->n; i += 2) {
		if (rs->r[i] <= rs->r[w - 1] + 1) {
			if (rs->r[i + 1] > rs->r[w - 1])
				rs->r[w - 1] = rs->r[i + 1];
			continue;
		}
		rs->r[w] = rs->r[i];
		rs->r[w + 1] = rs->r[i + 1];
		w += 2;
	}
	rs->n = w;
}

/*
 * Add an ASCII class table to rs: folded as Go folds it under (?i)
 * (other-case letters, and U+017F for s, U+212A for k), negated if neg.
 */
static int
rs_add_group(struct rset *rs, const uint32_t *tab, int fold, int neg)
{
	struct rset	 g;
	uint32_t	 c, next;
	unsigned char	 in[128];
	size_t		 i;
	int		 rv = -1;

	memset(in, 0, sizeof(in));
	for (i = 0; tab[i] != 0 || tab[i + 1] != 0; i += 2)
		for (c = tab[i]; c <= tab[i + 1]; c++)
			in[c] = 1;
	if (fold)
		for (c = 'A'; c <= 'Z'; c++)
			if (in[c] || in[c + 32])
				in[c] = in[c + 32] = 1;
	memset(&g, 0, sizeof(g));
	for (c = 0; c < 128; c++) {
		if (!in[c])
			continue;
		for (next = c; next + 1 < 128 && in[next + 1]; next++)
			;
		if (rs_add(&g, c, next) == -1)
			goto out;
		c = next;
	}
	if (fold && in['k'] && rs_add(&g, 0x212a, 0x212a) == -1)
		goto out;
	if (fold && in['s'] && rs_add(&g, 0x17f, 0x17f) == -1)
		goto out;
	rs_clean(&g);
	if (!neg) {
		for (i = 0; i < g.n; i += 2)
			if (rs_add(rs, g.r[i], g.r[i + 1]) == -1)
				goto out;
	} else {
		next = 0;
		for (i = 0; i < g.n; i += 2) {
			if (g.r[i] > next &&
			    rs_add(rs, next, g.r[i] - 1) == -1)
				goto out;
			next = g.r[i + 1] + 1;
		}
		if (next <= MAX_RUNE && rs_add(rs, next, MAX_RUNE) == -1)
			goto out;
	}
	rv = 0;
 out:
	free(g.r);
	return (rv);
}

/* Tree nodes. */

static struct node *
node_new(struct parser *p, enum op op)
{
	struct node	*n;

	if ((n = calloc(1, sizeof(*n))) == NULL) {
		set_oom(p);
		return (NULL);
	}
	n->op = op;
	n->flags = p->flags;
	n->height = 1;
	n->size = 1;
	n->alloc_next = p->all;
	p->all = n;
	return (n);
}

static void
node_free_all(struct node *n)
{
	struct node	*next;

	for (; n != NULL; n = next) {
		next = n->alloc_next;
		free(n->runes);
		if (n->cc != NULL) {
			free(n->cc->rs.r);
			free(n->cc->closed.r);
			free(n->cc->it);
			free(n->cc);
		}
		free(n->sub);
		free(n);
	}
}

/*
 * Height and compiled size as Go's checkHeight and calcSize count them;
 * called on each node once its children are final.
 */
static int
node_check(struct parser *p, struct node *n)
{
	int64_t		 size = 0, sub = 0;
	size_t		 i;

	for (i = 0; i < n->nsub; i++)
		if (n->height < n->sub[i]->height + 1)
			n->height = n->sub[i]->height + 1;
	if (n->nsub > 0)
		sub = n->sub[0]->size;
	switch (n->op) {
	case OP_LIT:
		size = n->nrunes;
		break;
	case OP_CAP:
	case OP_STAR:
		size = 2 + sub;
		break;
	case OP_PLUS:
	case OP_QUEST:
		size = 1 + sub;
		break;
	case OP_CONCAT:
	case OP_ALT:
		for (i = 0; i < n->nsub; i++)
			size += n->sub[i]->size;
		if (n->op == OP_ALT && n->nsub > 1)
			size += n->nsub - 1;
		break;
	case OP_REPEAT:
		if (n->max == -1)
			size = n->min == 0 ? 2 + sub : 1 + n->min * sub;
		else
			size = n->max * sub + (n->max - n->min);
		break;
	default:
		break;
	}
	if (size < 1)
		size = 1;
	if (size > GO_MAX_SIZE)
		size = GO_MAX_SIZE + 1;
	n->size = size;
	if (n->height > GO_MAX_HEIGHT) {
		set_error_str(p, E_NESTING, p->whole);
		return (-1);
	}
	if (n->size > GO_MAX_SIZE) {
		set_error_str(p, E_LARGE, p->whole);
		return (-1);
	}
	return (0);
}

static int
node_add_sub(struct parser *p, struct node *n, struct node *sub)
{
	struct node	**ns;

	if ((ns = reallocarray(n->sub, n->nsub + 1, sizeof(*ns))) == NULL) {
		set_oom(p);
		return (-1);
	}
	n->sub = ns;
	n->sub[n->nsub++] = sub;
	return (0);
}

static int
lit_add(struct parser *p, struct node *n, uint32_t r)
{
	uint32_t	*nr;
	size_t		 ncap;

	if (n->nrunes == n->caprunes) {
		ncap = n->caprunes ? n->caprunes * 2 : 4;
		if ((nr = reallocarray(n->runes, ncap, sizeof(*nr))) == NULL) {
			set_oom(p);
			return (-1);
		}
		n->runes = nr;
		n->caprunes = ncap;
	}
	n->runes[n->nrunes++] = r;
	return (0);
}

/* Parse stack. */

static int
push(struct parser *p, struct node *n)
{
	struct node	**ns;
	size_t		 ncap;

	if (n == NULL)
		return (-1);
	if (p->nstack == p->capstack) {
		ncap = p->capstack ? p->capstack * 2 : 32;
		if ((ns = reallocarray(p->stack, ncap, sizeof(*ns))) == NULL) {
			set_oom(p);
			return (-1);
		}
		p->stack = ns;
		p->capstack = ncap;
	}
	p->stack[p->nstack++] = n;
	return (0);
}

static int
is_marker(const struct node *n)
{
	return (n->op == OP_LPAREN || n->op == OP_VBAR);
}

static int
push_op(struct parser *p, enum op op)
{
	return (push(p, node_new(p, op)));
}

static int
push_literal(struct parser *p, uint32_t r)
{
	struct node	*n;

	if ((n = node_new(p, OP_LIT)) == NULL)
		return (-1);
	n->flags &= FL_FOLD;
	if (lit_add(p, n, r) == -1 || node_check(p, n) == -1)
		return (-1);
	return (push(p, n));
}

/*
 * Replace what is above the topmost marker by its concatenation, with
 * adjacent literals joined and nested concatenations flattened.
 */
static int
concat(struct parser *p)
{
	struct node	*n, *s, *e, *last = NULL;
	size_t		 i, j, k, m;

	i = p->nstack;
	while (i > 0 && !is_marker(p->stack[i - 1]))
		i--;
	if (i == p->nstack)
		return (push_op(p, OP_EMPTY));
	if (p->nstack - i == 1)
		return (0);
	if ((n = node_new(p, OP_CONCAT)) == NULL)
		return (-1);
	for (j = i; j < p->nstack; j++) {
		s = p->stack[j];
		for (k = 0; k < (s->op == OP_CONCAT ? s->nsub : 1); k++) {
			e = s->op == OP_CONCAT ? s->sub[k] : s;
			if (last != NULL && last->op == OP_LIT &&
			    e->op == OP_LIT &&
			    (last->flags & FL_FOLD) == (e->flags & FL_FOLD)) {
				for (m = 0; m < e->nrunes; m++)
					if (lit_add(p, last, e->runes[m]) == -1)
						return (-1);
				if (node_check(p, last) == -1)
					return (-1);
				continue;
			}
			if (node_add_sub(p, n, e) == -1)
				return (-1);
			last = e;
		}
	}
	p->nstack = i;
	if (n->nsub == 1)
		return (push(p, n->sub[0]));
	if (node_check(p, n) == -1)
		return (-1);
	return (push(p, n));
}

/* Replace what is above the topmost ( by the alternation of its branches. */
static int
alternate(struct parser *p)
{
	struct node	*n, *s;
	size_t		 i, j, k;

	i = p->nstack;
	while (i > 0 && p->stack[i - 1]->op != OP_LPAREN)
		i--;
	if ((n = node_new(p, OP_ALT)) == NULL)
		return (-1);
	for (j = i; j < p->nstack; j++) {
		s = p->stack[j];
		if (s->op == OP_VBAR)
			continue;
		if (s->op == OP_ALT) {
			for (k = 0; k < s->nsub; k++)
				if (node_add_sub(p, n, s->sub[k]) == -1)
					return (-1);
		} else if (node_add_sub(p, n, s) == -1)
			return (-1);
	}
	p->nstack = i;
	if (n->nsub == 0)
		n->op = OP_NOMATCH;
	else if (n->nsub == 1)
		return (push(p, n->sub[0]));
	else if (node_check(p, n) == -1)
		return (-1);
	return (push(p, n));
}

/* Repetitions. */

/* Go's repeatIsValid: nested counts may not multiply past n. */
static int
repeat_is_valid(const struct node *n, int max)
{
	size_t	 i;
	int	 m;

	if (n->op == OP_REPEAT) {
		m = n->max;
		if (m == 0)
			return (1);
		if (m < 0)
			m = n->min;
		if (m > max)
			return (0);
		if (m > 0)
			max /= m;
	}
	for (i = 0; i < n->nsub; i++)
		if (!repeat_is_valid(n->sub[i], max))
			return (0);
	return (1);
}

/*
 * Apply a repetition operator to the top of the stack.  before points
 * at the operator, *after past it; lastrep at the previous operator if
 * it immediately precedes this one.
 */
static int
repeat(struct parser *p, enum op op, int min, int max, const char *before,
    const char **after, const char *lastrep)
{
	struct node	*n, *sub;
	int		 flags = p->flags;

	if (**after == '?') {
		(*after)++;
		flags ^= FL_UNGREEDY;
	}
	if (lastrep != NULL) {
		set_error(p, E_REPEATOP, lastrep, *after - lastrep);
		return (-1);
	}
	if (p->nstack == 0 || is_marker(p->stack[p->nstack - 1])) {
		set_error(p, E_REPEATARG, before, *after - before);
		return (-1);
	}
	sub = p->stack[p->nstack - 1];
	if ((n = node_new(p, op)) == NULL)
		return (-1);
	n->flags = flags;
	n->min = min;
	n->max = max;
	if (node_add_sub(p, n, sub) == -1)
		return (-1);
	p->stack[p->nstack - 1] = n;
	if (node_check(p, n) == -1)
		return (-1);
	if (op == OP_REPEAT && (min >= 2 || max >= 2) &&
	    !repeat_is_valid(n, GO_MAX_REPEAT)) {
		set_error(p, E_REPEATSIZE, before, *after - before);
		return (-1);
	}
	return (0);
}

/* Go's parseInt: decimal, no leading zeros, -1 if 1e8 or more. */
static const char *
parse_int(const char *s, int *np)
{
	const char	*t;
	int		 n = 0;

	if (*s < '0' || *s > '9')
		return (NULL);
	if (s[0] == '0' && s[1] >= '0' && s[1] <= '9')
		return (NULL);
	for (t = s; *t >= '0' && *t <= '9'; t++) {
		if (n >= 100000000)
			n = -1;
		else if (n >= 0)
			n = n * 10 + (*t - '0');
	}
	*np = n;
	return (t);
}

/* {n}, {n,} or {n,m}; NULL if s is not one (then { is a literal). */
static const char *
parse_repeat(const char *s, int *minp, int *maxp)
{
	int	 min, max;

	if (*s != '{')
		return (NULL);
	if ((s = parse_int(s + 1, &min)) == NULL || *s == '\0')
		return (NULL);
	if (*s != ',')
		max = min;
	else {
		s++;
		if (*s == '\0')
			return (NULL);
		if (*s == '}')
			max = -1;
		else if ((s = parse_int(s, &max)) == NULL)
			return (NULL);
		else if (max < 0)
			min = -1;
	}
	if (*s != '}')
		return (NULL);
	*minp = min;
	*maxp = max;
	return (s + 1);
}

/* Escapes. */

static int
unhex(uint32_t c)
{
	if (c >= '0' && c <= '9')
		return (c - '0');
	if (c >= 'a' && c <= 'f')
		return (c - 'a' + 10);
	if (c >= 'A' && c <= 'F')
		return (c - 'A' + 10);
	return (-1);
}

static int
is_alnum(uint32_t c)
{
	return ((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') ||
	    (c >= 'a' && c <= 'z'));
}

/* Go's parseEscape: a single-rune escape at s (a backslash). */
static const char *
parse_escape(struct parser *p, const char *s, uint32_t *rp)
{
	const char	*t = s + 1;
	uint32_t	 c, r;
	int		 i, x, y, nhex;

	if (*t == '\0') {
		set_error(p, E_BACKSLASH, "", 0);
		return (NULL);
	}
	t = next_rune(t, &c);
	switch (c) {
	case '1': case '2': case '3': case '4': case '5': case '6': case '7':
		/* A single non-zero digit is a backreference. */
		if (*t < '0' || *t > '7')
			break;
		/* FALLTHROUGH */
	case '0':
		r = c - '0';
		for (i = 1; i < 3 && *t >= '0' && *t <= '7'; i++)
			r = r * 8 + (*t++ - '0');
		*rp = r;
		return (t);
	case 'x':
		if (*t == '\0')
			break;
		t = next_rune(t, &c);
		if (c == '{') {
			nhex = 0;
			r = 0;
			for (;;) {
				if (*t == '\0')
					goto bad;
				t = next_rune(t, &c);
				if (c == '}')
					break;
				if ((x = unhex(c)) < 0)
					goto bad;
				r = r * 16 + x;
				if (r > MAX_RUNE)
					goto bad;
				nhex++;
			}
			if (nhex == 0)
				break;
			*rp = r;
			return (t);
		}
		x = unhex(c);
		t = next_rune(t, &c);
		y = unhex(c);
		if (x < 0 || y < 0)
			break;
		*rp = x * 16 + y;
		return (t);
	case 'a':
		*rp = '\a';
		return (t);
	case 'f':
		*rp = '\f';
		return (t);
	case 'n':
		*rp = '\n';
		return (t);
	case 'r':
		*rp = '\r';
		return (t);
	case 't':
		*rp = '\t';
		return (t);
	case 'v':
		*rp = '\v';
		return (t);
	default:
		/* Escaped punctuation is itself; \q and the like are not. */
		if (c < 0x80 && !is_alnum(c)) {
			*rp = c;
			return (t);
		}
		break;
	}
 bad:
	set_error(p, E_ESCAPE, s, t - s);
	return (NULL);
}

/* Classes. */

static struct cclass *
class_new(struct parser *p, struct node **np)
{
	struct node	*n;

	if ((n = node_new(p, OP_CLASS)) == NULL)
		return (NULL);
	n->flags &= FL_FOLD;
	if ((n->cc = calloc(1, sizeof(*n->cc))) == NULL) {
		set_oom(p);
		return (NULL);
	}
	*np = n;
	return (n->cc);
}

static int
class_range(struct parser *p, struct cclass *cc, uint32_t lo, uint32_t hi)
{
	if (rs_add(&cc->rs, lo, hi) == -1) {
		set_oom(p);
		return (-1);
	}
	return (0);
}

static int
class_group(struct parser *p, struct cclass *cc, const uint32_t *tab,
    int neg)
{
	if (rs_add_group(&cc->closed, tab, p->flags & FL_FOLD, neg) == -1) {
		set_oom(p);
		return (-1);
	}
	return (0);
}

static int
class_item(struct parser *p, struct cclass *cc, const char *pcre,
    const char *script, const uint32_t *fold, int neg)
{
	struct citem	*ni;
	size_t		 ncap;

	if (cc->nit == cc->capit) {
		ncap = cc->capit ? cc->capit * 2 : 4;
		if ((ni = reallocarray(cc->it, ncap, sizeof(*ni))) == NULL) {
			set_oom(p);
			return (-1);
		}
		cc->it = ni;
		cc->capit = ncap;
	}
	cc->it[cc->nit].pcre = pcre;
	cc->it[cc->nit].script = script;
	cc->it[cc->nit].fold = (p->flags & FL_FOLD) ? fold : NULL;
	cc->it[cc->nit].neg = neg;
	cc->nit++;
	return (0);
}

/* Go's canonicalName: case, '_', '-' and ' ' do not count. */
static int
name_eq(const char *a, size_t alen, const char *b)
{
	size_t	 i = 0;
	char	 ca, cb;

	for (;;) {
		while (i < alen && (a[i] == '_' || a[i] == '-' || a[i] == ' '))
			i++;
		while (*b == '_' || *b == '-' || *b == ' ')
			b++;
		if (i == alen || *b == '\0')
			return (i == alen && *b == '\0');
		ca = a[i];
		cb = *b;
		if (ca >= 'A' && ca <= 'Z')
			ca += 'a' - 'A';
		if (cb >= 'A' && cb <= 'Z')
			cb += 'a' - 'A';
		if (ca != cb)
			return (0);
		i++;
		b++;
	}
}

static const struct uprop *
find_category(const char *name, size_t len)
{
	size_t	 i;

	for (i = 0; categories[i].name != NULL; i++)
		if (name_eq(name, len, categories[i].name))
			return (&categories[i]);
	return (NULL);
}

/*
 * Add the Unicode class \p{name} (or its negation) to cc, or fail as Go
 * does for a name it does not know.
 */
static int
class_unicode(struct parser *p, struct cclass *cc, const char *name,
    size_t len, int neg, const char *seq, size_t seqlen)
{
	const struct uprop	*prop = NULL;
	const uint32_t		*fold = NULL;
	size_t			 i;

	if (name_eq(name, len, "Any")) {
		if (!neg && rs_add(&cc->closed, 0, MAX_RUNE) == -1) {
			set_oom(p);
			return (-1);
		}
		return (0);
	}
	if (name_eq(name, len, "ASCII"))
		return (class_group(p, cc, r_ascii, neg));
	if (name_eq(name, len, "Assigned"))
		return (class_item(p, cc, "Cn", NULL, NULL, !neg));
	if ((prop = find_category(name, len)) == NULL) {
		for (i = 0; category_aliases[i].alias != NULL; i++)
			if (name_eq(name, len, category_aliases[i].alias)) {
				prop = find_category(category_aliases[i].name,
				    strlen(category_aliases[i].name));
				break;
			}
	}
	if (prop != NULL) {
		if ((p->flags & FL_FOLD) && prop->nofold) {
			set_error(p, "case-insensitive match of this class "
			    "not supported", seq, seqlen);
			return (-1);
		}
		return (class_item(p, cc, prop->pcre, NULL, prop->fold, neg));
	}
	for (i = 0; scripts[i] != NULL; i++) {
		if (!name_eq(name, len, scripts[i]))
			continue;
		if (strcmp(scripts[i], "Common") == 0)
			fold = fold_common;
		else if (strcmp(scripts[i], "Greek") == 0)
			fold = fold_greek;
		else if (strcmp(scripts[i], "Inherited") == 0)
			fold = fold_m;
		return (class_item(p, cc, NULL, scripts[i], fold, neg));
	}
	set_error(p, E_RANGE, seq, seqlen);
	return (-1);
}

/* \p{Greek}, \pL, \P{^Greek}... at s; returns the rest or NULL. */
static const char *
parse_unicode_class(struct parser *p, const char *s, struct cclass *cc)
{
	const char	*t = s + 2, *t2, *name, *end;
	uint32_t	 c;
	size_t		 len;
	int		 neg = s[1] == 'P';

	t2 = next_rune(t, &c);
	if (c != '{') {
		/* One-letter name (empty at the end of the pattern). */
		name = t;
		len = t2 - t;
		end = t2;
	} else {
		if ((end = strchr(s, '}')) == NULL) {
			set_error_str(p, E_RANGE, s);
			return (NULL);
		}
		name = s + 3;
		len = end - name;
		end++;
	}
	if (len > 0 && name[0] == '^') {
		neg = !neg;
		name++;
		len--;
	}
	if (class_unicode(p, cc, name, len, neg, s, end - s) == -1)
		return (NULL);
	return (end);
}

/* Perl's \d \s \w (ASCII in Go) for the letter after the backslash. */
static const uint32_t *
perl_group(char c)
{
	switch (c) {
	case 'd':
	case 'D':
		return (r_digit);
	case 's':
	case 'S':
		return (r_space_perl);
	case 'w':
	case 'W':
		return (r_word);
	}
	return (NULL);
}

/*
 * [:alpha:] or [:^alpha:] at s inside a class.  Like Go, anything from
 * "[:" to the next ":]" is taken for a name.  Returns s unchanged if
 * this is no such class, NULL on error.
 */
static const char *
parse_named_class(struct parser *p, const char *s, struct cclass *cc)
{
	const char	*end, *name;
	size_t		 i, len;
	int		 neg = 0;

	if ((end = strstr(s + 2, ":]")) == NULL)
		return (s);
	name = s + 2;
	if (*name == '^') {
		neg = 1;
		name++;
	}
	len = end - name;
	for (i = 0; posix_groups[i].name != NULL; i++)
		if (strlen(posix_groups[i].name) == len &&
		    strncmp(posix_groups[i].name, name, len) == 0)
			break;
	if (posix_groups[i].name == NULL) {
		set_error(p, E_RANGE, s, end + 2 - s);
		return (NULL);
	}
	if (class_group(p, cc, posix_groups[i].r, neg) == -1)
		return (NULL);
	return (end + 2);
}

static const char *
parse_class_char(struct parser *p, const char *s, const char *whole,
    uint32_t *rp)
{
	if (*s == '\0') {
		set_error_str(p, E_BRACKET, whole);
		return (NULL);
	}
	if (*s == '\\')
		return (parse_escape(p, s, rp));
	return (next_rune(s, rp));
}

/* A bracketed class at s; pushes it and returns the rest. */
static const char *
parse_class(struct parser *p, const char *s)
{
	const char	*t = s + 1, *nt, *rng;
	const uint32_t	*g;
	struct node	*n = NULL;
	struct cclass	*cc;
	uint32_t	 lo, hi;
	int		 first = 1;

	if ((cc = class_new(p, &n)) == NULL)
		return (NULL);
	if (*t == '^') {
		cc->neg = 1;
		t++;
	}
	while (*t == '\0' || *t != ']' || first) {
		first = 0;
		if (t[0] == '[' && t[1] == ':' && t[2] != '\0') {
			if ((nt = parse_named_class(p, t, cc)) == NULL)
				return (NULL);
			if (nt != t) {
				t = nt;
				continue;
			}
		}
		if (t[0] == '\\' && (t[1] == 'p' || t[1] == 'P')) {
			if ((t = parse_unicode_class(p, t, cc)) == NULL)
				return (NULL);
			continue;
		}
		if (t[0] == '\\' && (g = perl_group(t[1])) != NULL) {
			if (class_group(p, cc, g, t[1] < 'a') == -1)
				return (NULL);
			t += 2;
			continue;
		}
		rng = t;
		if ((t = parse_class_char(p, t, s, &lo)) == NULL)
			return (NULL);
		hi = lo;
		/* [a-] means a or -. */
		if (t[0] == '-' && t[1] != '\0' && t[1] != ']') {
			if ((t = parse_class_char(p, t + 1, s, &hi)) == NULL)
				return (NULL);
			if (hi < lo) {
				set_error(p, E_RANGE, rng, t - rng);
				return (NULL);
			}
		}
		if (class_range(p, cc, lo, hi) == -1)
			return (NULL);
	}
	if (push(p, n) == -1)
		return (NULL);
	return (t + 1);
}

static int
valid_capture_name(const char *s, size_t len)
{
	size_t	 i;

	if (len == 0)
		return (0);
	for (i = 0; i < len; i++)
		if (s[i] != '_' && !is_alnum((unsigned char)s[i]))
			return (0);
	return (1);
}

/*
 * (?flags), (?flags:, (?P<name> and (?<name> at s; everything else
 * after "(?" (lookaround, atomic groups, comments, (?x)...) is refused.
 */
static const char *
parse_perl_flags(struct parser *p, const char *s)
{
	const char	*t = s, *end;
	struct node	*n;
	uint32_t	 c;
	int		 flags = p->flags, bit, sign = 1, saw = 0, start;

	if ((t[2] == 'P' && t[3] == '<' && t[4] != '\0') ||
	    (t[2] == '<' && t[3] != '\0')) {
		start = t[2] == 'P' ? 4 : 3;
		if ((end = strchr(t, '>')) == NULL) {
			set_error_str(p, E_NAMED, s);
			return (NULL);
		}
		if (!valid_capture_name(t + start, end - (t + start))) {
			set_error(p, E_NAMED, t, end + 1 - t);
			return (NULL);
		}
		if ((n = node_new(p, OP_LPAREN)) == NULL)
			return (NULL);
		n->cap = 1;
		if (push(p, n) == -1)
			return (NULL);
		return (end + 1);
	}
	t += 2;
	while (*t != '\0') {
		t = next_rune(t, &c);
		switch (c) {
		case 'i':
			bit = FL_FOLD;
			break;
		case 'm':
			bit = FL_MULTI;
			break;
		case 's':
			bit = FL_DOTNL;
			break;
		case 'U':
			bit = FL_UNGREEDY;
			break;
		case '-':
			if (sign < 0)
				goto bad;
			sign = -1;
			saw = 0;
			continue;
		case ':':
		case ')':
			if (sign < 0 && !saw)
				goto bad;
			if (c == ':' && push_op(p, OP_LPAREN) == -1)
				return (NULL);
			p->flags = flags;
			return (t);
		default:
			goto bad;
		}
		if (sign > 0)
			flags |= bit;
		else
			flags &= ~bit;
		saw = 1;
	}
 bad:
	set_error(p, E_PERLOP, s, t - s);
	return (NULL);
}

static int
right_paren(struct parser *p)
{
	struct node	*re, *lp, *n;

	if (concat(p) == -1 || alternate(p) == -1)
		return (-1);
	if (p->nstack < 2 || p->stack[p->nstack - 2]->op != OP_LPAREN) {
		set_error_str(p, E_UNEXPAREN, p->whole);
		return (-1);
	}
	re = p->stack[p->nstack - 1];
	lp = p->stack[p->nstack - 2];
	p->nstack -= 2;
	p->flags = lp->flags;
	if (!lp->cap)
		return (push(p, re));
	if ((n = node_new(p, OP_CAP)) == NULL ||
	    node_add_sub(p, n, re) == -1 || node_check(p, n) == -1)
		return (-1);
	return (push(p, n));
}

/* Push a class node for \d, \pL and the like. */
static const char *
parse_class_escape(struct parser *p, const char *t)
{
	struct node	*n = NULL;
	struct cclass	*cc;

	if ((cc = class_new(p, &n)) == NULL)
		return (NULL);
	if (t[1] == 'p' || t[1] == 'P')
		t = parse_unicode_class(p, t, cc);
	else if (class_group(p, cc, perl_group(t[1]), t[1] < 'a') == 0)
		t += 2;
	else
		t = NULL;
	if (t == NULL || push(p, n) == -1)
		return (NULL);
	return (t);
}

/* Go's parse(): the whole pattern s onto one tree at p->stack[0]. */
static int
parse(struct parser *p, const char *s)
{
	const char	*t = s, *lastrep = NULL, *rep, *after, *end;
	struct node	*n;
	uint32_t	 c;
	int		 min, max;
	enum op		 op;

	p->whole = s;
	p->flags = 0;
	while (*t != '\0') {
		rep = NULL;
		switch (*t) {
		default:
			t = next_rune(t, &c);
			if (push_literal(p, c) == -1)
				return (-1);
			break;
		case '(':
			if (t[1] == '?') {
				if ((t = parse_perl_flags(p, t)) == NULL)
					return (-1);
				break;
			}
			if ((n = node_new(p, OP_LPAREN)) == NULL)
				return (-1);
			n->cap = 1;
			if (push(p, n) == -1)
				return (-1);
			t++;
			break;
		case '|':
			if (concat(p) == -1 || push_op(p, OP_VBAR) == -1)
				return (-1);
			t++;
			break;
		case ')':
			if (right_paren(p) == -1)
				return (-1);
			t++;
			break;
		case '^':
			if (push_op(p, (p->flags & FL_MULTI) ? OP_BOL :
			    OP_BOT) == -1)
				return (-1);
			t++;
			break;
		case '$':
			if (push_op(p, (p->flags & FL_MULTI) ? OP_EOL :
			    OP_EOT) == -1)
				return (-1);
			t++;
			break;
		case '.':
			if (push_op(p, (p->flags & FL_DOTNL) ? OP_ANY :
			    OP_ANYNL) == -1)
				return (-1);
			t++;
			break;
		case '[':
			if ((t = parse_class(p, t)) == NULL)
				return (-1);
			break;
		case '*':
		case '+':
		case '?':
			op = *t == '*' ? OP_STAR : *t == '+' ? OP_PLUS :
			    OP_QUEST;
			after = t + 1;
			if (repeat(p, op, 0, 0, t, &after, lastrep) == -1)
				return (-1);
			rep = t;
			t = after;
			break;
		case '{':
			if ((after = parse_repeat(t, &min, &max)) == NULL) {
				/* x{ and x{,3} are literals. */
				if (push_literal(p, '{') == -1)
					return (-1);
				t++;
				break;
			}
			if (min < 0 || min > GO_MAX_REPEAT ||
			    max > GO_MAX_REPEAT || (max >= 0 && min > max)) {
				set_error(p, E_REPEATSIZE, t, after - t);
				return (-1);
			}
			if (repeat(p, OP_REPEAT, min, max, t, &after,
			    lastrep) == -1)
				return (-1);
			rep = t;
			t = after;
			break;
		case '\\':
			op = OP_NOMATCH;
			switch (t[1]) {
			case 'A':
				op = OP_BOT;
				break;
			case 'b':
				op = OP_WB;
				break;
			case 'B':
				op = OP_NWB;
				break;
			case 'z':
				op = OP_EOT;
				break;
			case 'C':
				/* Any byte: Go refuses it. */
				set_error(p, E_ESCAPE, t, 2);
				return (-1);
			case 'Q':
				/* \Q...\E: literal text. */
				t += 2;
				if ((end = strstr(t, "\\E")) == NULL)
					end = t + strlen(t);
				while (t < end) {
					t = next_rune(t, &c);
					if (push_literal(p, c) == -1)
						return (-1);
				}
				if (*t != '\0')
					t += 2;
				goto next;
			}
			if (op != OP_NOMATCH) {
				if (push_op(p, op) == -1)
					return (-1);
				t += 2;
				break;
			}
			if (t[1] == 'p' || t[1] == 'P' ||
			    (t[1] != '\0' && perl_group(t[1]) != NULL)) {
				if ((t = parse_class_escape(p, t)) == NULL)
					return (-1);
				break;
			}
			if ((t = parse_escape(p, t, &c)) == NULL ||
			    push_literal(p, c) == -1)
				return (-1);
			break;
		}
 next:
		lastrep = rep;
	}
	if (concat(p) == -1 || alternate(p) == -1)
		return (-1);
	if (p->nstack != 1) {
		set_error_str(p, E_PAREN, s);
		return (-1);
	}
	return (0);
}

/* Writing the pcre2 pattern. */

static int
is_surrogate(uint32_t r)
{
	return (r >= 0xd800 && r <= 0xdfff);
}

static void
emit_rune(struct buf *b, uint32_t r)
{
	char	 c = r;

	if (is_alnum(r))
		buf_add(b, &c, 1);
	else
		buf_fmt(b, "\\x{%lx}", r);
}

/* Ranges, less the surrogates pcre2 will not take as end points. */
static void
emit_ranges(struct buf *b, const struct rset *rs)
{
	uint32_t	 lo, hi;
	size_t		 i;

	for (i = 0; i < rs->n; i += 2) {
		lo = rs->r[i];
		hi = rs->r[i + 1];
		if (is_surrogate(lo))
			lo = 0xe000;
		if (is_surrogate(hi))
			hi = 0xd7ff;
		if (lo > hi)
			continue;
		buf_fmt(b, "\\x{%lx}", lo);
		if (hi != lo)
			buf_fmt(b, "-\\x{%lx}", hi);
	}
}

static void
emit_props(struct buf *b, const struct citem *it, char pp)
{
	const uint32_t	*f;
	const char	*s, *e;
	uint32_t	 c;

	if (it->script != NULL) {
		buf_fmt(b, "\\%c{sc:", (unsigned char)pp);
		buf_str(b, it->script);
		buf_str(b, "}");
	} else {
		for (s = it->pcre; *s != '\0'; s = e) {
			if ((e = strchr(s, ' ')) == NULL)
				e = s + strlen(s);
			buf_fmt(b, "\\%c{", (unsigned char)pp);
			buf_add(b, s, e - s);
			buf_str(b, "}");
			if (*e == ' ')
				e++;
		}
	}
	for (f = it->fold; f != NULL && f[0] != 0; f += 3) {
		if (f[2] == 1) {
			buf_fmt(b, "\\x{%lx}", f[0]);
			if (f[1] != f[0])
				buf_fmt(b, "-\\x{%lx}", f[1]);
			continue;
		}
		for (c = f[0]; c <= f[1]; c += f[2])
			buf_fmt(b, "\\x{%lx}", c);
	}
}

/* A negated item that is no single \P{...}: complement of a union. */
static int
item_complex(const struct citem *it)
{
	return (it->neg && (it->fold != NULL ||
	    (it->pcre != NULL && strchr(it->pcre, ' ') != NULL)));
}

/*
 * One class as a single pcre2 atom.  Under (?i) pcre2 folds the ranges
 * as Go folds them, and the ASCII groups are already folded and closed;
 * pcre2 ignores (?i) for \p, so Go's extra code points are listed.  A
 * negated item needing more than \P{...} becomes an alternative.
 */
static void
emit_class(struct buf *b, const struct node *n)
{
	struct cclass	*cc = n->cc;
	struct buf	 body;
	size_t		 i, ncomplex = 0;
	const char	*sep = "";
	int		 fold;

	/* Closed ranges need no folding; they can be large. */
	fold = (n->flags & FL_FOLD) && cc->rs.n > 0;
	for (i = 0; i < cc->closed.n; i += 2)
		if (rs_add(&cc->rs, cc->closed.r[i], cc->closed.r[i + 1]) == -1)
			b->oom = 1;
	cc->closed.n = 0;
	memset(&body, 0, sizeof(body));
	rs_clean(&cc->rs);
	emit_ranges(&body, &cc->rs);
	for (i = 0; i < cc->nit; i++) {
		if (item_complex(&cc->it[i]))
			ncomplex++;
		else
			emit_props(&body, &cc->it[i],
			    cc->it[i].neg ? 'P' : 'p');
	}
	if (body.oom)
		b->oom = 1;
	if (fold)
		buf_str(b, "(?i:");
	if (ncomplex == 0) {
		if (body.len == 0)
			buf_str(b, cc->neg ? "(?s:.)" : "(?!)");
		else {
			buf_str(b, cc->neg ? "[^" : "[");
			buf_add(b, body.s, body.len);
			buf_str(b, "]");
		}
	} else {
		buf_str(b, cc->neg ? "((?!" : "(");
		if (body.len > 0) {
			buf_str(b, "[");
			buf_add(b, body.s, body.len);
			buf_str(b, "]");
			sep = "|";
		}
		for (i = 0; i < cc->nit; i++) {
			if (!item_complex(&cc->it[i]))
				continue;
			buf_str(b, sep);
			buf_str(b, "[^");
			emit_props(b, &cc->it[i], 'p');
			buf_str(b, "]");
			sep = "|";
		}
		buf_str(b, cc->neg ? ")(?s:.))" : ")");
	}
	if (fold)
		buf_str(b, ")");
	free(body.s);
}

static int
is_atom(const struct node *n)
{
	switch (n->op) {
	case OP_LIT:
		return (n->nrunes == 1 && !is_surrogate(n->runes[0]));
	case OP_CLASS:
	case OP_ANY:
	case OP_ANYNL:
	case OP_CAP:
	case OP_BOL:
	case OP_EOL:
		return (1);
	default:
		return (0);
	}
}

static void
emit(struct buf *b, const struct node *n)
{
	const struct node	*s;
	size_t			 i;

	switch (n->op) {
	case OP_NOMATCH:
	case OP_LPAREN:
	case OP_VBAR:
		buf_str(b, "(?!)");
		break;
	case OP_EMPTY:
		break;
	case OP_LIT:
		for (i = 0; i < n->nrunes; i++)
			if (is_surrogate(n->runes[i])) {
				/* Never in valid UTF-8. */
				buf_str(b, "(?!)");
				return;
			}
		if (n->flags & FL_FOLD)
			buf_str(b, "(?i:");
		for (i = 0; i < n->nrunes; i++)
			emit_rune(b, n->runes[i]);
		if (n->flags & FL_FOLD)
			buf_str(b, ")");
		break;
	case OP_CLASS:
		emit_class(b, n);
		break;
	case OP_ANYNL:
		buf_str(b, "[^\\x{a}]");
		break;
	case OP_ANY:
		buf_str(b, "(?s:.)");
		break;
	case OP_BOL:
		buf_str(b, "(?m:^)");
		break;
	case OP_EOL:
		buf_str(b, "(?m:$)");
		break;
	case OP_BOT:
		buf_str(b, "\\A");
		break;
	case OP_EOT:
		buf_str(b, "\\z");
		break;
	case OP_WB:
		buf_str(b, "\\b");
		break;
	case OP_NWB:
		buf_str(b, "\\B");
		break;
	case OP_CAP:
		buf_str(b, "(");
		emit(b, n->sub[0]);
		buf_str(b, ")");
		break;
	case OP_STAR:
	case OP_PLUS:
	case OP_QUEST:
	case OP_REPEAT:
		s = n->sub[0];
		if (is_atom(s))
			emit(b, s);
		else {
			buf_str(b, "(");
			emit(b, s);
			buf_str(b, ")");
		}
		if (n->op == OP_STAR)
			buf_str(b, "*");
		else if (n->op == OP_PLUS)
			buf_str(b, "+");
		else if (n->op == OP_QUEST)
			buf_str(b, "?");
		else if (n->min == n->max)
			buf_fmt(b, "{%lu}", n->min);
		else if (n->max == -1)
			buf_fmt(b, "{%lu,}", n->min);
		else {
			buf_fmt(b, "{%lu,", n->min);
			buf_fmt(b, "%lu}", n->max);
		}
		if (n->flags & FL_UNGREEDY)
			buf_str(b, "?");
		break;
	case OP_CONCAT:
		for (i = 0; i < n->nsub; i++) {
			s = n->sub[i];
			if (s->op == OP_ALT)
				buf_str(b, "(");
			emit(b, s);
			if (s->op == OP_ALT)
				buf_str(b, ")");
		}
		break;
	case OP_ALT:
		for (i = 0; i < n->nsub; i++) {
			if (i > 0)
				buf_str(b, "|");
			emit(b, n->sub[i]);
		}
		break;
	}
}

/*
 * The pcre2 equivalent of the Go pattern src, malloc'd, or NULL with
 * the reason in err.
 */
static char *
translate(const char *src, char *err, size_t errlen)
{
	struct parser	 p;
	struct buf	 b;
	const char	*s;
	uint32_t	 c;
	int		 n;

	memset(&p, 0, sizeof(p));
	memset(&b, 0, sizeof(b));
	p.err = err;
	p.errlen = errlen;
	for (s = src; *s != '\0'; s += n)
		if ((n = utf8_decode((const unsigned char *)s, &c)) < 0) {
			if (err != NULL && errlen > 0)
				(void)snprintf(err, errlen, "%s at byte %zu",
				    E_UTF8, (size_t)(s - src));
			return (NULL);
		}
	if (parse(&p, src) == 0) {
		emit(&b, p.stack[0]);
		buf_str(&b, "");
		if (b.oom) {
			set_oom(&p);
			free(b.s);
			b.s = NULL;
		}
	}
	free(p.stack);
	node_free_all(p.all);
	return (b.s);
}

struct pattern *
pattern_compile(const char *src, char *err, size_t errlen)
{
	pcre2_compile_context	*cctx = NULL;
	struct pattern		*pat = NULL;
	PCRE2_UCHAR		 msg[256];
	PCRE2_SIZE		 off;
	char			*pc = NULL;
	int			 ec;

	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if ((pc = translate(src, err, errlen)) == NULL)
		return (NULL);
	if ((pat = calloc(1, sizeof(*pat))) == NULL ||
	    (pat->src = strdup(src)) == NULL ||
	    (cctx = pcre2_compile_context_create(NULL)) == NULL ||
	    (pat->mctx = pcre2_match_context_create(NULL)) == NULL)
		goto oom;
	if (pcre2_set_newline(cctx, PCRE2_NEWLINE_LF) != 0 ||
	    pcre2_set_parens_nest_limit(cctx, PAT_NEST_LIMIT) != 0)
		goto oom;
	pat->code = pcre2_compile((PCRE2_SPTR)pc, PCRE2_ZERO_TERMINATED,
	    PCRE2_UTF | PCRE2_DOLLAR_ENDONLY | PCRE2_ALT_CIRCUMFLEX |
	    PCRE2_NEVER_BACKSLASH_C | PCRE2_NEVER_UCP | PCRE2_NO_AUTO_CAPTURE,
	    &ec, &off, cctx);
	if (pat->code == NULL) {
		if (pcre2_get_error_message(ec, msg, sizeof(msg)) < 0)
			(void)strlcpy((char *)msg, "unknown error",
			    sizeof(msg));
		if (err != NULL && errlen > 0)
			(void)snprintf(err, errlen,
			    "not supported by the matcher: %s", msg);
		goto fail;
	}
	(void)pcre2_set_match_limit(pat->mctx, PAT_MATCH_LIMIT);
	(void)pcre2_set_depth_limit(pat->mctx, PAT_DEPTH_LIMIT);
	(void)pcre2_set_heap_limit(pat->mctx, PAT_HEAP_LIMIT);
	pcre2_compile_context_free(cctx);
	free(pc);
	return (pat);
 oom:
	if (err != NULL && errlen > 0)
		(void)strlcpy(err, "out of memory", errlen);
 fail:
	pcre2_compile_context_free(cctx);
	free(pc);
	pattern_free(pat);
	return (NULL);
}

/*
 * One match data for every match of the process (single-threaded): a
 * match needs only to know whether there is one, and allocating it per
 * call was a malloc and a free per pattern tried.
 */
static pcre2_match_data *
match_data(void)
{
	static pcre2_match_data	*md;

	if (md == NULL)
		md = pcre2_match_data_create(1, NULL);
	return (md);
}

static int
match(const struct pattern *pat, const char *s, size_t len, uint32_t opts)
{
	pcre2_match_data	*md;
	int			 rc;

	if ((md = match_data()) == NULL)
		return (PATTERN_ERROR);
	rc = pcre2_match(pat->code, (PCRE2_SPTR)(s != NULL ? s : ""), len,
	    0, opts, md, pat->mctx);
	if (rc >= 0)
		return (PATTERN_MATCH);
	switch (rc) {
	case PCRE2_ERROR_NOMATCH:
		return (PATTERN_NOMATCH);
	case PCRE2_ERROR_MATCHLIMIT:
	case PCRE2_ERROR_DEPTHLIMIT:
	case PCRE2_ERROR_HEAPLIMIT:
		return (PATTERN_LIMIT);
	default:
		return (PATTERN_ERROR);
	}
}

int
pattern_match(const struct pattern *pat, const char *s, size_t len)
{
	return (match(pat, s, len, 0));
}

int
pattern_match_valid(const struct pattern *pat, const char *s, size_t len)
{
	return (match(pat, s, len, PCRE2_NO_UTF_CHECK));
}

/*
 * What every match of the pattern starts with, from its Go source: the
 * literal characters after a leading ^, as far as they are certain.
 * Conservative: an alternative at the top level means none (it could
 * start elsewhere); a non-ASCII character, a class or group ends it;
 * a character made optional by the quantifier after it is left out.
 * 0 if none.
 */
/*
 * Whether a Go expression has an alternative at its top level (outside
 * every group and class), as in `^a|b`.  When unsure, it says yes.
 */
static int
top_alternation(const char *re)
{
	const char	*p = re;
	int		 depth = 0;

	while (*p != '\0') {
		if (p[0] == '\\' && p[1] == 'Q') {
			/* Literal text up to \E, or to the end. */
			if ((p = strstr(p + 2, "\\E")) == NULL)
				return (0);
			p += 2;
			continue;
		}
		if (p[0] == '\\') {
			if (p[1] == '\0')
				return (1);
			p += 2;
			continue;
		}
		if (p[0] == '[') {
			p++;
			if (*p == '^')
				p++;
			if (*p == ']')
				p++;	/* a ] first is itself */
			while (*p != '\0' && *p != ']') {
				if (p[0] == '[' && p[1] == ':') {
					if ((p = strstr(p + 2, ":]")) == NULL)
						return (1);
					p += 2;
				} else if (p[0] == '\\' && p[1] != '\0')
					p += 2;
				else
					p++;
			}
			if (*p == '\0')
				return (1);
			p++;
			continue;
		}
		if (*p == '(')
			depth++;
		else if (*p == ')' && --depth < 0)
			return (1);
		else if (*p == '|' && depth == 0)
			return (1);
		p++;
	}
	return (0);
}

size_t
pattern_prefix(const struct pattern *pat, char *out, size_t outlen)
{
	const char	*re = pat->src, *p;
	size_t		 n = 0;
	char		 c;

	if (re[0] != '^' || outlen == 0 || top_alternation(re))
		return (0);
	for (p = re + 1; *p != '\0' && n < outlen; p++) {
		c = *p;
		if ((unsigned char)c >= 0x80)
			break;
		if (c == '\\') {
			/* An escaped punctuation character is itself. */
			c = p[1];
			if (c == '\0' || (unsigned char)c >= 0x80 ||
			    (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			    (c >= '0' && c <= '9') || c == ' ')
				break;
			p++;
		} else if (strchr(".+*?()[]{}^$", c) != NULL)
			break;
		if (p[1] == '?' || p[1] == '*' || p[1] == '{')
			break;
		out[n++] = c;
		if (p[1] == '+')
			break;
	}
	return (n);
}

const char *
pattern_source(const struct pattern *pat)
{
	return (pat->src);
}

void
pattern_free(struct pattern *pat)
{
	if (pat == NULL)
		return;
	pcre2_code_free(pat->code);
	pcre2_match_context_free(pat->mctx);
	free(pat->src);
	free(pat);
}
