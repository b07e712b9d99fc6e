/*
 * filled.c — new tensors of a given size filled with one value:
 * torch.zeros/ones(*size), torch.full(size, fill_value), and the methods
 * x.new_zeros/new_ones(*size), x.new_full(size, fill_value) (x's dtype
 * unless dtype= says otherwise; x gives nothing else).  Sizes known at
 * conversion time give a constant (up to 2^20 elements; larger ones an
 * Expand of a scalar); run-time sizes (x.size(0) of a dynamic batch) give
 * an Expand to a shape computed in the graph.  dtype: torch.zeros and
 * torch.ones default to float32, torch.full to the fill value's type
 * (bool, int64 or float32), as in PyTorch.
 */
#include "dyn_int.h"
#include "fn_util.h"

#include <string.h>

enum { MAX_CONST = 1 << 20 };

static int filled(struct p2o_ctx *c, struct p2o_val *size, struct p2o_val *value,
		  enum p2o_dtype t, struct p2o_val **out)
{
	struct p2o_val **items, *dyn[P2O_MAX_RANK] = {0};
	int64_t dims[P2O_MAX_RANK], numel = 1;
	struct p2o_value *ins[2];
	struct p2o_node *n;
	size_t rank;
	int known = 1;

	p2o_sizes_items(size, &items, &rank);
	if (rank > P2O_MAX_RANK)
		return p2o_fail(c, "at most %d sizes are supported, not %zu", P2O_MAX_RANK, rank);
	for (size_t i = 0; i < rank; i++) {
		if (items[i]->kind != V_INT)
			return p2o_fail(c, "sizes must be ints, not %s", p2o_v_kind_name(items[i]));
		if (p2o_is_dyn_int(items[i])) {
			dyn[i] = items[i];
			dims[i] = 1;
			known = 0;
			continue;
		}
		if ((dims[i] = items[i]->u.i) < 0)
			return p2o_fail(c, "size %lld is negative", (long long)dims[i]);
		numel = numel > MAX_CONST ? numel : numel * dims[i];
	}
	if (p2o_is_float_dt(t))
		t = P2O_DT_FLOAT32;
	if (known && numel <= MAX_CONST && (t == P2O_DT_FLOAT32 || t == P2O_DT_INT64 ||
					    t == P2O_DT_INT32 || t == P2O_DT_BOOL)) {
		double v;
		unsigned es = p2o_dtype_info(t)->size;
		unsigned char *data = p2o_alloc_array(&c->g->arena, numel ? (size_t)numel : 1, es);
		struct p2o_value *k;
		if (!data)
			return p2o_fail(c, "out of memory");
		if (p2o_val_float(value, &v))
			return p2o_fail(c, "the fill value must be a number");
		for (int64_t i = 0; i < numel; i++) {
			float f = (float)v;
			int64_t l = (int64_t)v;
			int32_t w = (int32_t)v;
			unsigned char b = v != 0;
			memcpy(data + (size_t)i * es, t == P2O_DT_FLOAT32 ? (void *)&f :
			       t == P2O_DT_INT64 ? (void *)&l : t == P2O_DT_INT32 ? (void *)&w :
			       (void *)&b, es);
		}
		k = p2o_graph_const(c->g, p2o_sprintf(&c->g->arena, "%s.values", c->name), t,
				    (int)rank, dims, data);
		return k ? p2o_result(c, k, out) : p2o_fail(c, "out of memory");
	}
	if (!(ins[0] = p2o_operand(c, value, t, "value")) ||
	    !(ins[1] = p2o_int_vector(c, "shape", dyn, dims, rank)) ||
	    !(n = p2o_emit(c, "Expand", ins, 2, 1)) || p2o_finish(c, n, NULL))
		return -1;
	n->outputs[0]->rank = (int)rank;
	for (size_t i = 0; i < rank; i++)
		n->outputs[0]->dims[i] = dyn[i] && dyn[i]->sym_dim >= 0 ?
			dyn[i]->sym_of->dims[dyn[i]->sym_dim] :
			(struct p2o_dim){dyn[i] ? -1 : dims[i], NULL};
	return p2o_result(c, n->outputs[0], out);
}

/* dtype=: the argument when given, else dflt. */
static enum p2o_dtype dtype_of(const struct p2o_args *a, enum p2o_dtype dflt)
{
	struct p2o_val *dt = p2o_arg(a, "dtype");
	return dt && dt->kind == V_DTYPE ? dt->u.dtype : dflt;
}

static int call_zeros(struct p2o_ctx *c, struct p2o_module *m, const struct p2o_args *a,
		      struct p2o_val **out)
{
	(void)m;
	return filled(c, p2o_arg(a, "size"), &(struct p2o_val){.kind = V_INT, .u.i = 0},
		      dtype_of(a, P2O_DT_FLOAT32), out);
}

static int call_ones(struct p2o_ctx *c, struct p2o_module *m, const struct p2o_args *a,
		     struct p2o_val **out)
{
	(void)m;
	return filled(c, p2o_arg(a, "size"), &(struct p2o_val){.kind = V_INT, .u.i = 1},
		      dtype_of(a, P2O_DT_FLOAT32), out);
}

static int call_full(struct p2o_ctx *c, struct p2o_module *m, const struct p2o_args *a,
		     struct p2o_val **out)
{
	struct p2o_val *v = p2o_arg(a, "fill_value");
	enum p2o_dtype t = v->kind == V_BOOL ? P2O_DT_BOOL : v->kind == V_INT ? P2O_DT_INT64 :
			   P2O_DT_FLOAT32;

	(void)m;
	return filled(c, p2o_arg(a, "size"), v, dtype_of(a, t), out);
}

static int like(struct p2o_ctx *c, const struct p2o_args *a, struct p2o_val *v,
		struct p2o_val **out)
{
	struct p2o_value *x = p2o_arg_tensor(c, a, "input");
	return x ? filled(c, p2o_arg(a, "size"), v, dtype_of(a, x->dtype), out) : -1;
}

static int call_new_zeros(struct p2o_ctx *c, struct p2o_module *m, const struct p2o_args *a,
			  struct p2o_val **out)
{
	(void)m;
	return like(c, a, &(struct p2o_val){.kind = V_INT, .u.i = 0}, out);
}

static int call_new_ones(struct p2o_ctx *c, struct p2o_module *m, const struct p2o_args *a,
			 struct p2o_val **out)
{
	(void)m;
	return like(c, a, &(struct p2o_val){.kind = V_INT, .u.i = 1}, out);
}

static int call_new_full(struct p2o_ctx *c, struct p2o_module *m, const struct p2o_args *a,
			 struct p2o_val **out)
{
	(void)m;
	return like(c, a, p2o_arg(a, "fill_value"), out);
}

#define REST "dtype=None, layout=None, device=None, requires_grad=False"
const struct p2o_converter p2o_cv_zeros = {"zeros", 0, "*size, out=None, " REST, NULL, NULL,
					   call_zeros};
const struct p2o_converter p2o_cv_ones = {"ones", 0, "*size, out=None, " REST, NULL, NULL,
					  call_ones};
const struct p2o_converter p2o_cv_full = {"full", 0, "size, fill_value, out=None, " REST,
					  NULL, NULL, call_full};
const struct p2o_converter p2o_cv_new_zeros = {"new_zeros", 0, "input, *size, " REST, NULL,
					       NULL, call_new_zeros};
const struct p2o_converter p2o_cv_new_ones = {"new_ones", 0, "input, *size, " REST, NULL,
					      NULL, call_new_ones};
const struct p2o_converter p2o_cv_new_full = {"new_full", 0, "input, size, fill_value, " REST,
					      NULL, NULL, call_new_full};
