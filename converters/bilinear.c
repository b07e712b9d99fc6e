/*
 * bilinear.c — Bilinear: y[..., o] = sum_ij x1[..., i] A[o, i, j] x2[..., j]
 * + b[o], without Einsum:
 *   A' = Reshape(Transpose(A, [1, 0, 2]), [in1, out * in2])
 *   t  = Reshape(MatMul(x1, A'), [..., out, in2])
 *   y  = Squeeze(MatMul(t, Unsqueeze(x2, -1)), -1) (+ b)
 * Weights: weight [out, in1, in2], bias [out] unless bias=False; the
 * feature counts may be left out (the weight says them).
 */
#include "emit.h"

static int bind(struct p2o_bind *b, struct p2o_module *m)
{
	struct p2o_args a = p2o_module_args(m);
	int64_t shape[3] = {-1, -1, -1}, with_bias = 1;
	const struct p2o_tensor *w;

	p2o_val_int(p2o_arg(&a, "out_features"), &shape[0]);
	p2o_val_int(p2o_arg(&a, "in1_features"), &shape[1]);
	p2o_val_int(p2o_arg(&a, "in2_features"), &shape[2]);
	p2o_val_int(p2o_arg(&a, "bias"), &with_bias);
	if ((w = p2o_bind_param(b, m, "weight", 0, 3, shape))) {
		shape[0] = w->shape[0];
		if (p2o_bind_set_arg(b, m, "out_features", w->shape[0]) ||
		    p2o_bind_set_arg(b, m, "in1_features", w->shape[1]) ||
		    p2o_bind_set_arg(b, m, "in2_features", w->shape[2]))
			return -1;
	}
	if (with_bias)
		p2o_bind_param(b, m, "bias", 0, 1, &shape[0]);
	return 0;
}

static int check_input(struct p2o_ctx *c, const struct p2o_value *x, const char *what,
		       int64_t features)
{
	if (x->rank < 1)
		return p2o_fail(c, "Bilinear %s must have a feature dimension", what);
	if (x->dims[x->rank - 1].v >= 0 && x->dims[x->rank - 1].v != features)
		return p2o_fail(c, "Bilinear expects %lld features in %s, got %lld",
				(long long)features, what, (long long)x->dims[x->rank - 1].v);
	return 0;
}

static int call(struct p2o_ctx *c, struct p2o_module *m, const struct p2o_args *in,
		struct p2o_val **out)
{
	struct p2o_value *x1 = p2o_arg_tensor(c, in, "input1");
	struct p2o_value *x2 = x1 ? p2o_arg_tensor(c, in, "input2") : NULL;
	const struct p2o_tensor *w = p2o_module_weight(m, "weight");
	int64_t no = w->shape[0], n1 = w->shape[1], n2 = w->shape[2];
	int64_t perm[3] = {1, 0, 2}, flat[2] = {n1, no * n2}, shape[P2O_MAX_RANK + 1];
	struct p2o_value *a, *t, *y;
	int r;

	if (!x2 || check_input(c, x1, "input1", n1) || check_input(c, x2, "input2", n2))
		return -1;
	if (x1->rank != x2->rank)
		return p2o_fail(c, "Bilinear inputs must have the same rank, got %d and %d",
				x1->rank, x2->rank);
	r = x1->rank;
	if (r + 1 > P2O_MAX_RANK)
		return p2o_fail(c, "Bilinear input has too many dimensions");
	for (int d = 0; d < r - 1; d++)
		shape[d] = 0; /* copy the leading dimensions */
	shape[r - 1] = no;
	shape[r] = n2;
	if (!(a = p2o_weight_value(c, m, "weight")) || !(a = p2o_emit_transpose(c, a, perm, 3)) ||
	    !(a = p2o_emit_reshape(c, a, flat, 2)) ||
	    !(t = p2o_emit_binary(c, "MatMul", x1, a)) ||
	    !(t = p2o_emit_reshape(c, t, shape, (size_t)r + 1)) ||
	    !(x2 = p2o_emit_unsqueeze(c, x2, (int64_t[]){r}, 1)) ||
	    !(y = p2o_emit_binary(c, "MatMul", t, x2)) ||
	    !(y = p2o_emit_squeeze(c, y, (int64_t[]){r}, 1)))
		return -1;
	if (p2o_module_weight(m, "bias") &&
	    (!(a = p2o_weight_value(c, m, "bias")) || !(y = p2o_emit_binary(c, "Add", y, a))))
		return -1;
	return p2o_result(c, y, out);
}

const struct p2o_converter p2o_cv_bilinear = {
	"Bilinear", P2O_CONV_LAYER,
	"in1_features=None, in2_features=None, out_features=None, bias=True, device=None, "
	"dtype=None",
	"input1, input2", bind, call};
