/*
 * tensor_type.c — type conversions and no-op tensor methods:
 * x.float() x.double() x.half() x.long() x.int() x.bool(), x.to(dtype |
 * tensor | device), x.type(dtype), x.type_as(y) -> Cast (or nothing when
 * the type is already right).  The graph computes in float32: double,
 * half and bfloat16 targets stay float32 (weights are converted to float32
 * too).  x.contiguous(), x.detach(), x.clone() pass x through.
 */
#include "fn_util.h"

static int cast_to(struct p2o_ctx *c, const struct p2o_args *a, enum p2o_dtype t,
		   struct p2o_val **out)
{
	struct p2o_value *x = p2o_arg_tensor(c, a, "input");

	if (!x || !(x = p2o_cast(c, x, t)))
		return -1;
	return p2o_result(c, x, out);
}

#define CAST(name, dt) \
	static int call_##name(struct p2o_ctx *c, struct p2o_module *m, const struct p2o_args *a, \
			       struct p2o_val **out) { (void)m; return cast_to(c, a, dt, out); } \
	const struct p2o_converter p2o_cv_##name = {#name, 0, "input, memory_format=None", NULL, NULL, call_##name};
CAST(float, P2O_DT_FLOAT32)
CAST(double, P2O_DT_FLOAT32)
CAST(half, P2O_DT_FLOAT32)
CAST(long, P2O_DT_INT64)
CAST(int, P2O_DT_INT32)
CAST(bool, P2O_DT_BOOL)

/* The type a `to`/`type` argument names, or P2O_DT_INVALID (a device). */
static int target(struct p2o_ctx *c, const struct p2o_val *v, enum p2o_dtype *t)
{
	if (v->kind == V_DTYPE)
		*t = v->u.dtype;
	else if (v->kind == V_TENSOR)
		*t = v->u.t->dtype;
	else if (v->kind != V_STR && v->kind != V_NONE && v->kind != V_BOOL)
		return p2o_fail(c, "to() takes a dtype, a tensor or a device, not %s",
				p2o_v_kind_name(v));
	return 0;
}

static int call_to(struct p2o_ctx *c, struct p2o_module *m, const struct p2o_args *a,
		   struct p2o_val **out)
{
	struct p2o_val *args = p2o_arg(a, "args");
	enum p2o_dtype t = P2O_DT_INVALID;

	(void)m;
	for (size_t i = 0; args && i < args->u.seq.n; i++)
		if (target(c, args->u.seq.items[i], &t))
			return -1;
	if (!p2o_arg_is_none(a, "dtype") && target(c, p2o_arg(a, "dtype"), &t))
		return -1;
	if (t == P2O_DT_INVALID) { /* a device only: nothing to do */
		struct p2o_value *x = p2o_arg_tensor(c, a, "input");
		return x ? p2o_result(c, x, out) : -1;
	}
	return cast_to(c, a, t, out);
}

static int call_type_as(struct p2o_ctx *c, struct p2o_module *m, const struct p2o_args *a,
			struct p2o_val **out)
{
	struct p2o_value *other = p2o_arg_tensor(c, a, "other");

	(void)m;
	return other ? cast_to(c, a, other->dtype, out) : -1;
}

static int call_type(struct p2o_ctx *c, struct p2o_module *m, const struct p2o_args *a,
		     struct p2o_val **out)
{
	enum p2o_dtype t = P2O_DT_INVALID;

	(void)m;
	if (p2o_arg_is_none(a, "dtype"))
		return p2o_fail(c, "x.type() without a dtype gives a string: not supported");
	if (target(c, p2o_arg(a, "dtype"), &t) || t == P2O_DT_INVALID)
		return c->err->code ? -1 : p2o_fail(c, "type() needs a dtype such as torch.float32");
	return cast_to(c, a, t, out);
}

static int call_same(struct p2o_ctx *c, struct p2o_module *m, const struct p2o_args *a,
		     struct p2o_val **out)
{
	struct p2o_value *x = p2o_arg_tensor(c, a, "input");

	(void)m;
	return x ? p2o_result(c, x, out) : -1;
}

const struct p2o_converter p2o_cv_to = {"to", 0, "input, *args, dtype=None, non_blocking=False, copy=False, device=None, memory_format=None", NULL, NULL, call_to};
const struct p2o_converter p2o_cv_type = {"type", 0, "input, dtype=None, non_blocking=False", NULL, NULL, call_type};
const struct p2o_converter p2o_cv_type_as = {"type_as", 0, "input, other", NULL, NULL, call_type_as};
const struct p2o_converter p2o_cv_contiguous = {"contiguous", 0, "input, memory_format=None", NULL, NULL, call_same};
const struct p2o_converter p2o_cv_detach = {"detach", 0, "input", NULL, NULL, call_same};
const struct p2o_converter p2o_cv_clone = {"clone", 0, "input, memory_format=None", NULL, NULL, call_same};
