/*
 * embedding.c — Embedding (layer) and embedding (F.embedding) -> Gather of
 * the weight's rows.  Weight: weight [num_embeddings, embedding_dim] (both
 * may be left out: the weight says them).  The input holds integer
 * indices (declare it e.g. `tokens: int64[batch_size, seq_len]`).
 * padding_idx, scale_grad_by_freq and sparse only matter in training (the
 * padding row is whatever the weight holds).  max_norm is not supported: it
 * renormalises the rows it looks up, in the weight itself, at every call.
 */
#include "converter.h"

static int bind(struct p2o_bind *b, struct p2o_module *m)
{
	struct p2o_args a = p2o_module_args(m);
	int64_t shape[2] = {-1, -1}, pad;
	const struct p2o_tensor *w;

	if (!p2o_arg_is_none(&a, "max_norm"))
		return p2o_bind_problem(b, m, "max_norm is not supported (it renormalises the "
					"weight's rows at every lookup)");
	p2o_val_int(p2o_arg(&a, "num_embeddings"), &shape[0]);
	p2o_val_int(p2o_arg(&a, "embedding_dim"), &shape[1]);
	if (!(w = p2o_bind_param(b, m, "weight", 0, 2, shape)))
		return 0;
	if (p2o_bind_set_arg(b, m, "num_embeddings", w->shape[0]) ||
	    p2o_bind_set_arg(b, m, "embedding_dim", w->shape[1]))
		return -1;
	if (!p2o_arg_is_none(&a, "padding_idx") &&
	    (p2o_val_int(p2o_arg(&a, "padding_idx"), &pad) || pad < -w->shape[0] ||
	     pad >= w->shape[0]))
		return p2o_bind_problem(b, m, "padding_idx must be an int in [-%lld, %lld)",
					(long long)w->shape[0], (long long)w->shape[0]);
	return 0;
}

static int lookup(struct p2o_ctx *c, const char *what, struct p2o_value *w, struct p2o_value *x,
		  struct p2o_val **out)
{
	struct p2o_node *n;

	if (x->dtype != P2O_DT_INT64 && x->dtype != P2O_DT_INT32)
		return p2o_fail(c, "%s expects integer indices (declare the input e.g. "
				"int64[batch_size, seq_len]), got %s", what,
				p2o_dtype_info(x->dtype)->name);
	if (w->rank != 2)
		return p2o_fail(c, "%s expects a 2-D weight [num_embeddings, embedding_dim], got "
				"%d-D", what, w->rank);
	if (!(n = p2o_emit(c, "Gather", (struct p2o_value *[]){w, x}, 2, 1)) ||
	    p2o_attr_int(c->g, n, "axis", 0))
		return c->err->code ? -1 : p2o_fail(c, "out of memory");
	return p2o_finish(c, n, out);
}

static int call_layer(struct p2o_ctx *c, struct p2o_module *m, const struct p2o_args *a,
		      struct p2o_val **out)
{
	struct p2o_value *x = p2o_arg_tensor(c, a, "input"), *w;

	if (!x || !(w = p2o_weight_value(c, m, "weight")))
		return -1;
	return lookup(c, m->call_text, w, x, out);
}

static int call_func(struct p2o_ctx *c, struct p2o_module *m, const struct p2o_args *a,
		     struct p2o_val **out)
{
	struct p2o_value *x = p2o_arg_tensor(c, a, "input"), *w;

	(void)m;
	if (!x || !(w = p2o_arg_tensor(c, a, "weight")))
		return -1;
	if (!p2o_arg_is_none(a, "max_norm"))
		return p2o_fail(c, "embedding: max_norm is not supported (it renormalises the "
				"weight's rows at every lookup)");
	return lookup(c, "embedding", w, x, out);
}

const struct p2o_converter p2o_cv_embedding_layer = {
	"Embedding", P2O_CONV_LAYER,
	"num_embeddings=None, embedding_dim=None, padding_idx=None, max_norm=None, "
	"norm_type=2.0, scale_grad_by_freq=False, sparse=False, _weight=None, _freeze=False, "
	"device=None, dtype=None",
	NULL, bind, call_layer};
const struct p2o_converter p2o_cv_embedding = {
	"embedding", 0,
	"input, weight, padding_idx=None, max_norm=None, norm_type=2.0, "
	"scale_grad_by_freq=False, sparse=False",
	NULL, NULL, call_func};
