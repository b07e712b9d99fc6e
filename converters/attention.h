/*
 * attention.h — the attention core shared by MultiheadAttention (mha.c)
 * and scaled_dot_product_attention (attention.c).
 */
#ifndef P2O_ATTENTION_H
#define P2O_ATTENTION_H

#include "emit.h"

/* A mask as an additive float mask: float masks are kept; bool masks give
 * -inf where masked (masked_when_true: True masks, as in
 * MultiheadAttention; else False masks, as in scaled_dot_product_attention). */
struct p2o_value *p2o_attn_additive_mask(struct p2o_ctx *c, struct p2o_value *m,
					 int masked_when_true, const char *what);

/* softmax(q @ kt * scale + mask [+ causal]) @ v.  q [..., L, E], kt [..., E, S]
 * (k already transposed), v [..., S, Ev]; mask: additive, broadcastable to
 * [..., L, S], or NULL; causal: keys after the query's position are masked
 * (PyTorch's ones(L, S).tril()).  *weights (if not NULL) = the softmax. */
struct p2o_value *p2o_attention(struct p2o_ctx *c, struct p2o_value *q, struct p2o_value *kt,
				struct p2o_value *v, struct p2o_value *mask, int causal,
				double scale, struct p2o_value **weights);

/* MultiheadAttention's masks as one additive mask broadcastable to the
 * scores [N, H, L, S]: a's attn_mask ([L, S] or [N*H, L, S]) and
 * key_padding_mask ([N, S]; [S] when unbatched), bool ones True = masked,
 * each padded with npad zero columns (add_bias_kv, add_zero_attn).  NULL
 * without error (c->err->code 0) when there is no mask. */
struct p2o_value *p2o_mha_mask(struct p2o_ctx *c, const struct p2o_args *a, int64_t H,
			       int64_t npad, int unbatched);

#endif
