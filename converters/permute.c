/*
 * permute.c — reordering dimensions: x.permute(*dims), transpose(d0, d1)
 * (and its aliases swapaxes, swapdims), x.t() (2-D; 0-D and 1-D unchanged)
 * -> Transpose; movedim(source, destination) for single dims.
 */
#include "fn_util.h"

static int transpose(struct p2o_ctx *c, struct p2o_value *x, const int64_t *perm,
		     struct p2o_val **out)
{
	int identity = 1;

	for (int d = 0; d < x->rank; d++)
		identity &= perm[d] == d;
	if (identity)
		return p2o_result(c, x, out);
	if (!(x = p2o_emit_transpose(c, x, perm, (size_t)x->rank)))
		return -1;
	return p2o_result(c, x, out);
}

static int call_permute(struct p2o_ctx *c, struct p2o_module *m, const struct p2o_args *a,
			struct p2o_val **out)
{
	struct p2o_value *x = p2o_arg_tensor(c, a, "input");
	int64_t perm[P2O_MAX_RANK];
	struct p2o_val **items;
	size_t n;
	unsigned seen = 0;

	(void)m;
	if (!x)
		return -1;
	p2o_sizes_items(p2o_arg(a, "dims"), &items, &n);
	if (x->rank < 0 || n != (size_t)x->rank)
		return p2o_fail(c, "permute needs %d dimensions, %zu given", x->rank, n);
	for (size_t i = 0; i < n; i++) {
		int64_t d;
		if (p2o_val_int(items[i], &d))
			return p2o_fail(c, "permute takes ints");
		if (p2o_axis(c, d, x->rank, &perm[i]))
			return -1;
		if (seen & (1u << perm[i]))
			return p2o_fail(c, "dimension %lld repeats in permute", (long long)d);
		seen |= 1u << perm[i];
	}
	return transpose(c, x, perm, out);
}

static int call_transpose(struct p2o_ctx *c, struct p2o_module *m, const struct p2o_args *a,
			  struct p2o_val **out)
{
	struct p2o_value *x = p2o_arg_tensor(c, a, "input");
	int64_t perm[P2O_MAX_RANK], d0, d1, t;

	(void)m;
	if (!x || p2o_arg_int(c, a, "dim0", &d0) || p2o_arg_int(c, a, "dim1", &d1) ||
	    p2o_axis(c, d0, x->rank, &d0) || p2o_axis(c, d1, x->rank, &d1))
		return -1;
	for (int d = 0; d < x->rank; d++)
		perm[d] = d;
	t = perm[d0], perm[d0] = perm[d1], perm[d1] = t;
	return transpose(c, x, perm, out);
}

static int call_t(struct p2o_ctx *c, struct p2o_module *m, const struct p2o_args *a,
		  struct p2o_val **out)
{
	struct p2o_value *x = p2o_arg_tensor(c, a, "input");
	static const int64_t perm[] = {1, 0};

	(void)m;
	if (!x)
		return -1;
	if (x->rank < 0 || x->rank > 2)
		return p2o_fail(c, "t() expects a tensor of at most 2 dimensions");
	return x->rank < 2 ? p2o_result(c, x, out) : transpose(c, x, perm, out);
}

static int call_movedim(struct p2o_ctx *c, struct p2o_module *m, const struct p2o_args *a,
			struct p2o_val **out)
{
	struct p2o_value *x = p2o_arg_tensor(c, a, "input");
	int64_t perm[P2O_MAX_RANK], src, dst;
	int k = 0;

	(void)m;
	if (!x || p2o_arg_int(c, a, "source", &src) || p2o_arg_int(c, a, "destination", &dst) ||
	    p2o_axis(c, src, x->rank, &src) || p2o_axis(c, dst, x->rank, &dst))
		return -1;
	for (int d = 0; d < x->rank; d++) {
		if (d == dst)
			continue;
		if (k == src)
			k++;
		perm[d] = k++;
	}
	perm[dst] = src;
	return transpose(c, x, perm, out);
}

const struct p2o_converter p2o_cv_permute = {"permute", 0, "input, *dims", NULL, NULL, call_permute};
const struct p2o_converter p2o_cv_transpose = {"transpose", 0, "input, dim0, dim1", NULL, NULL, call_transpose};
const struct p2o_converter p2o_cv_swapaxes = {"swapaxes", 0, "input, dim0, dim1", NULL, NULL, call_transpose};
const struct p2o_converter p2o_cv_swapdims = {"swapdims", 0, "input, dim0, dim1", NULL, NULL, call_transpose};
const struct p2o_converter p2o_cv_t = {"t", 0, "input", NULL, NULL, call_t};
const struct p2o_converter p2o_cv_movedim = {"movedim", 0, "input, source, destination", NULL, NULL, call_movedim};
