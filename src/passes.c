/*
 * passes.c — graph simplification after the front end:
 *   - Conv followed by BatchNormalization becomes one Conv whose weight and
 *     bias are the folded values, produced when written (one at a time);
 *   - Identity nodes disappear (except where they name a graph output);
 *   - nodes whose outputs nobody uses are removed, and so are initializers
 *     no live node reads (the writer skips values with no uses).
 */
#include "graph.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Read a constant as float32 values (out holds numel floats). */
static int const_f32(const struct p2o_value *v, float *out, struct p2o_err *err)
{
	size_t n = p2o_value_numel(v);
	const void *data = p2o_const_data(v);

	if (!v->konst)
		return p2o_errf(err, P2O_EINTERNAL, v->name, "not a constant");
	if (v->konst->kind == P2O_CONST_LAZY) {
		if (v->dtype != P2O_DT_FLOAT32)
			return p2o_errf(err, P2O_EINTERNAL, v->name, "lazy constant is not float32");
		return v->konst->produce(v->konst, out, err);
	}
	if (data && v->dtype == P2O_DT_FLOAT32) {
		memcpy(out, data, n * sizeof *out);
		return 0;
	}
	if (v->konst->kind == P2O_CONST_TENSOR) {
		for (size_t i = 0; i < n; i++)
			out[i] = (float)p2o_tensor_get_f64(v->konst->tensor, (int64_t)i);
		return 0;
	}
	return p2o_errf(err, P2O_EINTERNAL, v->name, "constant of type %s is not a float",
			p2o_dtype_info(v->dtype)->name);
}

struct bn_fold {
	const struct p2o_value *w, *b;           /* conv weight, bias (or NULL) */
	const struct p2o_value *gamma, *beta, *mean, *var;
	float eps;
	int64_t channels;
};

/* scale[c] = gamma / sqrt(var + eps), shift[c] = beta - mean * scale */
static int bn_vectors(const struct bn_fold *f, float *scale, float *shift, struct p2o_err *err)
{
	size_t c = (size_t)f->channels;
	float *mean = malloc(c * sizeof *mean), *var = malloc(c * sizeof *var);
	int rc = -1;

	if (!mean || !var) {
		p2o_errf(err, P2O_ENOMEM, "batch-norm folding", "out of memory");
		goto out;
	}
	if (const_f32(f->gamma, scale, err) || const_f32(f->beta, shift, err) ||
	    const_f32(f->mean, mean, err) || const_f32(f->var, var, err))
		goto out;
	for (size_t i = 0; i < c; i++) {
		/* in double, then rounded once, as PyTorch's fusion does */
		double s = (double)scale[i] / sqrt((double)var[i] + (double)f->eps);
		scale[i] = (float)s;
		shift[i] = (float)((double)shift[i] - (double)mean[i] * s);
	}
	rc = 0;
out:
	free(mean);
	free(var);
	return rc;
}

static int produce_weight(const struct p2o_const *k, void *out, struct p2o_err *err)
{
	const struct bn_fold *f = k->ctx;
	size_t c = (size_t)f->channels, per = p2o_value_numel(f->w) / c;
	float *w = out, *scale = malloc(c * sizeof *scale), *shift = malloc(c * sizeof *shift);
	int rc = -1;

	if (!scale || !shift)
		p2o_errf(err, P2O_ENOMEM, "batch-norm folding", "out of memory");
	else if (!const_f32(f->w, w, err) && !bn_vectors(f, scale, shift, err)) {
		for (size_t i = 0; i < c; i++)
			for (size_t j = 0; j < per; j++)
				w[i * per + j] *= scale[i];
		rc = 0;
	}
	free(scale);
	free(shift);
	return rc;
}

static int produce_bias(const struct p2o_const *k, void *out, struct p2o_err *err)
{
	const struct bn_fold *f = k->ctx;
	size_t c = (size_t)f->channels;
	float *b = out, *scale = malloc(c * sizeof *scale), *shift = malloc(c * sizeof *shift);
	int rc = -1;

	if (!scale || !shift)
		p2o_errf(err, P2O_ENOMEM, "batch-norm folding", "out of memory");
	else if ((!f->b || !const_f32(f->b, b, err)) && !bn_vectors(f, scale, shift, err)) {
		for (size_t i = 0; i < c; i++)
			b[i] = (f->b ? b[i] : 0.0f) * scale[i] + shift[i];
		rc = 0;
	}
	free(scale);
	free(shift);
	return rc;
}

static int is_const_f(const struct p2o_value *v)
{
	return v && v->konst && v->rank >= 0 && p2o_value_numel(v) > 0;
}

/* Conv -> BatchNormalization, where the Conv output feeds only the BN. */
static int fold_bn(struct p2o_graph *g, struct p2o_node *bn, struct p2o_err *err)
{
	struct p2o_value *x = bn->inputs[0];
	struct p2o_node *conv = x->producer;
	const struct p2o_attr *eps = p2o_node_attr(bn, "epsilon");
	struct bn_fold *f;
	struct p2o_value *w, *b;

	if (!conv || conv->dead || strcmp(conv->op, "Conv") || x->nuses != 1 ||
	    (x->flags & P2O_VAL_OUTPUT) || !is_const_f(conv->inputs[1]) ||
	    conv->inputs[1]->dtype != P2O_DT_FLOAT32 ||
	    (conv->nin > 2 && conv->inputs[2] && !is_const_f(conv->inputs[2])))
		return 0;
	for (int i = 1; i < 5; i++)
		if (!is_const_f(bn->inputs[i]) || bn->inputs[i]->rank != 1)
			return 0;
	if (!(f = p2o_alloc(&g->arena, sizeof *f)))
		return p2o_errf(err, P2O_ENOMEM, "", "out of memory");
	f->w = conv->inputs[1];
	f->b = conv->nin > 2 ? conv->inputs[2] : NULL;
	f->gamma = bn->inputs[1];
	f->beta = bn->inputs[2];
	f->mean = bn->inputs[3];
	f->var = bn->inputs[4];
	f->eps = eps ? eps->f : 1e-5f;
	f->channels = f->w->dims[0].v;
	if (f->mean->dims[0].v != f->channels)
		return 0;
	int64_t shape[P2O_MAX_RANK];
	for (int d = 0; d < f->w->rank; d++)
		shape[d] = f->w->dims[d].v;
	w = p2o_graph_lazy(g, p2o_sprintf(&g->arena, "%s.folded", f->w->name), P2O_DT_FLOAT32,
			   f->w->rank, shape, produce_weight, f);
	b = p2o_graph_lazy(g, p2o_sprintf(&g->arena, "%s.folded_bias", bn->name), P2O_DT_FLOAT32,
			   1, &f->channels, produce_bias, f);
	if (!w || !b)
		return p2o_errf(err, P2O_ENOMEM, "", "out of memory");
	w->doc = p2o_sprintf(&g->arena, "%s with batch norm %s folded in", f->w->name, bn->name);
	b->doc = p2o_sprintf(&g->arena, "bias of %s with batch norm %s folded in", conv->name, bn->name);
	/* the Conv now computes the BN's output */
	struct p2o_value **ins = p2o_alloc_array(&g->arena, 3, sizeof *ins);
	if (!ins)
		return p2o_errf(err, P2O_ENOMEM, "", "out of memory");
	ins[0] = conv->inputs[0];
	ins[1] = w;
	ins[2] = b;
	conv->inputs = ins;
	conv->nin = 3;
	bn->dead = 1;
	p2o_graph_replace_uses(g, bn->outputs[0], x);
	p2o_graph_count_uses(g);
	return 0;
}

static void drop_identities(struct p2o_graph *g)
{
	for (size_t i = 0; i < g->nnodes; i++) {
		struct p2o_node *n = g->nodes[i];
		if (n->dead || strcmp(n->op, "Identity") || (n->outputs[0]->flags & P2O_VAL_OUTPUT) ||
		    (n->inputs[0]->flags & P2O_VAL_INPUT && n->outputs[0]->flags & P2O_VAL_OUTPUT))
			continue;
		p2o_graph_replace_uses(g, n->outputs[0], n->inputs[0]);
		n->dead = 1;
	}
}

static void drop_dead(struct p2o_graph *g)
{
	p2o_graph_count_uses(g);
	for (size_t i = g->nnodes; i-- > 0;) {
		struct p2o_node *n = g->nodes[i];
		size_t used = 0;
		if (n->dead)
			continue;
		for (size_t k = 0; k < n->nout; k++)
			used += n->outputs[k]->nuses;
		if (used)
			continue;
		n->dead = 1;
		for (size_t k = 0; k < n->nin; k++)
			if (n->inputs[k])
				n->inputs[k]->nuses--;
	}
}

int p2o_optimize(struct p2o_graph *g, struct p2o_err *err)
{
	p2o_graph_count_uses(g);
	for (size_t i = 0; i < g->nnodes; i++)
		if (!g->nodes[i]->dead && !strcmp(g->nodes[i]->op, "BatchNormalization") &&
		    fold_bn(g, g->nodes[i], err))
			return -1;
	drop_identities(g);
	drop_dead(g);
	return 0;
}
