/*
 * test_arch_parser_fuzz.c — every prefix and random mutations of valid
 * .arch files (arch_samples.h) must parse to a valid tree or fail with a
 * well-formed error, never crash.  Helpers in arch_tree.h.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arch_ast.h"
#include "arch_tree.h"
#include "arch_samples.h"

/* ---- inputs that must never crash ---- */

static const char *const pieces[] = {lenet, resnet_block, pytorch_class};

/* Parse text[0..len) from an exact-size buffer: it must give a valid tree
 * or a P2O_EARCH error with a well-formed where inside the text. */
static void check_any(const char *text, size_t len)
{
	char *buf = malloc(len + 1);
	struct p2o_src src = {"fuzz.arch", buf, len};
	struct p2o_arena a;
	struct p2o_err err = {0};
	struct p2o_ast *m;

	assert_non_null(buf);
	memcpy(buf, text, len);
	buf[len] = 0;
	p2o_arena_init(&a);
	m = p2o_arch_parse(&a, &src, &err);
	if (m) {
		assert_int_equal(err.code, P2O_OK);
		validate(m);
	} else {
		int line, col, end = 0, l = 1;
		size_t k = 0, linelen = 0;
		assert_int_equal(err.code, P2O_EARCH);
		assert_int_equal(sscanf(err.where, "fuzz.arch:%d:%d%n", &line, &col, &end), 2);
		assert_int_equal((size_t)end, strlen(err.where));
		assert_true(err.msg[0] != 0);
		while (k < len && l < line)
			if (buf[k++] == '\n')
				l++;
		assert_int_equal(l, line);
		while (k + linelen < len && buf[k + linelen] != '\n')
			linelen++;
		assert_true(col >= 1 && (size_t)col <= linelen + 1);
		assert_non_null(strchr(err.detail, '\n'));
		assert_int_equal(err.detail[strlen(err.detail) - 1], '^');
	}
	p2o_arena_free(&a);
	free(buf);
}

static void test_every_prefix(void **state)
{
	(void)state;
	for (size_t i = 0; i < P2O_ARRAY_LEN(pieces); i++) {
		size_t len = strlen(pieces[i]);
		for (size_t n = 0; n <= len; n++)
			check_any(pieces[i], n);
	}
	for (size_t n = 0; n <= sizeof lenet - 1; n++) /* and every suffix */
		check_any(lenet + n, sizeof lenet - 1 - n);
}

static uint32_t rng = 12345;

static uint32_t rnd(uint32_t n)
{
	rng = rng * 1103515245u + 12345u;
	return (rng >> 8) % n;
}

static void test_mutations(void **state)
{
	static const char nasty[] = "()[]{}:,.;=*-+\\#'\"\n\n\n\t   ax0_1e.5@<>!\r";
	char buf[4096];

	(void)state;
	for (int iter = 0; iter < 3000; iter++) {
		const char *src = pieces[rnd(P2O_ARRAY_LEN(pieces))];
		size_t len = strlen(src);
		memcpy(buf, src, len);
		for (int k = 0, nmut = 1 + (int)rnd(3); k < nmut && len > 1; k++) {
			size_t at = rnd((uint32_t)len), span = 1 + rnd(8);
			switch (rnd(4)) {
			case 0: /* replace a byte */
				buf[at] = nasty[rnd(sizeof nasty - 1)];
				break;
			case 1: /* delete a span */
				if (at + span > len)
					span = len - at;
				memmove(buf + at, buf + at + span, len - at - span);
				len -= span;
				break;
			case 2: /* insert a byte */
				if (len + 1 < sizeof buf) {
					memmove(buf + at + 1, buf + at, len - at);
					buf[at] = nasty[rnd(sizeof nasty - 1)];
					len++;
				}
				break;
			default: /* duplicate a span */
				if (at + span > len)
					span = len - at;
				if (len + span < sizeof buf) {
					memmove(buf + at + span, buf + at, len - at);
					len += span;
				}
				break;
			}
		}
		check_any(buf, len);
	}
	/* random bytes, NULs included */
	for (int iter = 0; iter < 500; iter++) {
		size_t len = rnd(300);
		for (size_t i = 0; i < len; i++)
			buf[i] = (char)(rnd(4) ? nasty[rnd(sizeof nasty - 1)] : (int)rnd(256));
		check_any(buf, len);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_prefix),
		cmocka_unit_test(test_mutations),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
