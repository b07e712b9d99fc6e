/* arch_exec.c — statements, assignment, attributes and subscripts. */
#include "arch_eval.h"

#include <stdio.h>
#include <string.h>

#define OOM(ev, pos) p2o_arch_error((ev)->err, (pos), "out of memory")

/* Set name in an instance scope: a module value becomes a child. */
static int set_attr(struct p2o_eval *ev, struct p2o_scope *sc, const char *name,
		    struct p2o_val *v, struct p2o_pos pos)
{
	if (p2o_scope_set(ev->a, sc, name, v))
		return OOM(ev, pos);
	if (sc->owner && v->kind == V_MODULE &&
	    p2o_module_add_child(ev->a, sc->owner, name, v->u.mod))
		return OOM(ev, pos);
	return 0;
}

int p2o_assign_target(struct p2o_eval *ev, struct p2o_scope *sc,
		      const struct p2o_ast *t, struct p2o_val *v)
{
	struct p2o_val *obj, *idx, **items;
	size_t n;

	switch (t->kind) {
	case AST_NAME:
		return set_attr(ev, sc, t->s, v, t->pos);
	case AST_ATTR:
		if (p2o_eval_expr(ev, sc, t->kids[0], &obj))
			return -1;
		if (obj->kind != V_MODULE || !obj->u.mod->scope)
			return p2o_arch_error(ev->err, t->pos, "cannot set attribute '%s' on %s",
					      t->s, p2o_v_kind_name(obj));
		return set_attr(ev, obj->u.mod->scope, t->s, v, t->pos);
	case AST_INDEX:
		if (p2o_eval_expr(ev, sc, t->kids[0], &obj) || p2o_eval_index(ev, sc, t->kids[1], &idx))
			return -1;
		if (obj->kind == V_LIST && idx->kind == V_INT) {
			int64_t i = idx->u.i < 0 ? idx->u.i + (int64_t)obj->u.seq.n : idx->u.i;
			if (i < 0 || i >= (int64_t)obj->u.seq.n)
				return p2o_arch_error(ev->err, t->pos, "list index out of range");
			obj->u.seq.items[i] = v;
			return 0;
		}
		if (obj->kind == V_TENSOR) { /* x[i] = v: x is rebound to an updated copy */
			struct p2o_val fn = {.kind = V_OP, .conv = p2o_converter_find("setitem")};
			struct p2o_val *args[3] = {obj, idx, v}, *r;
			if (p2o_call_value(ev, &fn, args, 3, NULL, NULL, 0, t->pos, &r))
				return -1;
			return p2o_assign_target(ev, sc, t->kids[0], r);
		}
		if (obj->kind == V_DICT) {
			for (size_t i = 0; i < obj->u.seq.n; i += 2)
				if (p2o_v_equal(obj->u.seq.items[i], idx))
					return obj->u.seq.items[i + 1] = v, 0;
			return p2o_v_push(ev->a, obj, idx) || p2o_v_push(ev->a, obj, v) ? OOM(ev, t->pos) : 0;
		}
		return p2o_arch_error(ev->err, t->pos, "cannot assign to an item of %s",
				      p2o_v_kind_name(obj));
	case AST_TUPLE: case AST_LIST:
		if (p2o_iterate(ev, v, t->pos, &items, &n))
			return -1;
		if (n != t->nkids)
			return p2o_arch_error(ev->err, t->pos, "cannot unpack %zu values into %zu names",
					      n, t->nkids);
		for (size_t i = 0; i < n; i++)
			if (p2o_assign_target(ev, sc, t->kids[i], items[i]))
				return -1;
		return 0;
	default:
		return p2o_arch_error(ev->err, t->pos, "cannot assign to this expression");
	}
}

int p2o_eval_index(struct p2o_eval *ev, struct p2o_scope *sc,
		   const struct p2o_ast *e, struct p2o_val **out)
{
	if (e->kind == AST_SLICE) {
		struct p2o_val *s = p2o_v_new(ev->a, V_SLICE);
		if (!s)
			return OOM(ev, e->pos);
		for (int i = 0; i < 3; i++) {
			struct p2o_val *v = p2o_v_none();
			if (e->kids[i] && p2o_eval_expr(ev, sc, e->kids[i], &v))
				return -1;
			if (p2o_v_push(ev->a, s, v))
				return OOM(ev, e->pos);
		}
		*out = s;
		return 0;
	}
	if (e->kind == AST_TUPLE) {
		struct p2o_val *t = p2o_v_new(ev->a, V_TUPLE), *v;
		if (!t)
			return OOM(ev, e->pos);
		for (size_t i = 0; i < e->nkids; i++)
			if (p2o_eval_index(ev, sc, e->kids[i], &v) || p2o_v_push(ev->a, t, v))
				return ev->err->code ? -1 : OOM(ev, e->pos);
		*out = t;
		return 0;
	}
	return p2o_eval_expr(ev, sc, e, out);
}

/* Python slice bounds of a sequence of length n. */
static int slice_bounds(const struct p2o_val *s, int64_t n, int64_t *start,
			int64_t *stop, int64_t *step)
{
	const struct p2o_val *a = s->u.seq.items[0], *b = s->u.seq.items[1], *c = s->u.seq.items[2];

	*step = c->kind == V_INT ? c->u.i : 1;
	if (*step == 0 || (a->kind != V_NONE && a->kind != V_INT) ||
	    (b->kind != V_NONE && b->kind != V_INT))
		return -1;
	*start = a->kind == V_INT ? a->u.i : (*step > 0 ? 0 : n - 1);
	*stop = b->kind == V_INT ? b->u.i : (*step > 0 ? n : -n - 1);
	if (*start < 0) *start += n;
	if (*stop < 0) *stop += n;
	if (*step > 0) {
		*start = *start < 0 ? 0 : *start > n ? n : *start;
		*stop = *stop < 0 ? 0 : *stop > n ? n : *stop;
	} else {
		*start = *start < -1 ? -1 : *start > n - 1 ? n - 1 : *start;
		*stop = *stop < -1 ? -1 : *stop > n - 1 ? n - 1 : *stop;
	}
	return 0;
}

int p2o_subscript(struct p2o_eval *ev, struct p2o_val *obj, struct p2o_val *idx,
		  struct p2o_pos pos, struct p2o_val **out)
{
	struct p2o_val **items;
	size_t n;

	if (obj->kind == V_TENSOR) {
		struct p2o_val fn = {.kind = V_OP, .conv = p2o_converter_find("getitem")};
		struct p2o_val *args[2] = {obj, idx};
		return p2o_call_value(ev, &fn, args, 2, NULL, NULL, 0, pos, out);
	}
	if (obj->kind == V_DICT) {
		for (size_t i = 0; i < obj->u.seq.n; i += 2)
			if (p2o_v_equal(obj->u.seq.items[i], idx))
				return *out = obj->u.seq.items[i + 1], 0;
		return p2o_arch_error(ev->err, pos, "key not found in dict");
	}
	if (obj->kind != V_TUPLE && obj->kind != V_LIST && obj->kind != V_MODULE)
		return p2o_arch_error(ev->err, pos, "%s cannot be indexed", p2o_v_kind_name(obj));
	if (p2o_iterate(ev, obj, pos, &items, &n))
		return -1;
	if (idx->kind == V_INT || idx->kind == V_BOOL) {
		int64_t i = idx->kind == V_INT ? idx->u.i : idx->u.b;
		if (i < 0)
			i += (int64_t)n;
		if (i < 0 || i >= (int64_t)n)
			return p2o_arch_error(ev->err, pos, "index %lld out of range (length %zu)",
					      (long long)(idx->kind == V_INT ? idx->u.i : 0), n);
		*out = items[i];
		return 0;
	}
	if (idx->kind == V_SLICE) {
		int64_t start, stop, step;
		struct p2o_val *res;
		if (slice_bounds(idx, (int64_t)n, &start, &stop, &step))
			return p2o_arch_error(ev->err, pos, "bad slice");
		if (obj->kind == V_MODULE) /* a slice of a Sequential: a list */
			res = p2o_v_new(ev->a, V_LIST);
		else
			res = p2o_v_new(ev->a, obj->kind);
		if (!res)
			return OOM(ev, pos);
		for (int64_t i = start; step > 0 ? i < stop : i > stop; i += step)
			if (p2o_v_push(ev->a, res, items[i]))
				return OOM(ev, pos);
		*out = res;
		return 0;
	}
	return p2o_arch_error(ev->err, pos, "index must be an int or a slice, not %s",
			      p2o_v_kind_name(idx));
}

static struct p2o_val *method(struct p2o_eval *ev, struct p2o_val *fn, struct p2o_val *self)
{
	struct p2o_val *m = p2o_v_new(ev->a, V_METHOD);

	if (m) {
		m->u.method.fn = fn;
		m->u.method.self = self;
	}
	return m;
}

int p2o_get_attr(struct p2o_eval *ev, struct p2o_val *obj, const char *name,
		 struct p2o_pos pos, struct p2o_val **out)
{
	char buf[300];

	switch (obj->kind) {
	case V_NAMESPACE: /* torch.X, nn.X, F.X, math.X */
		snprintf(buf, sizeof buf, "%s.%s", obj->u.s, name);
		if ((*out = p2o_scope_lookup(ev->globals, buf)))
			return 0;
		/* torch.max, torch.abs, F.round: the function, not the builtin */
		if (strcmp(obj->u.s, "math") && p2o_converter_find(name) &&
		    !(p2o_converter_find(name)->flags & P2O_CONV_LAYER)) {
			if (!(*out = p2o_v_new(ev->a, V_OP)))
				return OOM(ev, pos);
			(*out)->conv = p2o_converter_find(name);
			return 0;
		}
		if ((*out = p2o_scope_lookup(ev->globals, name)))
			return 0;
		return p2o_arch_error(ev->err, pos, "'%s' is not a supported layer or function",
				      buf);
	case V_MODULE: {
		struct p2o_module *m = obj->u.mod;
		struct p2o_val *v = m->scope ? p2o_scope_get(m->scope, name) : NULL;
		/* in forward, a bound weight before a constructor argument of the
		 * same name: Linear's .bias is the tensor, not bias=True */
		if (!v && m->conv && p2o_module_weight(m, name) && ev->g) {
			struct p2o_ctx c = {ev, ev->g, ev->err, pos, m->path};
			struct p2o_value *t = p2o_weight_value(&c, m, name);
			v = t ? p2o_v_tensor(ev->a, t) : NULL;
			if (!v)
				return ev->err->code ? -1 : OOM(ev, pos);
		}
		if (!v && m->conv)
			v = p2o_module_arg(m, name);
		if (!v && !strcmp(name, "forward"))
			v = method(ev, obj, NULL);
		if (!v) { /* add_module, children, items, ... */
			snprintf(buf, sizeof buf, "module.%s", name);
			if ((v = p2o_scope_lookup(ev->globals, buf)) && !(v = method(ev, v, obj)))
				return OOM(ev, pos);
		}
		if (v && v->kind == V_FUNC && v->u.fn.def->kind == AST_FORWARD)
			v = method(ev, obj, NULL); /* m.forward(x) is m(x) */
		if (!v)
			return p2o_arch_error(ev->err, pos, "module '%s' (%s) has no attribute '%s'",
					      m->path && *m->path ? m->path : m->type, m->type, name);
		*out = v;
		return v ? 0 : OOM(ev, pos);
	}
	case V_TENSOR:
		return p2o_tensor_attr(ev, obj, name, pos, out);
	case V_CLASS: /* Transformer.generate_square_subsequent_mask(n): a method of a
		       * class as a plain function (PyTorch's static methods; a method
		       * that uses self fails there: self is not defined) */
		for (size_t i = 0; obj->u.cls && obj->u.cls->kind == AST_BLOCK &&
				   i < obj->u.cls->kids[0]->nkids; i++) {
			const struct p2o_ast *d = obj->u.cls->kids[0]->kids[i];
			if (d->kind != AST_DEF || strcmp(d->s, name))
				continue;
			if (!(*out = p2o_v_new(ev->a, V_FUNC)))
				return OOM(ev, pos);
			(*out)->u.fn.def = d;
			(*out)->u.fn.closure = ev->globals;
			return 0;
		}
		return p2o_arch_error(ev->err, pos, "class %s has no attribute '%s'%s",
				      obj->u.cls ? obj->u.cls->s : obj->conv ? obj->conv->name : "?",
				      name, obj->u.cls ? " (of a class, only its methods are "
				      "supported, as functions without self)" : "");
	case V_TUPLE: /* (values, indices) of torch.max(x, dim) and the like */
		if (obj->conv && obj->u.seq.n == 2 && (!strcmp(name, "values") || !strcmp(name, "indices")))
			return *out = obj->u.seq.items[name[0] == 'i'], 0;
		/* fall through */
	case V_LIST: case V_DICT: case V_STR: case V_INT: case V_FLOAT:
		snprintf(buf, sizeof buf, "%s.%s", p2o_v_kind_name(obj), name);
		if ((*out = p2o_scope_lookup(ev->globals, buf)))
			return (*out = method(ev, *out, obj)) ? 0 : OOM(ev, pos);
		break;
	default:
		break;
	}
	return p2o_arch_error(ev->err, pos, "%s has no attribute '%s'", p2o_v_kind_name(obj), name);
}

static int exec_stmt(struct p2o_eval *ev, struct p2o_scope *sc,
		     const struct p2o_ast *s, struct p2o_val **ret);

int p2o_exec_suite(struct p2o_eval *ev, struct p2o_scope *sc,
		   const struct p2o_ast *suite, struct p2o_val **ret)
{
	for (size_t i = 0; i < suite->nkids; i++) {
		int rc = exec_stmt(ev, sc, suite->kids[i], ret);
		if (rc != P2O_NEXT)
			return rc;
	}
	return P2O_NEXT;
}

static int exec_loop_body(struct p2o_eval *ev, struct p2o_scope *sc,
			  const struct p2o_ast *body, struct p2o_val **ret, int *stop)
{
	int rc = p2o_exec_suite(ev, sc, body, ret);

	*stop = rc == P2O_BREAK || rc == P2O_RETURN || rc < 0;
	if (++ev->steps > P2O_MAX_LOOP_STEPS)
		return p2o_arch_error(ev->err, body->pos, "loop runs more than %ld steps",
				      P2O_MAX_LOOP_STEPS);
	return rc == P2O_RETURN || rc < 0 ? rc : P2O_NEXT;
}

static int exec_stmt(struct p2o_eval *ev, struct p2o_scope *sc,
		     const struct p2o_ast *s, struct p2o_val **ret)
{
	struct p2o_val *v, *cur, **items;
	size_t n;
	int b, rc, stop;

	switch (s->kind) {
	case AST_EXPR:
		return p2o_eval_expr(ev, sc, s->kids[0], &v) ? -1 : P2O_NEXT;
	case AST_ASSIGN:
		if (p2o_eval_expr(ev, sc, s->kids[s->nkids - 1], &v))
			return -1;
		for (size_t i = 0; i + 1 < s->nkids; i++)
			if (p2o_assign_target(ev, sc, s->kids[i], v))
				return -1;
		return P2O_NEXT;
	case AST_AUGASSIGN: {
		char op[4];
		snprintf(op, sizeof op, "%.*s", (int)strlen(s->s) - 1, s->s);
		if (p2o_eval_expr(ev, sc, s->kids[0], &cur) || p2o_eval_expr(ev, sc, s->kids[1], &v) ||
		    p2o_binop(ev, op, cur, v, s->pos, &v) || p2o_assign_target(ev, sc, s->kids[0], v))
			return -1;
		return P2O_NEXT;
	}
	case AST_IF:
		if (p2o_eval_expr(ev, sc, s->kids[0], &v) || p2o_condition(ev, v, s->kids[0]->pos, &b))
			return -1;
		if (b)
			return p2o_exec_suite(ev, sc, s->kids[1], ret);
		if (!s->kids[2])
			return P2O_NEXT;
		if (s->kids[2]->kind == AST_IF)
			return exec_stmt(ev, sc, s->kids[2], ret);
		return p2o_exec_suite(ev, sc, s->kids[2], ret);
	case AST_FOR:
		if (p2o_eval_expr(ev, sc, s->kids[1], &v) || p2o_iterate(ev, v, s->kids[1]->pos, &items, &n))
			return -1;
		for (size_t i = 0; i < n; i++) {
			if (p2o_assign_target(ev, sc, s->kids[0], items[i]))
				return -1;
			if ((rc = exec_loop_body(ev, sc, s->kids[2], ret, &stop)) != P2O_NEXT || stop)
				return rc;
		}
		return P2O_NEXT;
	case AST_WHILE:
		for (;;) {
			if (p2o_eval_expr(ev, sc, s->kids[0], &v) ||
			    p2o_condition(ev, v, s->kids[0]->pos, &b))
				return -1;
			if (!b)
				return P2O_NEXT;
			if ((rc = exec_loop_body(ev, sc, s->kids[1], ret, &stop)) != P2O_NEXT || stop)
				return rc;
		}
	case AST_RETURN:
		*ret = p2o_v_none();
		if (s->kids && s->nkids && s->kids[0] && p2o_eval_expr(ev, sc, s->kids[0], ret))
			return -1;
		return P2O_RETURN;
	case AST_PASS: return P2O_NEXT;
	case AST_BREAK: return P2O_BREAK;
	case AST_CONTINUE: return P2O_CONTINUE;
	case AST_ASSERT:
		if (p2o_eval_expr(ev, sc, s->kids[0], &v) || p2o_condition(ev, v, s->pos, &b))
			return -1;
		if (!b) {
			char msg[256] = "";
			if (s->nkids > 1 && s->kids[1] && p2o_eval_expr(ev, sc, s->kids[1], &v) == 0)
				p2o_v_repr(v, msg, sizeof msg);
			return p2o_arch_error(ev->err, s->pos, "assertion failed%s%s",
					      msg[0] ? ": " : "", msg);
		}
		return P2O_NEXT;
	case AST_DEF: case AST_FORWARD:
		if (!(v = p2o_v_new(ev->a, V_FUNC)))
			return OOM(ev, s->pos);
		v->u.fn.def = s;
		v->u.fn.closure = sc;
		return p2o_scope_set(ev->a, sc, s->kind == AST_DEF ? s->s : "forward", v) ?
			       OOM(ev, s->pos) : P2O_NEXT;
	case AST_SUITE:
		return p2o_exec_suite(ev, sc, s, ret);
	default:
		return p2o_arch_error(ev->err, s->pos, "this statement is not allowed here");
	}
}
