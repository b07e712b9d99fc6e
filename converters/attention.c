/*
 * attention.c — the attention core (attention.h) and
 * scaled_dot_product_attention(query, key, value, attn_mask=None,
 * dropout_p=0.0, is_causal=False, scale=None) (torch 2.x's F. function):
 * softmax(q @ k^T * scale + mask) @ v with scale 1/sqrt(E) by default.
 * As in PyTorch, a bool attn_mask marks the positions that take part
 * (False -> -inf), a float mask is added, is_causal masks keys after the
 * query's position (with attn_mask too: an error, as in PyTorch).
 * dropout_p acts only in training (ignored).  Any number of leading
 * dimensions; L and S may be dynamic.
 */
#include "attention.h"

#include <math.h>
#include <string.h>

static struct p2o_value *op2(struct p2o_ctx *c, const char *op, struct p2o_value *a,
			     struct p2o_value *b)
{
	return p2o_emit_binary(c, op, a, b);
}

struct p2o_value *p2o_attn_additive_mask(struct p2o_ctx *c, struct p2o_value *m,
					 int masked_when_true, const char *what)
{
	struct p2o_value *ninf, *zero;
	struct p2o_node *n;

	if (m->dtype == P2O_DT_FLOAT32)
		return m;
	if (m->dtype != P2O_DT_BOOL && m->dtype != P2O_DT_UINT8)
		return p2o_fail(c, "%s must be a bool or float tensor, got %s", what,
				p2o_dtype_info(m->dtype)->name), NULL;
	if (m->dtype == P2O_DT_UINT8) {
		if (!(n = p2o_emit(c, "Cast", &m, 1, 1)) || p2o_attr_int(c->g, n, "to", 9) ||
		    p2o_finish(c, n, NULL))
			return NULL;
		m = n->outputs[0];
	}
	if (!(ninf = p2o_emit_scalar(c, "neg_inf", P2O_DT_FLOAT32, -INFINITY)) ||
	    !(zero = p2o_emit_scalar(c, "zero", P2O_DT_FLOAT32, 0)))
		return NULL;
	struct p2o_value *ins[3] = {m, masked_when_true ? ninf : zero, masked_when_true ? zero : ninf};
	if (!(n = p2o_emit(c, "Where", ins, 3, 1)) || p2o_finish(c, n, NULL))
		return NULL;
	return n->outputs[0];
}

/* -inf where the key comes after the query: a constant when L and S are
 * known, else computed from the scores' shape (CumSum of ones: row and
 * column numbers). */
static struct p2o_value *causal(struct p2o_ctx *c, struct p2o_value *s)
{
	int64_t L = s->dims[s->rank - 2].v, S = s->dims[s->rank - 1].v;
	struct p2o_value *ones, *row, *col, *ninf;
	struct p2o_node *n;

	if (L >= 0 && S >= 0 && L * S <= (1 << 22)) {
		float *m = p2o_alloc_array(&c->g->arena, (size_t)(L * S) + 1, sizeof *m);
		if (!m)
			return p2o_fail(c, "out of memory"), NULL;
		for (int64_t i = 0; i < L; i++)
			for (int64_t j = 0; j < S; j++)
				m[i * S + j] = j > i ? -INFINITY : 0.0f;
		struct p2o_value *k = p2o_graph_const(c->g, p2o_sprintf(&c->g->arena, "%s.causal",
						       c->name), P2O_DT_FLOAT32, 2, (int64_t[]){L, S}, m);
		return k ? op2(c, "Add", s, k) : (p2o_fail(c, "out of memory"), NULL);
	}
	if (!(n = p2o_emit(c, "Equal", (struct p2o_value *[]){s, s}, 2, 1)) || p2o_finish(c, n, NULL) ||
	    !(n = p2o_emit(c, "Cast", n->outputs, 1, 1)) || p2o_attr_int(c->g, n, "to", 1) ||
	    p2o_finish(c, n, NULL))
		return NULL;
	ones = n->outputs[0];
	row = op2(c, "CumSum", ones, p2o_emit_scalar(c, "row_axis", P2O_DT_INT64, s->rank - 2));
	col = op2(c, "CumSum", ones, p2o_emit_scalar(c, "col_axis", P2O_DT_INT64, s->rank - 1));
	ninf = p2o_emit_scalar(c, "neg_inf", P2O_DT_FLOAT32, -INFINITY);
	if (!row || !col || !ninf ||
	    !(n = p2o_emit(c, "Where", (struct p2o_value *[]){op2(c, "Greater", col, row), ninf, s},
			   3, 1)) || p2o_finish(c, n, NULL))
		return NULL;
	return n->outputs[0];
}

struct p2o_value *p2o_attention(struct p2o_ctx *c, struct p2o_value *q, struct p2o_value *kt,
				struct p2o_value *v, struct p2o_value *mask, int is_causal,
				double scale, struct p2o_value **weights)
{
	struct p2o_value *s;
	struct p2o_node *n;

	s = op2(c, "MatMul", p2o_emit_binary_k(c, "Mul", q, scale), kt);
	if (s && mask)
		s = op2(c, "Add", s, mask);
	if (s && is_causal)
		s = causal(c, s);
	if (!s || !(n = p2o_emit(c, "Softmax", &s, 1, 1)) ||
	    p2o_attr_int(c->g, n, "axis", s->rank - 1) || p2o_finish(c, n, NULL))
		return c->err->code ? NULL : (p2o_fail(c, "out of memory"), NULL);
	if (weights)
		*weights = n->outputs[0];
	return op2(c, "MatMul", n->outputs[0], v);
}

struct p2o_value *p2o_mha_mask(struct p2o_ctx *c, const struct p2o_args *a, int64_t H,
			       int64_t npad, int unbatched)
{
	struct p2o_value *am = NULL, *kpm = NULL;
	int64_t pads[8] = {0};

	if (!p2o_arg_is_none(a, "attn_mask")) {
		if (!(am = p2o_arg_tensor(c, a, "attn_mask")))
			return NULL;
		if (am->rank != 2 && am->rank != 3)
			return p2o_fail(c, "attn_mask must be 2-D [L, S] or 3-D [batch * num_heads, "
					"L, S], got %d-D", am->rank), NULL;
		am = p2o_attn_additive_mask(c, am, 1, "attn_mask");
		pads[2 * am->rank - 1] = npad;
		if (am && npad)
			am = p2o_emit_pad(c, am, pads, "constant", 0);
		if (am && am->rank == 3) /* [N*H, L, S] -> [N*H, 1, L, S] -> [N, H, L, S] */
			am = p2o_emit_reshape(c, p2o_emit_unsqueeze(c, am, (int64_t[]){1}, 1),
					      (int64_t[]){-1, H, 0, 0}, 4);
		if (!am)
			return NULL;
	}
	if (!p2o_arg_is_none(a, "key_padding_mask")) {
		if (!(kpm = p2o_arg_tensor(c, a, "key_padding_mask")))
			return NULL;
		if (kpm->rank != 2 - unbatched)
			return p2o_fail(c, "key_padding_mask must be %s, got %d-D", unbatched ?
					"1-D [S] for unbatched inputs" : "2-D [batch, S]", kpm->rank), NULL;
		if (unbatched && !(kpm = p2o_emit_unsqueeze(c, kpm, (int64_t[]){0}, 1)))
			return NULL;
		memset(pads, 0, sizeof pads);
		pads[3] = npad;
		kpm = p2o_attn_additive_mask(c, kpm, 1, "key_padding_mask");
		if (kpm && npad)
			kpm = p2o_emit_pad(c, kpm, pads, "constant", 0);
		kpm = kpm ? p2o_emit_unsqueeze(c, kpm, (int64_t[]){1, 2}, 2) : NULL; /* [N, 1, 1, S] */
		if (!kpm)
			return NULL;
	}
	return am && kpm ? p2o_emit_binary(c, "Add", am, kpm) : am ? am : kpm;
}

static int call_sdpa(struct p2o_ctx *c, struct p2o_module *m, const struct p2o_args *a,
		     struct p2o_val **out)
{
	struct p2o_value *q = p2o_arg_tensor(c, a, "query"), *k = p2o_arg_tensor(c, a, "key");
	struct p2o_value *v = p2o_arg_tensor(c, a, "value"), *mask = NULL, *kt;
	int is_causal = 0;
	double scale;
	int64_t perm[P2O_MAX_RANK];

	(void)m;
	if (!q || !k || !v || p2o_arg_bool(c, a, "is_causal", &is_causal))
		return -1;
	if (q->rank < 2 || k->rank != q->rank || v->rank != q->rank)
		return p2o_fail(c, "scaled_dot_product_attention expects query, key and value of one "
				"rank >= 2 ([..., L, E], [..., S, E], [..., S, Ev]), got ranks %d, %d, %d",
				q->rank, k->rank, v->rank);
	if (!p2o_arg_is_none(a, "scale")) {
		if (p2o_arg_float(c, a, "scale", &scale))
			return -1;
	} else if (q->dims[q->rank - 1].v > 0) {
		scale = 1.0 / sqrt((double)q->dims[q->rank - 1].v);
	} else {
		return p2o_fail(c, "scaled_dot_product_attention needs the query's last dimension "
				"known (or scale=)");
	}
	if (!p2o_arg_is_none(a, "attn_mask")) {
		if (is_causal)
			return p2o_fail(c, "scaled_dot_product_attention: attn_mask and is_causal=True "
					"together are not allowed (as in PyTorch)");
		if (!(mask = p2o_arg_tensor(c, a, "attn_mask")) ||
		    !(mask = p2o_attn_additive_mask(c, mask, 0, "attn_mask")))
			return -1;
	}
	for (int d = 0; d < k->rank; d++)
		perm[d] = d;
	perm[k->rank - 2] = k->rank - 1;
	perm[k->rank - 1] = k->rank - 2;
	if (!(kt = p2o_emit_transpose(c, k, perm, (size_t)k->rank)))
		return -1;
	if (!(q = p2o_attention(c, q, kt, v, mask, is_causal, scale, NULL)))
		return -1;
	return p2o_result(c, q, out);
}

const struct p2o_converter p2o_cv_scaled_dot_product_attention = {
	"scaled_dot_product_attention", 0,
	"query, key, value, attn_mask=None, dropout_p=0.0, is_causal=False, scale=None",
	NULL, NULL, call_sdpa};
