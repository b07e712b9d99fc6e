/*
 * recognize.c — which built-in architecture do these weights belong to?
 *
 * Every built-in model is instantiated (its constructor runs; no graph is
 * built) and the checkpoint's weights are bound to it exactly as `convert`
 * would.  A model that binds with no missing key, no unexpected key and no
 * shape mismatch matches.  resnet50, resnext50_32x4d and wide_resnet50_2
 * share their keys but not their shapes, so at most one of them matches;
 * when several models still match, the result is ambiguous and nothing is
 * guessed.  The closest candidates (fewest problems) are kept to explain a
 * failure.
 */
#include "recognize.h"
#include "arch_bind.h"
#include "arch_model.h"
#include "builtin_archs.h"

#include <stdio.h>
#include <string.h>

/* The output size of the model's last Linear: the number of classes. */
static int64_t last_linear_out(const struct p2o_module *m, int depth)
{
	int64_t found = -1, v;

	if (depth > P2O_MAX_CALL_DEPTH)
		return -1;
	if (m->conv && !strcmp(m->conv->name, "Linear") &&
	    !p2o_val_int(p2o_module_arg(m, "out_features"), &v))
		found = v;
	for (size_t i = 0; i < m->nchildren; i++) {
		int64_t c = last_linear_out(m->children[i], depth + 1);
		if (c >= 0)
			found = c;
	}
	return found;
}

static void keep_candidate(struct p2o_recognition *r, const struct p2o_candidate *c)
{
	size_t at = r->ncandidates;

	/* sorted by number of problems, at most P2O_MAX_CANDIDATES */
	while (at > 0 && r->candidates[at - 1].problems > c->problems)
		at--;
	if (at >= P2O_MAX_CANDIDATES)
		return;
	if (r->ncandidates < P2O_MAX_CANDIDATES)
		r->ncandidates++;
	memmove(&r->candidates[at + 1], &r->candidates[at],
		(r->ncandidates - 1 - at) * sizeof *r->candidates);
	r->candidates[at] = *c;
}

/* Try one model of a parsed built-in file. */
static void try_model(struct p2o_recognition *r, const struct p2o_weights *w,
		      const struct p2o_ast *file, const struct p2o_ast *model, const char *path)
{
	struct p2o_arena arena;
	struct p2o_err err = {0};
	struct p2o_eval ev = {0};
	struct p2o_bind bind;
	struct p2o_module *root;
	struct p2o_candidate c = {0};

	p2o_arena_init(&arena);
	ev.a = &arena;
	ev.err = &err;
	ev.w = w;
	if (!(ev.globals = p2o_scope_new(&arena, NULL)) || p2o_builtins_install(&ev, ev.globals) ||
	    p2o_arch_define(&ev, file) || p2o_arch_instantiate(&ev, model, &root) ||
	    p2o_bind_model(&ev, root, &bind))
		goto out;
	snprintf(c.name, sizeof c.name, "%s", model->s);
	snprintf(c.file, sizeof c.file, "%s", path);
	c.problems = bind.n;
	c.classes = last_linear_out(root, 0);
	for (size_t i = 0; i < bind.n && i < P2O_MAX_REASONS; i++)
		snprintf(c.reasons[i], sizeof c.reasons[i], "%s", bind.items[i].msg);
	c.nreasons = bind.n < P2O_MAX_REASONS ? bind.n : P2O_MAX_REASONS;
	if (!bind.n && r->nmatches < P2O_MAX_CANDIDATES)
		r->matches[r->nmatches++] = c;
	else if (!bind.n)
		r->nmatches++;
	keep_candidate(r, &c);
out:
	p2o_arena_free(&arena);
}

int p2o_recognize(const struct p2o_weights *w, struct p2o_recognition *r, struct p2o_err *err)
{
	memset(r, 0, sizeof *r);
	for (size_t i = 0; i < p2o_builtin_archs_count; i++) {
		struct p2o_arena arena;
		struct p2o_src src = {p2o_builtin_archs[i].file, p2o_builtin_archs[i].text,
				      strlen(p2o_builtin_archs[i].text)};
		struct p2o_err perr = {0};
		const struct p2o_ast *file;

		p2o_arena_init(&arena);
		if (!(file = p2o_arch_parse(&arena, &src, &perr))) {
			p2o_arena_free(&arena);
			return p2o_errf(err, P2O_EINTERNAL, src.file,
					"built-in architecture does not parse: %s", perr.msg);
		}
		for (size_t k = 0; k < file->nkids; k++)
			if (file->kids[k]->kind == AST_MODEL)
				try_model(r, w, file, file->kids[k], src.file);
		p2o_arena_free(&arena);
	}
	return 0;
}

void p2o_recognition_describe(const struct p2o_recognition *r, char *buf, size_t cap)
{
	size_t len = 0;

	if (r->nmatches == 1) {
		const struct p2o_candidate *m = &r->matches[0];
		if (m->classes >= 0)
			snprintf(buf, cap, "recognised as built-in %s (%s) with %lld classes", m->name,
				 m->file, (long long)m->classes);
		else
			snprintf(buf, cap, "recognised as built-in %s (%s)", m->name, m->file);
		return;
	}
	if (r->nmatches > 1) {
		len = (size_t)snprintf(buf, cap, "the weights fit %zu built-in architectures equally: ",
				       r->nmatches);
		for (size_t i = 0; i < r->nmatches && i < P2O_MAX_CANDIDATES && len < cap; i++)
			len += (size_t)snprintf(buf + len, cap - len, "%s%s", i ? ", " : "",
						r->matches[i].name);
		if (len < cap)
			snprintf(buf + len, cap - len, "; choose one with --arch");
		return;
	}
	len = (size_t)snprintf(buf, cap, "no built-in architecture fits these weights");
	for (size_t i = 0; i < r->ncandidates && i < 3 && len < cap; i++) {
		const struct p2o_candidate *c = &r->candidates[i];
		len += (size_t)snprintf(buf + len, cap - len, "\n  closest: %s (%s), %zu problem%s",
					c->name, c->file, c->problems, c->problems == 1 ? "" : "s");
		for (size_t k = 0; k < c->nreasons && k < 2 && len < cap; k++)
			len += (size_t)snprintf(buf + len, cap - len, "\n    %s", c->reasons[k]);
	}
	if (len < cap)
		snprintf(buf + len, cap - len,
			 "\n  describe the model in a .arch file (docs/arch-language.md) and "
			 "pass it with --arch");
}
