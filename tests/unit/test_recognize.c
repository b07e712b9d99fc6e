/* test_recognize.c — what recognition says for one, several and no fits.
 * (Matching itself is tested end to end in tests/test_recognize.py.) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "recognize.h"

static struct p2o_candidate cand(const char *name, size_t problems, int64_t classes)
{
	struct p2o_candidate c = {0};
	strcpy(c.name, name);
	strcpy(c.file, "samples/x.arch");
	c.problems = problems;
	c.classes = classes;
	return c;
}

static void one_match_names_it(void **state)
{
	struct p2o_recognition r = {0};
	char buf[1024];
	(void)state;
	r.matches[0] = cand("resnet50", 0, 2);
	r.nmatches = 1;
	p2o_recognition_describe(&r, buf, sizeof buf);
	assert_string_equal(buf, "recognised as built-in resnet50 (samples/x.arch) with 2 classes");
}

static void several_matches_are_not_guessed(void **state)
{
	struct p2o_recognition r = {0};
	char buf[1024];
	(void)state;
	r.matches[0] = cand("a_net", 0, 10);
	r.matches[1] = cand("b_net", 0, 10);
	r.nmatches = 2;
	p2o_recognition_describe(&r, buf, sizeof buf);
	assert_non_null(strstr(buf, "fit 2 built-in architectures equally: a_net, b_net"));
	assert_non_null(strstr(buf, "choose one with --arch"));
	assert_null(strstr(buf, "recognised"));
}

static void no_match_lists_the_closest(void **state)
{
	struct p2o_recognition r = {0};
	char buf[2048];
	(void)state;
	r.candidates[0] = cand("near", 1, -1);
	strcpy(r.candidates[0].reasons[0], "unexpected key x.weight");
	r.candidates[0].nreasons = 1;
	r.candidates[1] = cand("far", 40, -1);
	r.ncandidates = 2;
	p2o_recognition_describe(&r, buf, sizeof buf);
	assert_non_null(strstr(buf, "no built-in architecture fits"));
	assert_true(strstr(buf, "closest: near (samples/x.arch), 1 problem\n") <
		    strstr(buf, "closest: far"));
	assert_non_null(strstr(buf, "    unexpected key x.weight"));
	assert_non_null(strstr(buf, "docs/arch-language.md"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(one_match_names_it),
		cmocka_unit_test(several_matches_are_not_guessed),
		cmocka_unit_test(no_match_lists_the_closest),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
