/*
 * embedding_bag.c — EmbeddingBag (layer) and embedding_bag (F.embedding_bag):
 * Gather of the weight's rows, reduced per bag by mode 'sum', 'mean' or
 * 'max'.  Bags: the rows of a 2-D input [bags, L] (ReduceSum/ReduceMean/
 * ReduceMax over L), or a 1-D input [N] cut by offsets [bags] (a [bags, N]
 * membership mask; sum and mean are a MatMul with it, max a ReduceMax over
 * [bags, N, dim]).  include_last_offset, per_sample_weights (mode 'sum')
 * and padding_idx (padding entries are left out of their bag; an empty bag
 * gives zeros, as in PyTorch) are supported; max_norm is not.
 */
#include "emit.h"

#include <math.h>

static int bind(struct p2o_bind *b, struct p2o_module *m)
{
	struct p2o_args a = p2o_module_args(m);
	int64_t shape[2] = {-1, -1};
	const struct p2o_tensor *w;
	struct p2o_val *mode = p2o_arg(&a, "mode");

	if (!p2o_arg_is_none(&a, "max_norm"))
		return p2o_bind_problem(b, m, "max_norm is not supported (it renormalises the "
					"weight's rows at every lookup)");
	if (!p2o_is_str_val(mode, "sum") && !p2o_is_str_val(mode, "mean") &&
	    !p2o_is_str_val(mode, "max"))
		return p2o_bind_problem(b, m, "mode must be 'sum', 'mean' or 'max'");
	p2o_val_int(p2o_arg(&a, "num_embeddings"), &shape[0]);
	p2o_val_int(p2o_arg(&a, "embedding_dim"), &shape[1]);
	if ((w = p2o_bind_param(b, m, "weight", 0, 2, shape)) &&
	    (p2o_bind_set_arg(b, m, "num_embeddings", w->shape[0]) ||
	     p2o_bind_set_arg(b, m, "embedding_dim", w->shape[1])))
		return -1;
	return 0;
}

/* op(ins) with an optional int attribute; NULL when an input is NULL (an
 * earlier step failed and set the error) or on failure. */
static struct p2o_value *node(struct p2o_ctx *c, const char *op, size_t n,
			      struct p2o_value *const *ins, const char *attr, int64_t v)
{
	struct p2o_node *nd;

	for (size_t i = 0; i < n; i++)
		if (!ins[i])
			return NULL;
	if (!(nd = p2o_emit(c, op, ins, n, 1)) || (attr && p2o_attr_int(c->g, nd, attr, v)))
		return c->err->code ? NULL : (p2o_fail(c, "out of memory"), NULL);
	return p2o_finish(c, nd, NULL) ? NULL : nd->outputs[0];
}
#define OP1(op, a) node(c, op, 1, (struct p2o_value *[]){a}, NULL, 0)
#define OP2(op, a, b) node(c, op, 2, (struct p2o_value *[]){a, b}, NULL, 0)
#define CAST(a, to) node(c, "Cast", 1, (struct p2o_value *[]){a}, "to", to) /* 1 float, 7 int64 */

/* [bags, N]: element i is in bag b when offsets[b] <= i < the bag's end. */
static struct p2o_value *members(struct p2o_ctx *c, struct p2o_value *x, struct p2o_value *offs,
				 int last)
{
	int64_t zero = 0, one = 1, minus = -1, big = INT64_MAX, axis1 = 1;
	struct p2o_value *pos, *starts = offs, *ends;

	/* pos = 1..N, a CumSum of ones: i is in [start, end) when start < pos <= end */
	pos = node(c, "CumSum", 2, (struct p2o_value *[]){CAST(OP2("Equal", x, x), 7),
			p2o_emit_scalar(c, "axis", P2O_DT_INT64, 0)}, NULL, 0);
	if (!pos || !(ends = p2o_emit_slice(c, offs, &one, &big, &zero, NULL, 1)))
		return NULL;
	if (last)
		starts = p2o_emit_slice(c, offs, &zero, &minus, &zero, NULL, 1);
	else
		ends = node(c, "Concat", 2, (struct p2o_value *[]){ends, OP1("Shape", x)}, "axis", 0);
	if (!starts || !ends || !(starts = p2o_emit_unsqueeze(c, starts, &axis1, 1)) ||
	    !(ends = p2o_emit_unsqueeze(c, ends, &axis1, 1)))
		return NULL;
	return OP2("And", OP2("Less", starts, pos), OP1("Not", OP2("Less", ends, pos)));
}

static int bag(struct p2o_ctx *c, const char *what, struct p2o_value *w, const struct p2o_args *a,
	       struct p2o_val *mode, int has_pad, int64_t pad, int last, struct p2o_val **out)
{
	struct p2o_value *x = p2o_arg_tensor(c, a, "input"), *offs = NULL, *psw = NULL;
	struct p2o_value *e, *mask = NULL, *cnt = NULL, *r;
	int64_t axis1 = 1, axis2 = 2;
	int max = p2o_is_str_val(mode, "max"), mean = p2o_is_str_val(mode, "mean");
	const char *op = max ? "ReduceMax" : mean ? "ReduceMean" : "ReduceSum";

	if (!x)
		return -1;
	if (!max && !mean && !p2o_is_str_val(mode, "sum"))
		return p2o_fail(c, "%s: mode must be 'sum', 'mean' or 'max'", what);
	if (x->dtype != P2O_DT_INT64 && x->dtype != P2O_DT_INT32)
		return p2o_fail(c, "%s expects integer indices, got %s", what,
				p2o_dtype_info(x->dtype)->name);
	if ((!p2o_arg_is_none(a, "offsets") && !(offs = p2o_arg_tensor(c, a, "offsets"))) ||
	    (!p2o_arg_is_none(a, "per_sample_weights") &&
	     !(psw = p2o_arg_tensor(c, a, "per_sample_weights"))))
		return -1;
	if (psw && (max || mean))
		return p2o_fail(c, "%s: per_sample_weights needs mode='sum'", what);
	if (x->rank == 2 ? offs != NULL : x->rank != 1 || !offs || offs->rank != 1)
		return p2o_fail(c, "%s expects a 2-D input [bags, L] without offsets, or a 1-D "
				"input with 1-D offsets", what);
	if (pad < 0)
		pad += w->dims[0].v;
	if (!(e = node(c, "Gather", 2, (struct p2o_value *[]){w, x}, "axis", 0)))
		return -1;
	if (x->rank == 2 && !has_pad && !psw) /* every bag is a full row */
		return (r = p2o_emit_reduce(c, op, e, &axis1, 1, 0)) ? p2o_result(c, r, out) : -1;
	if (offs && offs->dtype != P2O_DT_INT64 && !(offs = CAST(offs, 7)))
		return -1;
	if (offs && !(mask = members(c, x, offs, last)))
		return -1;
	if (has_pad) {
		struct p2o_value *keep = OP1("Not", OP2("Equal", x, p2o_emit_scalar(c, "padding_idx",
									x->dtype, (double)pad)));
		if (!(mask = mask ? OP2("And", mask, keep) : keep))
			return -1;
	}
	/* mask: [bags, L] or [bags, N]; cnt: entries in each bag [bags, 1] */
	if (mask && (!(cnt = CAST(mask, 1)) ||
		     !(cnt = p2o_emit_reduce(c, "ReduceSum", cnt, &axis1, 1, 1))))
		return -1;
	if (max) { /* the largest of the members; 0 for an empty bag */
		struct p2o_value *m3 = p2o_emit_unsqueeze(c, mask, &axis2, 1);
		struct p2o_value *ninf = p2o_emit_scalar(c, "neg_inf", P2O_DT_FLOAT32, -INFINITY);
		if (!m3 || !ninf || !(r = node(c, "Where", 3, (struct p2o_value *[]){m3, e, ninf},
					       NULL, 0)) ||
		    !(r = p2o_emit_reduce(c, op, r, &axis1, 1, 0)))
			return -1;
		struct p2o_value *zero = p2o_emit_scalar(c, "zero", P2O_DT_FLOAT32, 0);
		r = node(c, "Where", 3, (struct p2o_value *[]){OP2("Greater", cnt, zero), r, zero},
			 NULL, 0);
		return r ? p2o_result(c, r, out) : -1;
	}
	/* sum and mean: members weighted by 1 (or per_sample_weights), 0 elsewhere */
	struct p2o_value *wt = mask ? CAST(mask, 1) : psw;
	if (mask && psw)
		wt = OP2("Mul", wt, psw);
	if (!wt)
		return -1;
	if (x->rank == 1)
		r = OP2("MatMul", wt, e);
	else if ((wt = p2o_emit_unsqueeze(c, wt, &axis2, 1)) && (r = OP2("Mul", e, wt)))
		r = p2o_emit_reduce(c, "ReduceSum", r, &axis1, 1, 0);
	else
		return -1;
	if (r && mean)
		r = OP2("Div", r, OP2("Max", cnt, p2o_emit_scalar(c, "one", P2O_DT_FLOAT32, 1)));
	return r ? p2o_result(c, r, out) : -1;
}

static int call_layer(struct p2o_ctx *c, struct p2o_module *m, const struct p2o_args *a,
		      struct p2o_val **out)
{
	struct p2o_args k = p2o_module_args(m);
	struct p2o_value *w = p2o_weight_value(c, m, "weight");
	int64_t pad = 0;
	int last = 0;

	if (!w || p2o_arg_bool(c, &k, "include_last_offset", &last) ||
	    (!p2o_arg_is_none(&k, "padding_idx") && p2o_arg_int(c, &k, "padding_idx", &pad)))
		return -1;
	return bag(c, m->call_text, w, a, p2o_arg(&k, "mode"), !p2o_arg_is_none(&k, "padding_idx"),
		   pad, last, out);
}

static int call_func(struct p2o_ctx *c, struct p2o_module *m, const struct p2o_args *a,
		     struct p2o_val **out)
{
	struct p2o_value *w = p2o_arg_tensor(c, a, "weight");
	int64_t pad = 0;
	int last = 0;

	(void)m;
	if (!w || p2o_arg_bool(c, a, "include_last_offset", &last) ||
	    (!p2o_arg_is_none(a, "padding_idx") && p2o_arg_int(c, a, "padding_idx", &pad)))
		return -1;
	if (!p2o_arg_is_none(a, "max_norm"))
		return p2o_fail(c, "embedding_bag: max_norm is not supported");
	if (w->rank != 2 || w->dims[0].v < 0)
		return p2o_fail(c, "embedding_bag expects a 2-D weight [num_embeddings, dim]");
	return bag(c, "embedding_bag", w, a, p2o_arg(a, "mode"), !p2o_arg_is_none(a, "padding_idx"),
		   pad, last, out);
}

const struct p2o_converter p2o_cv_embedding_bag_layer = {
	"EmbeddingBag", P2O_CONV_LAYER,
	"num_embeddings=None, embedding_dim=None, max_norm=None, norm_type=2.0, "
	"scale_grad_by_freq=False, mode='mean', sparse=False, _weight=None, "
	"include_last_offset=False, padding_idx=None, device=None, dtype=None",
	"input, offsets=None, per_sample_weights=None", bind, call_layer};
const struct p2o_converter p2o_cv_embedding_bag = {
	"embedding_bag", 0,
	"input, weight, offsets=None, max_norm=None, norm_type=2, scale_grad_by_freq=False, "
	"mode='mean', sparse=False, per_sample_weights=None, include_last_offset=False, "
	"padding_idx=None",
	NULL, NULL, call_func};
