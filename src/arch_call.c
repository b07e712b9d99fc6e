/* arch_call.c — calls: binding arguments to parameters, instantiating
 * blocks and layers, calling modules, functions and converters. */
#include "arch_eval.h"

#include <stdio.h>
#include <string.h>

#define OOM(ev, pos) p2o_arch_error((ev)->err, (pos), "out of memory")

/* Python's argument binding.  vals[i] receives parameter i's value. */
static int bind_params(struct p2o_eval *ev, const char *what,
		       const struct p2o_param *params, size_t np,
		       struct p2o_scope *defaults_scope, struct p2o_val **args,
		       size_t nargs, const char **kwnames, struct p2o_val **kwvals,
		       size_t nkw, struct p2o_pos pos, struct p2o_val **vals)
{
	size_t next = 0, star = np, dstar = np;
	struct p2o_val *extra = NULL, *extra_kw = NULL;

	for (size_t i = 0; i < np; i++) {
		vals[i] = NULL;
		if (params[i].star == 1) star = i;
		if (params[i].star == 2) dstar = i;
	}
	for (size_t k = 0; k < nargs; k++) {
		while (next < np && params[next].star)
			next++;
		if (next < np && next < star) {
			vals[next++] = args[k];
			continue;
		}
		if (star == np)
			return p2o_arch_error(ev->err, pos, "%s takes %zu positional arguments but %zu were given",
					      what, next, nargs);
		if (!extra && !(extra = p2o_v_new(ev->a, V_TUPLE)))
			return OOM(ev, pos);
		if (p2o_v_push(ev->a, extra, args[k]))
			return OOM(ev, pos);
	}
	for (size_t k = 0; k < nkw; k++) {
		size_t i;
		for (i = 0; i < np; i++)
			if (!params[i].star && !strcmp(params[i].name, kwnames[k]))
				break;
		if (i == np) {
			if (dstar == np)
				return p2o_arch_error(ev->err, pos, "%s got an unexpected keyword argument '%s'",
						      what, kwnames[k]);
			if ((!extra_kw && !(extra_kw = p2o_v_new(ev->a, V_DICT))) ||
			    p2o_v_push(ev->a, extra_kw, p2o_v_str(ev->a, kwnames[k])) ||
			    p2o_v_push(ev->a, extra_kw, kwvals[k]))
				return OOM(ev, pos);
			continue;
		}
		if (vals[i])
			return p2o_arch_error(ev->err, pos, "%s got multiple values for argument '%s'",
					      what, kwnames[k]);
		vals[i] = kwvals[k];
	}
	for (size_t i = 0; i < np; i++) {
		if (vals[i])
			continue;
		if (i == star)
			vals[i] = extra ? extra : p2o_v_new(ev->a, V_TUPLE);
		else if (i == dstar)
			vals[i] = extra_kw ? extra_kw : p2o_v_new(ev->a, V_DICT);
		else if (params[i].deflt) {
			if (p2o_eval_expr(ev, defaults_scope, params[i].deflt, &vals[i]))
				return -1;
		} else
			return p2o_arch_error(ev->err, pos, "%s is missing the argument '%s'",
					      what, params[i].name);
		if (!vals[i])
			return OOM(ev, pos);
	}
	return 0;
}

/* Signatures of converters are parsed once, as `def f(SIGNATURE): pass`. */
static const struct p2o_ast *signature_def(struct p2o_eval *ev, const char *sig,
					   struct p2o_pos pos)
{
	struct p2o_src *src = p2o_alloc(ev->a, sizeof *src);
	struct p2o_ast *mod;
	char *text;

	for (size_t i = 0; i < ev->nsigs; i++)
		if (ev->sig_keys[i] == sig)
			return ev->sig_defs[i];
	text = p2o_sprintf(ev->a, "def f(%s):\n    pass\n", sig ? sig : "");
	if (!src || !text)
		return OOM(ev, pos), NULL;
	*src = (struct p2o_src){"<signature>", text, strlen(text)};
	if (!(mod = p2o_arch_parse(ev->a, src, ev->err)) || mod->nkids != 1) {
		p2o_err_context(ev->err, "internal: bad converter signature '%s'", sig);
		return NULL;
	}
	size_t cap = ev->sigs_cap;
	if (p2o_grow(ev->a, (void **)&ev->sig_keys, &cap, ev->nsigs + 1, sizeof *ev->sig_keys) ||
	    p2o_grow(ev->a, (void **)&ev->sig_defs, &ev->sigs_cap, ev->nsigs + 1, sizeof *ev->sig_defs))
		return OOM(ev, pos), NULL;
	ev->sig_keys[ev->nsigs] = sig;
	ev->sig_defs[ev->nsigs++] = mod->kids[0];
	return mod->kids[0];
}

int p2o_bind_signature(struct p2o_eval *ev, const char *what, const char *signature,
		       struct p2o_val **args, size_t nargs, const char **kwnames,
		       struct p2o_val **kwvals, size_t nkw, struct p2o_pos pos,
		       struct p2o_args *out)
{
	const struct p2o_ast *def = signature_def(ev, signature, pos);

	if (!def)
		return -1;
	out->n = def->nparams;
	out->names = p2o_alloc_array(ev->a, def->nparams, sizeof *out->names);
	out->vals = p2o_alloc_array(ev->a, def->nparams, sizeof *out->vals);
	if (!out->names || !out->vals)
		return OOM(ev, pos);
	for (size_t i = 0; i < def->nparams; i++)
		out->names[i] = def->params[i].name;
	return bind_params(ev, what, def->params, def->nparams, ev->globals, args, nargs,
			   kwnames, kwvals, nkw, pos, out->vals);
}

/* "Conv2d(3, 6, 5, stride=2)": the call as written, for messages. */
static const char *call_text(struct p2o_eval *ev, const char *type, struct p2o_val **args,
			     size_t nargs, const char **kwnames, struct p2o_val **kwvals, size_t nkw)
{
	char buf[1024], item[256];
	size_t len = (size_t)snprintf(buf, sizeof buf, "%s(", type);

	for (size_t i = 0; i < nargs + nkw && len < sizeof buf; i++) {
		p2o_v_repr(i < nargs ? args[i] : kwvals[i - nargs], item, sizeof item);
		len += (size_t)snprintf(buf + len, sizeof buf - len, "%s%s%s%s", i ? ", " : "",
					i < nargs ? "" : kwnames[i - nargs], i < nargs ? "" : "=", item);
	}
	if (len < sizeof buf)
		snprintf(buf + len, sizeof buf - len, ")");
	return p2o_strdup(ev->a, buf);
}

static struct p2o_val *module_val(struct p2o_eval *ev, struct p2o_module *m)
{
	struct p2o_val *v = p2o_v_new(ev->a, V_MODULE);
	if (v)
		v->u.mod = m;
	return v;
}

/* Sequential(a, b), Sequential(OrderedDict(...)), ModuleList([a, b]) */
static int add_container_children(struct p2o_eval *ev, struct p2o_module *m,
				  struct p2o_val **args, size_t nargs, struct p2o_pos pos)
{
	struct p2o_val **items = args;
	size_t n = nargs;

	if (nargs == 1 && (args[0]->kind == V_LIST || args[0]->kind == V_TUPLE)) {
		items = args[0]->u.seq.items;
		n = args[0]->u.seq.n;
	} else if (nargs == 1 && args[0]->kind == V_DICT) {
		for (size_t i = 0; i + 1 < args[0]->u.seq.n; i += 2) {
			struct p2o_val *k = args[0]->u.seq.items[i], *v = args[0]->u.seq.items[i + 1];
			if (k->kind != V_STR || v->kind != V_MODULE)
				return p2o_arch_error(ev->err, pos, "%s: a dict of name: module is expected", m->type);
			if (p2o_module_add_child(ev->a, m, k->u.s, v->u.mod))
				return OOM(ev, pos);
		}
		return 0;
	}
	for (size_t i = 0; i < n; i++) {
		char *name = p2o_sprintf(ev->a, "%zu", i);
		if (items[i]->kind != V_MODULE)
			return p2o_arch_error(ev->err, pos, "%s takes modules, not %s", m->type,
					      p2o_v_kind_name(items[i]));
		if (!name || p2o_module_add_child(ev->a, m, name, items[i]->u.mod))
			return OOM(ev, pos);
	}
	return 0;
}

static int new_module(struct p2o_eval *ev, struct p2o_val *cls, struct p2o_val **args,
		      size_t nargs, const char **kwnames, struct p2o_val **kwvals,
		      size_t nkw, struct p2o_pos pos, struct p2o_val **out)
{
	struct p2o_module *m = p2o_alloc(ev->a, sizeof *m);
	struct p2o_args bound;

	if (!m || !(*out = module_val(ev, m)) || !(m->scope = p2o_scope_new(ev->a, ev->globals)))
		return OOM(ev, pos);
	m->scope->owner = m;
	m->pos = pos;
	if (cls->u.cls) { /* a block: run its constructor body */
		const struct p2o_ast *blk = cls->u.cls, *body = blk->kids[0], *init = NULL;
		struct p2o_val **vals = p2o_alloc_array(ev->a, blk->nparams, sizeof *vals), *ret;
		struct p2o_scope *params = m->scope;
		struct p2o_ast head;
		int rc;
		m->type = blk->s;
		m->block = blk;
		m->call_text = call_text(ev, m->type, args, nargs, kwnames, kwvals, nkw);
		if (!vals || p2o_scope_set(ev->a, m->scope, "self", *out))
			return OOM(ev, pos);
		/* A class: __init__'s parameters and variables are its own locals
		 * (arch_parser_top.c puts its body last, as AST_LOCAL_SUITE). */
		if (body->nkids && body->kids[body->nkids - 1]->kind == AST_LOCAL_SUITE) {
			init = body->kids[body->nkids - 1];
			head = *body;
			head.nkids--;
			body = &head;
			if (!(params = p2o_scope_new(ev->a, m->scope)))
				return OOM(ev, pos);
		}
		if (bind_params(ev, blk->s, blk->params, blk->nparams, ev->globals, args, nargs,
				kwnames, kwvals, nkw, pos, vals))
			return -1;
		for (size_t i = 0; i < blk->nparams; i++)
			if (p2o_scope_set(ev->a, params, blk->params[i].name, vals[i]))
				return OOM(ev, pos);
		if (++ev->depth > P2O_MAX_CALL_DEPTH)
			return p2o_arch_error(ev->err, pos, "blocks nested deeper than %d", P2O_MAX_CALL_DEPTH);
		rc = p2o_exec_suite(ev, m->scope, body, &ret);
		if (rc >= 0 && rc != P2O_RETURN && init)
			rc = p2o_exec_suite(ev, params, init, &ret);
		ev->depth--;
		return rc < 0 ? -1 : 0;
	}
	m->conv = cls->conv;
	m->type = cls->conv->name;
	m->call_text = call_text(ev, m->type, args, nargs, kwnames, kwvals, nkw);
	if (p2o_bind_signature(ev, m->type, m->conv->signature, args, nargs, kwnames, kwvals,
			       nkw, pos, &bound))
		return -1;
	m->arg_names = bound.names;
	m->args = bound.vals;
	m->nargs = bound.n;
	if (m->conv->flags & P2O_CONV_CONTAINER)
		return add_container_children(ev, m, args, nargs, pos);
	return 0;
}

static int call_func(struct p2o_eval *ev, struct p2o_val *fn, struct p2o_val **args,
		     size_t nargs, const char **kwnames, struct p2o_val **kwvals,
		     size_t nkw, struct p2o_pos pos, struct p2o_val **out)
{
	const struct p2o_ast *def = fn->u.fn.def;
	struct p2o_scope *frame = p2o_scope_new(ev->a, fn->u.fn.closure);
	struct p2o_val **vals = p2o_alloc_array(ev->a, def->nparams, sizeof *vals);
	int rc;

	if (!frame || !vals)
		return OOM(ev, pos);
	if (bind_params(ev, def->kind == AST_DEF ? def->s : "forward", def->params,
			def->nparams, fn->u.fn.closure, args, nargs, kwnames, kwvals, nkw, pos, vals))
		return -1;
	for (size_t i = 0; i < def->nparams; i++)
		if (p2o_scope_set(ev->a, frame, def->params[i].name, vals[i]))
			return OOM(ev, pos);
	if (++ev->depth > P2O_MAX_CALL_DEPTH)
		return p2o_arch_error(ev->err, pos, "calls nested deeper than %d", P2O_MAX_CALL_DEPTH);
	*out = p2o_v_none();
	if (def->kind == AST_LAMBDA)
		rc = p2o_eval_expr(ev, frame, def->kids[0], out);
	else
		rc = p2o_exec_suite(ev, frame, def->kids[0], out);
	ev->depth--;
	return rc < 0 ? -1 : 0;
}

static int call_op(struct p2o_eval *ev, const struct p2o_converter *conv,
		   struct p2o_module *m, struct p2o_val **args, size_t nargs,
		   const char **kwnames, struct p2o_val **kwvals, size_t nkw,
		   struct p2o_pos pos, struct p2o_val **out)
{
	struct p2o_ctx c = {ev, ev->g, ev->err, pos, NULL};
	const char *sig = m ? (conv->forward_signature ? conv->forward_signature : "input")
			    : conv->signature;
	struct p2o_args a;

	if (!ev->g)
		return p2o_arch_error(ev->err, pos, "%s works on tensors: call it in forward",
				      conv->name);
	if (p2o_bind_signature(ev, conv->name, sig, args, nargs, kwnames, kwvals, nkw, pos, &a))
		return -1;
	if (m)
		c.name = m->path;
	else if (ev->forward_of && ev->forward_of->path[0])
		c.name = p2o_sprintf(ev->a, "%s.%s", ev->forward_of->path, conv->name);
	else
		c.name = conv->name;
	if (!conv->call)
		return p2o_arch_error(ev->err, pos, "%s cannot be called", conv->name);
	return conv->call(&c, m, &a, out);
}

static int call_module(struct p2o_eval *ev, struct p2o_module *m, struct p2o_val **args,
		       size_t nargs, const char **kwnames, struct p2o_val **kwvals,
		       size_t nkw, struct p2o_pos pos, struct p2o_val **out)
{
	struct p2o_module *saved = ev->forward_of;
	struct p2o_val *fwd;
	int rc;

	if (m->conv && (m->conv->flags & P2O_CONV_CONTAINER)) {
		if (strcmp(m->type, "Sequential"))
			return p2o_arch_error(ev->err, pos, "a %s cannot be called; iterate over it", m->type);
		if (nargs != 1 || nkw)
			return p2o_arch_error(ev->err, pos, "Sequential takes one input");
		*out = args[0];
		for (size_t i = 0; i < m->nchildren; i++)
			if (call_module(ev, m->children[i], out, 1, NULL, NULL, 0, pos, out))
				return -1;
		return 0;
	}
	if (m->conv)
		return call_op(ev, m->conv, m, args, nargs, kwnames, kwvals, nkw, pos, out);
	fwd = p2o_scope_get(m->scope, "forward");
	if (!fwd || fwd->kind != V_FUNC)
		return p2o_arch_error(ev->err, pos, "%s has no forward", m->type);
	ev->forward_of = m;
	rc = call_func(ev, fwd, args, nargs, kwnames, kwvals, nkw, pos, out);
	ev->forward_of = saved;
	return rc;
}

int p2o_call_value(struct p2o_eval *ev, struct p2o_val *callee, struct p2o_val **args,
		   size_t nargs, const char **kwnames, struct p2o_val **kwvals,
		   size_t nkw, struct p2o_pos pos, struct p2o_val **out)
{
	struct p2o_val **all;

	switch (callee->kind) {
	case V_CLASS:
		return new_module(ev, callee, args, nargs, kwnames, kwvals, nkw, pos, out);
	case V_FUNC:
		return call_func(ev, callee, args, nargs, kwnames, kwvals, nkw, pos, out);
	case V_MODULE:
		return call_module(ev, callee->u.mod, args, nargs, kwnames, kwvals, nkw, pos, out);
	case V_OP:
		if (!callee->conv)
			return p2o_arch_error(ev->err, pos, "this operation is not supported yet");
		return call_op(ev, callee->conv, NULL, args, nargs, kwnames, kwvals, nkw, pos, out);
	case V_BUILTIN:
		if (nkw)
			return p2o_arch_error(ev->err, pos, "%s takes no keyword arguments",
					      callee->u.builtin.name);
		return callee->u.builtin.fn(ev, args, nargs, NULL, out, pos);
	case V_METHOD:
		if (!callee->u.method.self) /* module.forward */
			return p2o_call_value(ev, callee->u.method.fn, args, nargs, kwnames, kwvals,
					      nkw, pos, out);
		if (callee->u.method.fn->kind == V_BUILTIN) {
			if (nkw)
				return p2o_arch_error(ev->err, pos, "%s takes no keyword arguments",
						      callee->u.method.fn->u.builtin.name);
			return callee->u.method.fn->u.builtin.fn(ev, args, nargs, callee->u.method.self,
								 out, pos);
		}
		if (!(all = p2o_alloc_array(ev->a, nargs + 1, sizeof *all)))
			return OOM(ev, pos);
		all[0] = callee->u.method.self;
		if (nargs) /* x.sigmoid(): args may be NULL, and memcpy must not get NULL */
			memcpy(all + 1, args, nargs * sizeof *args);
		return p2o_call_value(ev, callee->u.method.fn, all, nargs + 1, kwnames, kwvals, nkw,
				      pos, out);
	default:
		return p2o_arch_error(ev->err, pos, "%s is not callable", p2o_v_kind_name(callee));
	}
}
