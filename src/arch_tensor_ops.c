/* arch_tensor_ops.c — attributes of tensors in forward: x.shape, x.size(),
 * x.dim(), x.numel(), x.ndim, x.dtype, and methods (x.view, x.flatten, x.relu, ...)
 * that are the registry's functions with x as the first argument.  Sizes of
 * dynamic dimensions are symbolic ints that remember where they came from. */
#include "arch_eval.h"

#include <string.h>

#define OOM(ev, pos) p2o_arch_error((ev)->err, (pos), "out of memory")

static struct p2o_val *dim_val(struct p2o_eval *ev, struct p2o_value *t, int d)
{
	struct p2o_val *v = p2o_v_int(ev->a, t->dims[d].v >= 0 ? t->dims[d].v : -1);

	if (v) {
		v->sym_of = t;
		v->sym_dim = d;
	}
	return v;
}

static int shape_tuple(struct p2o_eval *ev, struct p2o_value *t, struct p2o_pos pos,
		       struct p2o_val **out)
{
	if (t->rank < 0)
		return p2o_arch_error(ev->err, pos, "the rank of %s is unknown here", t->name);
	if (!(*out = p2o_v_new(ev->a, V_TUPLE)))
		return OOM(ev, pos);
	for (int d = 0; d < t->rank; d++)
		if (p2o_v_push(ev->a, *out, dim_val(ev, t, d)))
			return OOM(ev, pos);
	return 0;
}

static int m_size(struct p2o_eval *ev, struct p2o_val **args, size_t n, struct p2o_val *self,
		  struct p2o_val **out, struct p2o_pos pos)
{
	struct p2o_value *t = self->u.t;
	int64_t d;

	if (n == 0)
		return shape_tuple(ev, t, pos, out);
	if (n > 1 || p2o_val_int(args[0], &d))
		return p2o_arch_error(ev->err, pos, "size() takes one int");
	if (t->rank < 0)
		return p2o_arch_error(ev->err, pos, "the rank of %s is unknown here", t->name);
	if (d < 0)
		d += t->rank;
	if (d < 0 || d >= t->rank)
		return p2o_arch_error(ev->err, pos, "dimension out of range for a %d-D tensor", t->rank);
	return (*out = dim_val(ev, t, (int)d)) ? 0 : OOM(ev, pos);
}

static int m_dim(struct p2o_eval *ev, struct p2o_val **args, size_t n, struct p2o_val *self,
		 struct p2o_val **out, struct p2o_pos pos)
{
	(void)args;
	if (n)
		return p2o_arch_error(ev->err, pos, "dim() takes no arguments");
	return (*out = p2o_v_int(ev->a, self->u.t->rank)) ? 0 : OOM(ev, pos);
}

static int m_numel(struct p2o_eval *ev, struct p2o_val **args, size_t n, struct p2o_val *self,
		   struct p2o_val **out, struct p2o_pos pos)
{
	struct p2o_value *t = self->u.t;
	int64_t k = 1;

	(void)args;
	if (n)
		return p2o_arch_error(ev->err, pos, "numel() takes no arguments");
	for (int d = 0; d < t->rank; d++)
		k *= t->dims[d].v;
	if (t->rank < 0 || k < 0)
		return p2o_arch_error(ev->err, pos, "numel() needs sizes known at conversion time");
	return (*out = p2o_v_int(ev->a, k)) ? 0 : OOM(ev, pos);
}

static int builtin_method(struct p2o_eval *ev, struct p2o_val *self, const char *name,
			  p2o_builtin_fn fn, struct p2o_pos pos, struct p2o_val **out)
{
	struct p2o_val *f = p2o_v_new(ev->a, V_BUILTIN), *m = p2o_v_new(ev->a, V_METHOD);

	if (!f || !m)
		return OOM(ev, pos);
	f->u.builtin.name = name;
	f->u.builtin.fn = fn;
	m->u.method.fn = f;
	m->u.method.self = self;
	*out = m;
	return 0;
}

int p2o_tensor_attr(struct p2o_eval *ev, struct p2o_val *t, const char *name,
		    struct p2o_pos pos, struct p2o_val **out)
{
	const struct p2o_converter *c;

	if (!strcmp(name, "shape"))
		return shape_tuple(ev, t->u.t, pos, out);
	if (!strcmp(name, "ndim"))
		return (*out = p2o_v_int(ev->a, t->u.t->rank)) ? 0 : OOM(ev, pos);
	if (!strcmp(name, "dtype")) {
		if (!(*out = p2o_v_new(ev->a, V_DTYPE)))
			return OOM(ev, pos);
		(*out)->u.dtype = t->u.t->dtype;
		return 0;
	}
	if (!strcmp(name, "size"))
		return builtin_method(ev, t, "size", m_size, pos, out);
	if (!strcmp(name, "dim"))
		return builtin_method(ev, t, "dim", m_dim, pos, out);
	if (!strcmp(name, "numel"))
		return builtin_method(ev, t, "numel", m_numel, pos, out);
	c = p2o_converter_find(name);
	if (!c || (c->flags & P2O_CONV_LAYER))
		return p2o_arch_error(ev->err, pos, "tensor method '%s' is not supported", name);
	struct p2o_val *fn = p2o_v_new(ev->a, V_OP), *m = p2o_v_new(ev->a, V_METHOD);
	if (!fn || !m)
		return OOM(ev, pos);
	fn->conv = c;
	m->u.method.fn = fn;
	m->u.method.self = t;
	*out = m;
	return 0;
}
