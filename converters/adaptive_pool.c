/*
 * adaptive_pool.c — AdaptiveAvgPool1d/2d/3d, AdaptiveMaxPool1d/2d/3d and
 * adaptive_avg_pool1d/2d/3d, adaptive_max_pool1d/2d/3d.
 * PyTorch's window i of n over a size-`in` axis is [floor(i*in/n),
 * ceil((i+1)*in/n)).  Output 1 everywhere -> GlobalAveragePool/MaxPool.
 * Otherwise each axis is one of: kept (None, or n == in), uniform (the
 * windows have one size k and start every s elements: 8 -> 4, 7 -> 3 with
 * k=3, s=2), irregular (10 -> 4: starts 0 2 5 7; 5 -> 3: sizes 2 3 2), or
 * of unknown size with n == 1.  All uniform axes go to one AveragePool/
 * MaxPool (kernel 1 on the others); then each irregular axis gets one
 * stride-1 pooling per window size (one or two), a Concat of them and a
 * Gather of the windows (pooling a box is separable per axis); unknown
 * axes with n == 1 are reduced.  Other sizes need a known input size.
 */
#include "emit.h"

#include <string.h>

enum { KEEP, UNIFORM, IRREGULAR, REDUCE };

static int64_t wstart(int64_t i, int64_t in, int64_t n) { return i * in / n; }
static int64_t wend(int64_t i, int64_t in, int64_t n) { return ((i + 1) * in + n - 1) / n; }

/* The kind of axis for in -> n; k and s for UNIFORM. */
static int classify(int64_t in, int64_t n, int64_t *k, int64_t *s)
{
	if (n < 0 || n == in)
		return KEEP;
	if (in < 0)
		return n == 1 ? REDUCE : -1;
	*k = wend(0, in, n);
	*s = n > 1 ? wstart(1, in, n) : 1;
	for (int64_t i = 0; i < n; i++)
		if (wend(i, in, n) - wstart(i, in, n) != *k || wstart(i, in, n) != i * *s)
			return IRREGULAR;
	return UNIFORM;
}

/* One pooling node of kernel k[] and stride s[] (no padding). */
static struct p2o_value *pool(struct p2o_ctx *c, struct p2o_value *x, int is_max, int sp,
			      const int64_t *k, const int64_t *s)
{
	int64_t pads[6] = {0};
	struct p2o_node *n = p2o_emit(c, is_max ? "MaxPool" : "AveragePool", &x, 1, 1);

	if (!n || p2o_attr_ints(c->g, n, "kernel_shape", k, (size_t)sp) ||
	    p2o_attr_ints(c->g, n, "strides", s, (size_t)sp) ||
	    p2o_attr_ints(c->g, n, "pads", pads, 2 * (size_t)sp))
		return c->err->code ? NULL : (p2o_fail(c, "out of memory"), NULL);
	return p2o_finish(c, n, NULL) ? NULL : n->outputs[0];
}

/* Windows of a few sizes at irregular starts along axis d: a stride-1
 * pooling per window size, concatenated, then Gather of each window. */
static struct p2o_value *irregular(struct p2o_ctx *c, struct p2o_value *x, int d, int sp,
				   int64_t n, int is_max)
{
	int64_t in = x->dims[2 + d].v, ks[8], off[8], k[3] = {1, 1, 1}, one[3] = {1, 1, 1};
	int64_t idx[256], total = 0;
	struct p2o_value *parts[8], *cat, *ins[2];
	size_t nk = 0;
	struct p2o_node *g;

	if (n > (int64_t)P2O_ARRAY_LEN(idx))
		return p2o_fail(c, "adaptive pooling to %lld: at most %zu outputs per axis are "
				"supported when the windows are not uniform", (long long)n,
				P2O_ARRAY_LEN(idx)), NULL;
	for (int64_t i = 0; i < n; i++) {
		int64_t size = wend(i, in, n) - wstart(i, in, n);
		size_t j = 0;
		while (j < nk && ks[j] != size)
			j++;
		if (j == nk) {
			if (nk == P2O_ARRAY_LEN(ks))
				return p2o_fail(c, "adaptive pooling: too many window sizes"), NULL;
			k[d] = ks[nk] = size;
			off[nk] = total;
			total += in - size + 1;
			if (!(parts[nk++] = pool(c, x, is_max, sp, k, one)))
				return NULL;
		}
		idx[i] = off[j] + wstart(i, in, n);
	}
	if (!(cat = nk > 1 ? p2o_emit_concat(c, parts, nk, 2 + d) : parts[0]))
		return NULL;
	ins[0] = cat;
	if (!(ins[1] = p2o_emit_ints(c, "windows", idx, (size_t)n)) ||
	    !(g = p2o_emit(c, "Gather", ins, 2, 1)) || p2o_attr_int(c->g, g, "axis", 2 + d))
		return c->err->code ? NULL : (p2o_fail(c, "out of memory"), NULL);
	return p2o_finish(c, g, NULL) ? NULL : g->outputs[0];
}

static int call(struct p2o_ctx *c, struct p2o_module *m, const struct p2o_args *fa,
		struct p2o_val **out)
{
	struct p2o_args a = m ? p2o_module_args(m) : *fa;
	const char *type = m ? m->type : strrchr(c->name, '.') ? strrchr(c->name, '.') + 1 : c->name;
	int is_max = strstr(type, "max") || strstr(type, "Max");
	int want = type[strlen(type) - 2] - '0'; /* "adaptive_max_pool2d" */
	struct p2o_value *x = p2o_arg_tensor(c, fa, "input");
	struct p2o_val *os = p2o_arg(&a, "output_size");
	int64_t size[3], k[3], s[3], raxes[3], ri = 0;
	int sp, kind[3], global = 1, any_uniform = 0, nred = 0;
	const char *reduce = is_max ? "ReduceMax" : "ReduceMean";

	if (!x)
		return -1;
	sp = x->rank - 2;
	if (want != sp)
		return p2o_fail(c, "%s expects a %d-D input [batch, channels, ...], got %d-D", type,
				want + 2, x->rank);
	if (is_max && (p2o_val_int(p2o_arg(&a, "return_indices"), &ri) || ri))
		return p2o_fail(c, "return_indices=True is not supported");
	for (int d = 0; d < sp; d++) {
		struct p2o_val *v = os->kind == V_TUPLE || os->kind == V_LIST ?
					    (os->u.seq.n == (size_t)sp ? os->u.seq.items[d] : NULL) : os;
		int64_t in = x->dims[2 + d].v;
		if (!v)
			return p2o_fail(c, "output_size must be an int or %d values", sp);
		if (v->kind == V_NONE)
			size[d] = -1; /* None keeps the input size */
		else if (p2o_val_int(v, &size[d]) || size[d] <= 0)
			return p2o_fail(c, "output_size must be positive ints or None");
		global &= size[d] == 1;
		if ((kind[d] = classify(in, size[d], &k[d], &s[d])) < 0)
			return p2o_fail(c, "adaptive pooling of dimension %d to %lld needs a known "
					"input size (it is dynamic)", 2 + d, (long long)size[d]);
		any_uniform |= kind[d] == UNIFORM;
		if (kind[d] != UNIFORM)
			k[d] = s[d] = 1;
		if (kind[d] == REDUCE)
			raxes[nred++] = 2 + d;
	}
	if (global)
		return p2o_unary(c, is_max ? "GlobalMaxPool" : "GlobalAveragePool", x, out);
	if (any_uniform && !(x = pool(c, x, is_max, sp, k, s)))
		return -1;
	for (int d = 0; d < sp; d++)
		if (kind[d] == IRREGULAR && !(x = irregular(c, x, d, sp, size[d], is_max)))
			return -1;
	if (nred && !(x = p2o_emit_reduce(c, reduce, x, raxes, (size_t)nred, 1)))
		return -1;
	return p2o_result(c, x, out);
}

#define L(name, sym, sig) \
	const struct p2o_converter p2o_cv_##sym = {name, P2O_CONV_LAYER, sig, NULL, NULL, call};
#define F(name, sig) \
	const struct p2o_converter p2o_cv_##name = {#name, 0, "input, " sig, NULL, NULL, call};
L("AdaptiveAvgPool1d", adaptive_avg_pool1d_layer, "output_size")
L("AdaptiveAvgPool2d", adaptive_avg_pool2d_layer, "output_size")
L("AdaptiveAvgPool3d", adaptive_avg_pool3d_layer, "output_size")
L("AdaptiveMaxPool1d", adaptive_max_pool1d_layer, "output_size, return_indices=False")
L("AdaptiveMaxPool2d", adaptive_max_pool2d_layer, "output_size, return_indices=False")
L("AdaptiveMaxPool3d", adaptive_max_pool3d_layer, "output_size, return_indices=False")
F(adaptive_avg_pool1d, "output_size")
F(adaptive_avg_pool2d, "output_size")
F(adaptive_avg_pool3d, "output_size")
F(adaptive_max_pool1d, "output_size, return_indices=False")
F(adaptive_max_pool2d, "output_size, return_indices=False")
F(adaptive_max_pool3d, "output_size, return_indices=False")
