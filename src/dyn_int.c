/* dyn_int.c — ints known only at run time as graph values (dyn_int.h). */
#include "dyn_int.h"
#include "arch_eval.h"
#include "emit.h"

#include <string.h>

int p2o_is_dyn_int(const struct p2o_val *v)
{
	return v && v->kind == V_INT && v->u.i < 0 && v->sym_of;
}

int p2o_dyn_is_dim(const struct p2o_val *v, const struct p2o_value *x, int d)
{
	const struct p2o_value *s;

	if (!p2o_is_dyn_int(v) || v->sym_dim < 0 || d < 0 || d >= x->rank)
		return 0;
	s = v->sym_of;
	if (s == x)
		return v->sym_dim == d;
	return v->sym_dim < s->rank && s->dims[v->sym_dim].sym && x->dims[d].sym &&
	       !strcmp(s->dims[v->sym_dim].sym, x->dims[d].sym);
}

struct p2o_value *p2o_int_value(struct p2o_ctx *c, struct p2o_val *v)
{
	struct p2o_value *shape, *ins[2];
	struct p2o_node *n;
	int64_t k;

	if (!p2o_is_dyn_int(v)) {
		if (p2o_val_int(v, &k)) {
			p2o_fail(c, "an int is expected, not %s", p2o_v_kind_name(v));
			return NULL;
		}
		return p2o_emit_ints(c, "int", &k, 1);
	}
	if (v->dyn)
		return v->dyn;
	if (v->sym_dim < 0) { /* arithmetic results always carry their value */
		p2o_fail(c, "internal: a dynamic int without a graph value");
		return NULL;
	}
	/* Shape(x) -> Gather([d]): a 1-D tensor of one element */
	k = v->sym_dim;
	if (!(n = p2o_emit(c, "Shape", &v->sym_of, 1, 1)) || p2o_finish(c, n, NULL))
		return NULL;
	shape = n->outputs[0];
	ins[0] = shape;
	if (!(ins[1] = p2o_emit_ints(c, "dim", &k, 1)) || !(n = p2o_emit(c, "Gather", ins, 2, 1)) ||
	    p2o_attr_int(c->g, n, "axis", 0) || p2o_finish(c, n, NULL))
		return c->err->code ? NULL : (p2o_fail(c, "out of memory"), NULL);
	return v->dyn = n->outputs[0];
}

struct p2o_value *p2o_int_vector(struct p2o_ctx *c, const char *what,
				 struct p2o_val *const *vals, const int64_t *known, size_t n)
{
	struct p2o_value *parts[P2O_MAX_RANK];
	size_t np = 0, i = 0;
	struct p2o_node *node;

	if (n > P2O_MAX_RANK) {
		p2o_fail(c, "more than %d entries", P2O_MAX_RANK);
		return NULL;
	}
	while (i < n) {
		size_t j = i;
		if (vals && p2o_is_dyn_int(vals[i])) {
			if (!(parts[np++] = p2o_int_value(c, vals[i])))
				return NULL;
			i++;
			continue;
		}
		while (j < n && !(vals && p2o_is_dyn_int(vals[j])))
			j++;
		if (!(parts[np++] = p2o_emit_ints(c, what, known + i, j - i)))
			return NULL;
		i = j;
	}
	if (np == 1)
		return parts[0];
	if (!(node = p2o_emit(c, "Concat", parts, np, 1)) || p2o_attr_int(c->g, node, "axis", 0) ||
	    p2o_finish(c, node, NULL))
		return c->err->code ? NULL : (p2o_fail(c, "out of memory"), NULL);
	return node->outputs[0];
}

/* Python's floor division and modulo on int64 values: Mod with fmod=0
 * takes the divisor's sign; (a - a mod b) / b is then exact. */
static struct p2o_value *int_op(struct p2o_ctx *c, const char *op, struct p2o_value *a,
				struct p2o_value *b)
{
	struct p2o_value *m;
	struct p2o_node *n;

	if (!strcmp(op, "+")) return p2o_emit_binary(c, "Add", a, b);
	if (!strcmp(op, "-")) return p2o_emit_binary(c, "Sub", a, b);
	if (!strcmp(op, "*")) return p2o_emit_binary(c, "Mul", a, b);
	if (strcmp(op, "//") && strcmp(op, "%")) {
		p2o_fail(c, "operator %s is not supported on a size known only at run time "
			 "(use + - * // %%)", op);
		return NULL;
	}
	struct p2o_value *ins[2] = {a, b};
	if (!(n = p2o_emit(c, "Mod", ins, 2, 1)) || p2o_attr_int(c->g, n, "fmod", 0) ||
	    p2o_finish(c, n, NULL))
		return c->err->code ? NULL : (p2o_fail(c, "out of memory"), NULL);
	m = n->outputs[0];
	if (op[0] == '%')
		return m;
	return (m = p2o_emit_binary(c, "Sub", a, m)) ? p2o_emit_binary(c, "Div", m, b) : NULL;
}

int p2o_dyn_arith(struct p2o_eval *ev, const char *op, struct p2o_val *l,
		  struct p2o_val *r, struct p2o_pos pos, struct p2o_val **out)
{
	struct p2o_val *src = p2o_is_dyn_int(l) ? l : r;
	struct p2o_ctx c = {ev, ev->g, ev->err, pos, "size"};
	struct p2o_value *a, *b, *v;

	if ((l->kind != V_INT && l->kind != V_BOOL) || (r->kind != V_INT && r->kind != V_BOOL))
		return p2o_arch_error(ev->err, pos, "operator %s: a size known only at run time "
				      "combines with ints only, not %s", op,
				      p2o_v_kind_name(l->kind == V_INT ? r : l));
	if (!ev->g) { /* outside forward: an unknown int, as before */
		if (!(*out = p2o_v_int(ev->a, -1)))
			return p2o_arch_error(ev->err, pos, "out of memory");
		(*out)->sym_of = src->sym_of;
		(*out)->sym_dim = -1;
		return 0;
	}
	if (ev->forward_of && ev->forward_of->path && ev->forward_of->path[0])
		c.name = p2o_sprintf(ev->a, "%s.size", ev->forward_of->path);
	if (!c.name || !(a = p2o_int_value(&c, l)) || !(b = p2o_int_value(&c, r)) ||
	    !(v = int_op(&c, op, a, b)))
		return ev->err->code ? -1 : p2o_arch_error(ev->err, pos, "out of memory");
	if (!(*out = p2o_v_int(ev->a, -1)))
		return p2o_arch_error(ev->err, pos, "out of memory");
	(*out)->sym_of = src->sym_of;
	(*out)->sym_dim = -1; /* derived: no longer one dimension */
	(*out)->dyn = v;
	return 0;
}
