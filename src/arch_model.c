/* arch_model.c — from a parsed description to a graph: define the file's
 * blocks and functions, instantiate the chosen model, bind the weights and
 * run forward on the declared inputs. */
#include "arch_model.h"
#include "arch_bind.h"
#include "builtin_archs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define OOM(ev, pos) p2o_arch_error((ev)->err, (pos), "out of memory")

int p2o_arch_define(struct p2o_eval *ev, const struct p2o_ast *file)
{
	for (size_t i = 0; i < file->nkids; i++) {
		const struct p2o_ast *k = file->kids[i];
		struct p2o_val *v, *ret;
		switch (k->kind) {
		case AST_BLOCK:
			if (!(v = p2o_v_new(ev->a, V_CLASS)))
				return OOM(ev, k->pos);
			v->u.cls = k;
			if (p2o_scope_set(ev->a, ev->globals, k->s, v))
				return OOM(ev, k->pos);
			break;
		case AST_MODEL:
			break;
		default: /* defs and constants */
			if (p2o_exec_suite(ev, ev->globals, &(struct p2o_ast){.kind = AST_SUITE,
						.kids = (struct p2o_ast **)&file->kids[i], .nkids = 1},
					   &ret) < 0)
				return -1;
		}
	}
	return 0;
}

int p2o_arch_define_library(struct p2o_eval *ev)
{
	for (size_t i = 0; i < p2o_library_archs_count; i++) {
		struct p2o_src *src = p2o_alloc(ev->a, sizeof *src);
		const struct p2o_ast *file;
		if (!src)
			return p2o_errf(ev->err, P2O_ENOMEM, "", "out of memory");
		*src = (struct p2o_src){p2o_library_archs[i].file, p2o_library_archs[i].text,
					strlen(p2o_library_archs[i].text)};
		if (!(file = p2o_arch_parse(ev->a, src, ev->err)) || p2o_arch_define(ev, file))
			return -1;
	}
	return 0;
}

const struct p2o_ast *p2o_arch_find_model(const struct p2o_ast *file, const char *name)
{
	const struct p2o_ast *found = NULL;

	for (size_t i = 0; i < file->nkids; i++) {
		const struct p2o_ast *k = file->kids[i];
		if (k->kind != AST_MODEL)
			continue;
		if (name ? !strcmp(k->s, name) : !found)
			found = k;
		else if (!name)
			return NULL; /* several models: a name is needed */
	}
	return found;
}

int p2o_arch_instantiate(struct p2o_eval *ev, const struct p2o_ast *model,
			 struct p2o_module **root)
{
	struct p2o_val *v, cls = {.kind = V_CLASS};

	if (model->kids[0]->kind == AST_SUITE) {
		cls.u.cls = model; /* a model with a body is a block without parameters */
		if (p2o_call_value(ev, &cls, NULL, 0, NULL, NULL, 0, model->pos, &v))
			return -1;
	} else if (p2o_eval_expr(ev, ev->globals, model->kids[0], &v)) {
		return -1;
	}
	if (v->kind != V_MODULE)
		return p2o_arch_error(ev->err, model->pos, "model %s must be a module, not %s",
				      model->s, p2o_v_kind_name(v));
	*root = v->u.mod;
	return 0;
}

/* One input's dims from its declaration, --input and --static-batch. */
static int input_dims(struct p2o_eval *ev, const struct p2o_input_decl *in,
		      const struct p2o_build_opts *o, struct p2o_dim *dims, int *rank)
{
	const char *override = NULL;
	size_t len = strlen(in->name);

	for (size_t i = 0; i < o->ninputs; i++)
		if (!strncmp(o->inputs[i], in->name, len) && o->inputs[i][len] == ':')
			override = o->inputs[i] + len + 1;
	if (override) { /* "1,3,224,224" or "batch_size,3,H,W" */
		char *copy = p2o_strdup(ev->a, override), *tok, *save = NULL, *end;
		*rank = 0;
		for (tok = strtok_r(copy, ",x", &save); tok; tok = strtok_r(NULL, ",x", &save)) {
			long long v = strtoll(tok, &end, 10);
			if (*rank >= P2O_MAX_RANK)
				return p2o_errf(ev->err, P2O_EUSAGE, "--input", "too many dimensions");
			if (*end == 0 && end != tok && v >= 0)
				dims[*rank] = (struct p2o_dim){v, NULL};
			else
				dims[*rank] = (struct p2o_dim){-1, p2o_strdup(ev->a, tok)};
			(*rank)++;
		}
	} else {
		*rank = (int)in->ndims;
		for (size_t d = 0; d < in->ndims; d++) {
			const struct p2o_ast *e = in->dims[d];
			if (e->kind == AST_INT)
				dims[d] = (struct p2o_dim){e->i, NULL};
			else if (e->kind == AST_NAME)
				dims[d] = (struct p2o_dim){-1, e->s};
			else
				return p2o_arch_error(ev->err, e->pos, "a dimension is an int or a name");
		}
	}
	for (int d = 0; d < *rank; d++)
		if (o->static_batch > 0 && dims[d].sym && !strcmp(dims[d].sym, "batch_size"))
			dims[d] = (struct p2o_dim){o->static_batch, NULL};
	return 0;
}

static int add_outputs(struct p2o_eval *ev, const struct p2o_ast *model, struct p2o_val *ret,
		       const struct p2o_build_opts *o)
{
	struct p2o_val **items = &ret;
	size_t n = 1;

	if (ret->kind == V_TUPLE || ret->kind == V_LIST) {
		items = ret->u.seq.items;
		n = ret->u.seq.n;
	}
	for (size_t i = 0; i < n; i++) {
		const char *name = i < o->noutputs ? o->outputs[i] :
				   i < model->noutputs ? model->outputs[i] :
				   n == 1 ? "output" : p2o_sprintf(ev->a, "output_%zu", i);
		struct p2o_value *t = items[i]->kind == V_TENSOR ? items[i]->u.t : NULL;
		if (!t)
			return p2o_arch_error(ev->err, model->pos, "forward returned %s where a tensor "
					      "is expected (output %zu)", p2o_v_kind_name(items[i]), i);
		if ((t->flags & (P2O_VAL_INPUT | P2O_VAL_OUTPUT)) || t->konst) {
			/* an input or a constant returned as is: give it its own value */
			struct p2o_ctx c = {ev, ev->g, ev->err, model->pos, "output"};
			struct p2o_val *copy;
			if (p2o_unary(&c, "Identity", t, &copy))
				return -1;
			t = copy->u.t;
		}
		if (p2o_graph_output(ev->g, t, name))
			return OOM(ev, model->pos);
	}
	return 0;
}

int p2o_arch_build(struct p2o_eval *ev, const struct p2o_ast *model, struct p2o_module *root,
		   const struct p2o_build_opts *o)
{
	struct p2o_val **args, *ret;
	struct p2o_dim dims[P2O_MAX_RANK];
	int rank;

	if (!(args = p2o_alloc_array(ev->a, model->ninputs, sizeof *args)))
		return OOM(ev, model->pos);
	for (size_t i = 0; i < model->ninputs; i++) {
		const struct p2o_input_decl *in = &model->inputs[i];
		enum p2o_dtype dt = in->dtype ? p2o_dtype_from_name(in->dtype) : P2O_DT_FLOAT32;
		struct p2o_value *t;
		if (!dt)
			return p2o_arch_error(ev->err, in->pos, "unknown dtype '%s'", in->dtype);
		if (input_dims(ev, in, o, dims, &rank))
			return -1;
		if (!(t = p2o_graph_input(ev->g, in->name, dt, rank, dims)) ||
		    !(args[i] = p2o_v_tensor(ev->a, t)))
			return OOM(ev, in->pos);
	}
	if (p2o_call_value(ev, &(struct p2o_val){.kind = V_MODULE, .u.mod = root}, args,
			   model->ninputs, NULL, NULL, 0, model->pos, &ret))
		return -1;
	return add_outputs(ev, model, ret, o);
}
