/*
 * cat.c — joining and splitting: cat / concat / concatenate -> Concat;
 * stack -> Unsqueeze each + Concat; split(tensor, size or sections, dim),
 * chunk(chunks, dim), unbind(dim) -> Split (+ Squeeze for unbind), which
 * return tuples.  Splitting needs the size of the split dimension.
 */
#include "fn_util.h"

/* The tensors of a list argument, cast to one type. */
static int tensors(struct p2o_ctx *c, const struct p2o_args *a, struct p2o_value ***xs,
		   size_t *n)
{
	struct p2o_val *v = p2o_arg(a, "tensors");
	enum p2o_dtype t = P2O_DT_INVALID;

	if (!v || (v->kind != V_TUPLE && v->kind != V_LIST) || !v->u.seq.n)
		return p2o_fail(c, "a non-empty list or tuple of tensors is expected");
	*n = v->u.seq.n;
	if (!(*xs = p2o_alloc_array(&c->g->arena, *n, sizeof **xs)))
		return p2o_fail(c, "out of memory");
	for (size_t i = 0; i < *n; i++) {
		struct p2o_val *x = v->u.seq.items[i];
		if (x->kind != V_TENSOR)
			return p2o_fail(c, "item %zu is %s, not a tensor", i, p2o_v_kind_name(x));
		if (!i || x->u.t->dtype == t)
			t = x->u.t->dtype;
		else
			t = p2o_is_float_dt(t) || p2o_is_float_dt(x->u.t->dtype) ? P2O_DT_FLOAT32
										  : P2O_DT_INT64;
	}
	for (size_t i = 0; i < *n; i++)
		if (!((*xs)[i] = p2o_cast(c, v->u.seq.items[i]->u.t, t)))
			return -1;
	return 0;
}

static int join(struct p2o_ctx *c, const struct p2o_args *a, int stack, struct p2o_val **out)
{
	struct p2o_value **xs = NULL;
	struct p2o_node *node;
	int64_t dim, axis;
	size_t n = 0;

	if (tensors(c, a, &xs, &n) || p2o_arg_int(c, a, "dim", &dim) ||
	    p2o_axis(c, dim, xs[0]->rank + stack, &axis))
		return -1;
	for (size_t i = 0; stack && i < n; i++)
		if (!(xs[i] = p2o_emit_unsqueeze(c, xs[i], &axis, 1)))
			return -1;
	if (n == 1)
		return p2o_result(c, xs[0], out);
	if (!(node = p2o_emit(c, "Concat", xs, n, 1)) || p2o_attr_int(c->g, node, "axis", axis))
		return c->err->code ? -1 : p2o_fail(c, "out of memory");
	return p2o_finish(c, node, out);
}

static int call_cat(struct p2o_ctx *c, struct p2o_module *m, const struct p2o_args *a,
		    struct p2o_val **out)
{
	(void)m;
	return join(c, a, 0, out);
}

static int call_stack(struct p2o_ctx *c, struct p2o_module *m, const struct p2o_args *a,
		      struct p2o_val **out)
{
	(void)m;
	return join(c, a, 1, out);
}

/* Split x along dim into parts of the given sizes; squeeze for unbind. */
static int parts(struct p2o_ctx *c, struct p2o_value *x, int64_t axis, const int64_t *sizes,
		 size_t n, int squeeze, struct p2o_val **out)
{
	struct p2o_value **outs = p2o_alloc_array(&c->g->arena, n, sizeof *outs);

	if (!outs)
		return p2o_fail(c, "out of memory");
	if (n == 1)
		outs[0] = x;
	else if (p2o_emit_split(c, x, axis, sizes, n, outs))
		return -1;
	for (size_t i = 0; squeeze && i < n; i++)
		if (!(outs[i] = p2o_emit_squeeze(c, outs[i], &axis, 1)))
			return -1;
	return p2o_tuple_result(c, outs, n, out);
}

static int split_common(struct p2o_ctx *c, const struct p2o_args *a, const char *how,
			struct p2o_val **out)
{
	struct p2o_value *x = p2o_arg_tensor(c, a, "input");
	struct p2o_val *s = p2o_arg(a, how);
	int64_t dim, axis, len, k, sizes[4096];
	size_t n = 0;

	if (!x || p2o_arg_int(c, a, "dim", &dim) || p2o_axis(c, dim, x->rank, &axis) ||
	    p2o_known_dim(c, x, axis, "splitting", &len))
		return -1;
	if (len > (int64_t)P2O_ARRAY_LEN(sizes))
		return p2o_fail(c, "cannot split a dimension of more than %zu", P2O_ARRAY_LEN(sizes));
	if (how[0] == 'd') { /* unbind */
		for (; (int64_t)n < len; n++)
			sizes[n] = 1;
		return parts(c, x, axis, sizes, n, 1, out);
	}
	if (s->kind == V_LIST || s->kind == V_TUPLE) { /* sections */
		int64_t total = 0;
		if (s->u.seq.n > P2O_ARRAY_LEN(sizes) || !s->u.seq.n)
			return p2o_fail(c, "split takes 1 to %zu sections", P2O_ARRAY_LEN(sizes));
		for (; n < s->u.seq.n; n++) {
			if (p2o_val_int(s->u.seq.items[n], &sizes[n]) || sizes[n] < 0)
				return p2o_fail(c, "split sizes must be non-negative ints");
			total += sizes[n];
		}
		if (total != len)
			return p2o_fail(c, "split sizes add up to %lld, but the dimension has %lld",
					(long long)total, (long long)len);
		return parts(c, x, axis, sizes, n, 0, out);
	}
	if (p2o_arg_int(c, a, how, &k))
		return -1;
	if (k <= 0)
		return p2o_fail(c, "%s must be positive", how);
	if (how[0] == 'c') /* chunk: parts of ceil(len / chunks) */
		k = (len + k - 1) / k;
	for (int64_t at = 0; at < len; at += k)
		sizes[n++] = at + k <= len ? k : len - at;
	if (!n)
		return p2o_fail(c, "cannot split an empty dimension");
	return parts(c, x, axis, sizes, n, 0, out);
}

static int call_split(struct p2o_ctx *c, struct p2o_module *m, const struct p2o_args *a,
		      struct p2o_val **out)
{
	(void)m;
	return split_common(c, a, "split_size_or_sections", out);
}

static int call_chunk(struct p2o_ctx *c, struct p2o_module *m, const struct p2o_args *a,
		      struct p2o_val **out)
{
	(void)m;
	return split_common(c, a, "chunks", out);
}

static int call_unbind(struct p2o_ctx *c, struct p2o_module *m, const struct p2o_args *a,
		       struct p2o_val **out)
{
	(void)m;
	return split_common(c, a, "dim", out);
}

const struct p2o_converter p2o_cv_cat = {"cat", 0, "tensors, dim=0", NULL, NULL, call_cat};
const struct p2o_converter p2o_cv_concat = {"concat", 0, "tensors, dim=0", NULL, NULL, call_cat};
const struct p2o_converter p2o_cv_concatenate = {"concatenate", 0, "tensors, dim=0", NULL, NULL, call_cat};
const struct p2o_converter p2o_cv_stack = {"stack", 0, "tensors, dim=0", NULL, NULL, call_stack};
const struct p2o_converter p2o_cv_split = {"split", 0, "input, split_size_or_sections, dim=0", NULL, NULL, call_split};
const struct p2o_converter p2o_cv_chunk = {"chunk", 0, "input, chunks, dim=0", NULL, NULL, call_chunk};
const struct p2o_converter p2o_cv_unbind = {"unbind", 0, "input, dim=0", NULL, NULL, call_unbind};
