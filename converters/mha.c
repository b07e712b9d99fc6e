/* mha.c — MultiheadAttention (as torch 1.13's multi_head_attention_forward
 * computes it).  Weights: in_proj_weight [3E, E] when kdim ==
 * vdim == E, else q_proj_weight [E, E], k_proj_weight [E, kdim],
 * v_proj_weight [E, vdim]; in_proj_bias [3E] and out_proj.bias [E] unless
 * bias=False; out_proj.weight [E, E]; bias_k, bias_v [1, 1, E] with
 * add_bias_kv.  forward(query, key, value, key_padding_mask=None,
 * need_weights=True, attn_mask=None, average_attn_weights=True) returns
 * (attn_output, attn_weights or None).  Heads as [N, H, L, head_dim]; a
 * bool mask marks masked positions (-inf), a float one is added;
 * attn_mask [L, S] or [N*H, L, S], key_padding_mask [N, S].  Batch and
 * lengths may be dynamic; unbatched [L, E] works.  Self-attention (query,
 * key, value one tensor) projects with one MatMul.  is_causal (torch 2's
 * hint that attn_mask is causal) is ignored. */
#include "attention.h"

#include <math.h>
#include <string.h>

struct hp {
	int64_t E, H, kdim, vdim, bias, bias_kv, zero_attn, batch_first;
};

static struct hp hparams(const struct p2o_module *m)
{
	struct p2o_args a = p2o_module_args(m);
	struct hp h = {-1, -1, -1, -1, 1, 0, 0, 0};

	const char *names[] = {"embed_dim", "num_heads", "bias", "add_bias_kv", "add_zero_attn",
			       "batch_first"};
	int64_t *dst[] = {&h.E, &h.H, &h.bias, &h.bias_kv, &h.zero_attn, &h.batch_first};

	for (int i = 0; i < 6; i++)
		p2o_val_int(p2o_arg(&a, names[i]), dst[i]);
	if (p2o_val_int(p2o_arg(&a, "kdim"), &h.kdim))
		h.kdim = h.E;
	if (p2o_val_int(p2o_arg(&a, "vdim"), &h.vdim))
		h.vdim = h.E;
	return h;
}

static int bind(struct p2o_bind *b, struct p2o_module *m)
{
	struct hp h = hparams(m);
	const struct p2o_tensor *ow = p2o_bind_param(b, m, "out_proj.weight", 0, 2,
						     (int64_t[]){h.E, h.E});
	int64_t E, s3[2];

	if (ow && h.E < 0) {
		if (p2o_bind_set_arg(b, m, "embed_dim", ow->shape[0]))
			return -1;
		h = hparams(m);
	}
	E = h.E;
	s3[0] = E < 0 ? -1 : 3 * E;
	s3[1] = E;
	if (h.H <= 0)
		return p2o_bind_problem(b, m, "%s needs num_heads, a positive int", m->call_text);
	if (E >= 0 && E % h.H)
		return p2o_bind_problem(b, m, "%s: embed_dim %lld is not divisible by num_heads %lld",
					m->call_text, (long long)E, (long long)h.H);
	if (h.kdim == E && h.vdim == E) {
		p2o_bind_param(b, m, "in_proj_weight", 0, 2, s3);
	} else {
		p2o_bind_param(b, m, "q_proj_weight", 0, 2, (int64_t[]){E, E});
		p2o_bind_param(b, m, "k_proj_weight", 0, 2, (int64_t[]){E, h.kdim});
		p2o_bind_param(b, m, "v_proj_weight", 0, 2, (int64_t[]){E, h.vdim});
	}
	if (h.bias) {
		p2o_bind_param(b, m, "in_proj_bias", 0, 1, s3);
		p2o_bind_param(b, m, "out_proj.bias", 0, 1, &E);
	}
	if (h.bias_kv) {
		p2o_bind_param(b, m, "bias_k", 0, 3, (int64_t[]){1, 1, E});
		p2o_bind_param(b, m, "bias_v", 0, 3, (int64_t[]){1, 1, E});
	}
	return 0;
}

/* x @ W[rows]^T + b[rows] (rows: the i-th third of a packed weight, or all) */
static struct p2o_value *project(struct p2o_ctx *c, struct p2o_module *m, struct p2o_value *x,
				 const char *w, const char *bias, int64_t part, int64_t len)
{
	struct p2o_value *W = p2o_weight_value(c, m, w), *B = NULL;
	int64_t lo = part * len, hi = lo + len, zero = 0;

	if (bias && !(B = p2o_weight_value(c, m, bias)))
		return NULL;
	if (W && part >= 0 && W->rank == 2 && W->dims[0].v != len)
		W = p2o_emit_slice(c, W, &lo, &hi, &zero, NULL, 1);
	if (B && part >= 0 && B->dims[0].v != len)
		B = p2o_emit_slice(c, B, &lo, &hi, &zero, NULL, 1);
	if (!W)
		return NULL;
	x = p2o_emit_binary(c, "MatMul", x, p2o_emit_transpose(c, W, (int64_t[]){1, 0}, 2));
	return B ? p2o_emit_binary(c, "Add", x, B) : x;
}

/* [N, H, 1, hd] (or [N, H, hd, 1] for keys transposed) from x's shape:
 * the bias (bias_k/bias_v as [1, H, 1, hd]) or zeros. */
static struct p2o_value *extra_key(struct p2o_ctx *c, struct p2o_module *m, struct p2o_value *x,
				   int axis, const char *bias, const struct hp *h)
{
	int64_t zero = 0, one = 1, ax = axis, hd = h->E / h->H;
	int64_t shape[4] = {1, h->H, axis == 2 ? 1 : hd, axis == 2 ? hd : 1};
	struct p2o_value *z = p2o_emit_binary_k(c, "Mul", p2o_emit_slice(c, x, &zero, &one, &ax,
									NULL, 1), 0.0);
	struct p2o_value *b = bias ? p2o_weight_value(c, m, bias) : NULL;

	if (!bias)
		return z;
	return b ? p2o_emit_binary(c, "Add", z, p2o_emit_reshape(c, b, shape, 4)) : NULL;
}

static int call(struct p2o_ctx *c, struct p2o_module *m, const struct p2o_args *a,
		struct p2o_val **out)
{
	struct hp h = hparams(m);
	struct p2o_value *q = p2o_arg_tensor(c, a, "query"), *k = p2o_arg_tensor(c, a, "key");
	struct p2o_value *v = p2o_arg_tensor(c, a, "value"), *mask, *w = NULL, *o, *x;
	int unbatched, self, need = 1, avg = 1, packed = p2o_module_weight(m, "in_proj_weight") != 0;
	int64_t hd = h.E / h.H, split[4] = {0, 0, h.H, hd}, qp[4], kp[4], op[4];
	struct p2o_val *res[2];
	const char *bk = h.bias ? "in_proj_bias" : NULL;

	if (!q || !k || !v || p2o_arg_bool(c, a, "need_weights", &need) ||
	    p2o_arg_bool(c, a, "average_attn_weights", &avg))
		return -1;
	unbatched = q->rank == 2;
	if ((q->rank != 3 && !unbatched) || k->rank != q->rank || v->rank != q->rank)
		return p2o_fail(c, "%s expects query, key and value of rank 3 ([L, batch, E], batch "
				"first with batch_first=True) or 2 (unbatched), got ranks %d, %d, %d",
				m->call_text, q->rank, k->rank, v->rank);
	int64_t want[3] = {h.E, h.kdim, h.vdim};
	struct p2o_value *qkv[3] = {q, k, v};
	for (int i = 0; i < 3; i++)
		if (qkv[i]->dims[qkv[i]->rank - 1].v >= 0 && qkv[i]->dims[qkv[i]->rank - 1].v != want[i])
			return p2o_fail(c, "%s expects %s with %lld features in the last dimension, "
					"got %lld", m->call_text, (const char *[]){"query", "key",
					"value"}[i], (long long)want[i],
					(long long)qkv[i]->dims[qkv[i]->rank - 1].v);
	if (!(mask = p2o_mha_mask(c, a, h.H, h.bias_kv + h.zero_attn, unbatched)) && c->err->code)
		return -1;
	self = q == k && k == v && packed;
	if (unbatched) /* as [L, 1, E] */
		for (int i = 0; i < 3; i++)
			if (!(qkv[i] = p2o_emit_unsqueeze(c, qkv[i], (int64_t[]){1}, 1)))
				return -1;
	if (self) {
		struct p2o_value *all = project(c, m, qkv[0], "in_proj_weight", bk, -1, 3 * h.E);
		if (!all || p2o_emit_split(c, all, 2, (int64_t[]){h.E, h.E, h.E}, 3, qkv))
			return -1;
	} else {
		for (int i = 0; i < 3; i++)
			if (!(qkv[i] = project(c, m, qkv[i], packed ? "in_proj_weight" :
					       (const char *[]){"q_proj_weight", "k_proj_weight",
					       "v_proj_weight"}[i], bk, i, h.E)))
				return -1;
	}
	/* [L, N, E] (or [N, L, E]) -> [L, N, H, hd] -> q, v [N, H, L, hd], k^T [N, H, hd, S] */
	int bf = h.batch_first && !unbatched;
	memcpy(qp, bf ? (int64_t[]){0, 2, 1, 3} : (int64_t[]){1, 2, 0, 3}, sizeof qp);
	memcpy(kp, bf ? (int64_t[]){0, 2, 3, 1} : (int64_t[]){1, 2, 3, 0}, sizeof kp);
	memcpy(op, bf ? (int64_t[]){0, 2, 1, 3} : (int64_t[]){2, 0, 1, 3}, sizeof op);
	q = p2o_emit_transpose(c, p2o_emit_reshape(c, qkv[0], split, 4), qp, 4);
	k = p2o_emit_transpose(c, p2o_emit_reshape(c, qkv[1], split, 4), kp, 4);
	v = p2o_emit_transpose(c, p2o_emit_reshape(c, qkv[2], split, 4), qp, 4);
	if (!q || !k || !v)
		return -1;
	for (int i = 0; i < 2; i++) /* bias_k/bias_v, then add_zero_attn's zeros */
		if ((i == 0 ? h.bias_kv : h.zero_attn) &&
		    (!(k = p2o_emit_concat(c, (struct p2o_value *[]){k, extra_key(c, m, k, 3,
				i ? NULL : "bias_k", &h)}, 2, 3)) ||
		     !(v = p2o_emit_concat(c, (struct p2o_value *[]){v, extra_key(c, m, v, 2,
				i ? NULL : "bias_v", &h)}, 2, 2))))
			return -1;
	if (!(o = p2o_attention(c, q, k, v, mask, 0, 1.0 / sqrt((double)hd), &w)))
		return -1;
	/* [N, H, L, hd] -> [L, N, H, hd] (or [N, L, H, hd]) -> [L, N, E] -> out_proj */
	x = p2o_emit_reshape(c, p2o_emit_transpose(c, o, op, 4), (int64_t[]){0, 0, -1}, 3);
	if (!(x = project(c, m, x, "out_proj.weight", h.bias ? "out_proj.bias" : NULL, -1, h.E)) ||
	    (unbatched && !(x = p2o_emit_squeeze(c, x, (int64_t[]){1}, 1))))
		return -1;
	if (need && avg)
		w = p2o_emit_reduce(c, "ReduceMean", w, (int64_t[]){1}, 1, 0);
	if (need && w && unbatched)
		w = p2o_emit_squeeze(c, w, (int64_t[]){0}, 1);
	if ((need && !w) || p2o_result(c, x, &res[0]) || (need && p2o_result(c, w, &res[1])))
		return -1;
	if (!need)
		res[1] = p2o_v_none();
	return p2o_result_tuple(c, res, 2, out);
}

const struct p2o_converter p2o_cv_multihead_attention = {
	"MultiheadAttention", P2O_CONV_LAYER,
	"embed_dim=None, num_heads=None, dropout=0.0, bias=True, add_bias_kv=False, "
	"add_zero_attn=False, kdim=None, vdim=None, batch_first=False, device=None, dtype=None",
	"query, key, value, key_padding_mask=None, need_weights=True, attn_mask=None, "
	"average_attn_weights=True, is_causal=False",
	bind, call};
