/*
 * rnn.c — RNN (tanh, relu), LSTM, GRU -> ONNX RNN, LSTM, GRU: one node per
 * layer; a layer's Y [seq, dirs, batch, H] becomes [seq, batch, dirs*H] for
 * the next.  W [dirs, G*H, in], R [dirs, G*H, H] and B [dirs, 2*G*H] are
 * produced when the file is written from weight_ih_l{k}{_reverse},
 * weight_hh_l{k}.., bias_ih_l{k}.., bias_hh_l{k}..: gates reordered (LSTM
 * i,f,g,o -> ONNX i,o,f,c; GRU r,z,n -> z,r,h), directions stacked, B =
 * [Wb, Rb].  GRU: linear_before_reset=1 (PyTorch applies the reset gate
 * after the hidden matmul).  batch_first is a Transpose (layout stays 0,
 * which TensorRT wants).  forward(input, hx=None), hx = (h0, c0) for LSTM;
 * returns (output, h_n), or (output, (h_n, c_n)) for LSTM.  Unbatched
 * input [seq, input] works too.  dropout acts only in training.  proj_size
 * is not supported (ONNX LSTM has no projection).
 */
#include "rnn.h"

static struct p2o_value *concat0(struct p2o_ctx *c, struct p2o_value **v, int64_t n)
{
	struct p2o_node *node;

	if (n == 1)
		return v[0];
	if (!(node = p2o_emit(c, "Concat", v, (size_t)n, 1)))
		return NULL;
	if (p2o_attr_int(c->g, node, "axis", 0))
		return p2o_fail(c, "out of memory"), NULL;
	return p2o_finish(c, node, NULL) ? NULL : node->outputs[0];
}

/* A state h0/c0: [layers*dirs, batch, hidden] ([layers*dirs, hidden] unbatched). */
static struct p2o_value *state(struct p2o_ctx *c, struct p2o_val *v, const struct p2o_rnn_hp *h,
			       int rank, const char *what)
{
	struct p2o_value *t = v && v->kind == V_TENSOR ? v->u.t : NULL;

	if (!t || t->rank != rank || (t->dims[0].v >= 0 && t->dims[0].v != h->layers * h->dirs) ||
	    (t->dims[rank - 1].v >= 0 && t->dims[rank - 1].v != h->hidden))
		return p2o_fail(c, "%s must be a %d-D tensor [%lld, %s%lld]", what, rank,
				(long long)(h->layers * h->dirs), rank == 3 ? "batch, " : "",
				(long long)h->hidden), NULL;
	return rank == 2 ? p2o_emit_unsqueeze(c, t, (int64_t[]){1}, 1) : t;
}

/* Layer l's directions of a state [layers*dirs, batch, hidden]. */
static struct p2o_value *layer_state(struct p2o_ctx *c, struct p2o_value *s,
				     const struct p2o_rnn_hp *h, int64_t l)
{
	int64_t lo = l * h->dirs, hi = lo + h->dirs, zero = 0;

	return h->layers == 1 ? s : p2o_emit_slice(c, s, &lo, &hi, &zero, NULL, 1);
}

static int call(struct p2o_ctx *c, struct p2o_module *m, const struct p2o_args *in,
		struct p2o_val **out)
{
	const struct p2o_rnn_kind *k = p2o_rnn_kind(m);
	struct p2o_args a = p2o_module_args(m);
	struct p2o_rnn_hp h = p2o_rnn_hparams(m);
	struct p2o_value *x = p2o_arg_tensor(c, in, "input"), *h0 = NULL, *c0 = NULL;
	struct p2o_value **hn = p2o_alloc_array(&c->g->arena, 2 * (size_t)h.layers, sizeof *hn);
	struct p2o_value **cn = hn + h.layers, *y, *res[3];
	struct p2o_val *hx = p2o_arg(in, "hx"), *v[4];
	int unbatched, nres = k == &P2O_LSTM ? 3 : 2;

	if (!x || !hn)
		return x ? p2o_fail(c, "out of memory") : -1;
	unbatched = x->rank == 2;
	if ((x->rank != 3 && !unbatched) || x->dtype != P2O_DT_FLOAT32 ||
	    (x->dims[x->rank - 1].v >= 0 && x->dims[x->rank - 1].v != h.in))
		return p2o_fail(c, "%s expects a float input [seq, batch, %lld] (batch first with "
				"batch_first=True) or [seq, %lld]", m->call_text, (long long)h.in,
				(long long)h.in);
	if (hx && hx->kind != V_NONE && k == &P2O_LSTM) {
		if ((hx->kind != V_TUPLE && hx->kind != V_LIST) || hx->u.seq.n != 2)
			return p2o_fail(c, "LSTM's hx must be a tuple (h0, c0)");
		if (!(h0 = state(c, hx->u.seq.items[0], &h, x->rank, "h0")) ||
		    !(c0 = state(c, hx->u.seq.items[1], &h, x->rank, "c0")))
			return -1;
	} else if (hx && hx->kind != V_NONE && !(h0 = state(c, hx, &h, x->rank, "hx"))) {
		return -1;
	}
	if (unbatched || h.batch_first)
		x = unbatched ? p2o_emit_unsqueeze(c, x, (int64_t[]){1}, 1)
			      : p2o_emit_transpose(c, x, (int64_t[]){1, 0, 2}, 3);
	for (int64_t l = 0; x && l < h.layers; l++) {
		struct p2o_value *ins[7] = {x};
		struct p2o_node *n;
		/* W, R, B in this order, then the layer's slices of h0 and c0 */
		if (!(ins[1] = p2o_rnn_weights(c, m, &h, l, "weight_ih")) ||
		    !(ins[2] = p2o_rnn_weights(c, m, &h, l, "weight_hh")) ||
		    (h.bias && !(ins[3] = p2o_rnn_weights(c, m, &h, l, "bias"))) ||
		    (h0 && !(ins[5] = layer_state(c, h0, &h, l))) ||
		    (c0 && !(ins[6] = layer_state(c, c0, &h, l))) ||
		    !(n = p2o_emit(c, k->op, ins, c0 ? 7 : h0 ? 6 : h.bias ? 4 : 3, (size_t)nres)))
			return -1;
		if (p2o_attr_int(c->g, n, "hidden_size", h.hidden) ||
		    (h.dirs == 2 && p2o_attr_string(c->g, n, "direction", "bidirectional")) ||
		    (k == &P2O_GRU && p2o_attr_int(c->g, n, "linear_before_reset", 1)) ||
		    (k == &P2O_RNN && p2o_is_str_val(p2o_arg(&a, "nonlinearity"), "relu") &&
		     p2o_attr_strings(c->g, n, "activations", (const char *[]){"Relu", "Relu"},
				      (size_t)h.dirs)))
			return p2o_fail(c, "out of memory");
		if (p2o_finish(c, n, NULL))
			return -1;
		hn[l] = n->outputs[1];
		cn[l] = nres == 3 ? n->outputs[2] : NULL;
		/* [seq, dirs, batch, H] -> [seq, batch, dirs * H] */
		y = n->outputs[0];
		x = h.dirs == 1 ? p2o_emit_squeeze(c, y, (int64_t[]){1}, 1)
				: p2o_emit_transpose(c, y, (int64_t[]){0, 2, 1, 3}, 4);
		if (x && h.dirs == 2)
			x = p2o_emit_reshape(c, x, (int64_t[]){0, 0, -1}, 3);
	}
	if (x && unbatched)
		x = p2o_emit_squeeze(c, x, (int64_t[]){1}, 1);
	else if (x && h.batch_first)
		x = p2o_emit_transpose(c, x, (int64_t[]){1, 0, 2}, 3);
	if (!(res[0] = x) || !(res[1] = concat0(c, hn, h.layers)) ||
	    (nres == 3 && !(res[2] = concat0(c, cn, h.layers))))
		return -1;
	for (int i = 1; unbatched && i < nres; i++)
		if (!(res[i] = p2o_emit_squeeze(c, res[i], (int64_t[]){1}, 1)))
			return -1;
	/* (output, h_n) or (output, (h_n, c_n)) */
	for (int i = 0; i < nres; i++)
		if (p2o_result(c, res[i], &v[i]))
			return -1;
	if (nres == 3 && p2o_result_tuple(c, v + 1, 2, &v[3]))
		return -1;
	return p2o_result_tuple(c, (struct p2o_val *[]){v[0], nres == 3 ? v[3] : v[1]}, 2, out);
}

#define SIG "input_size=None, hidden_size=None, num_layers=1, bias=True, batch_first=False, " \
	    "dropout=0.0, bidirectional=False"
const struct p2o_converter p2o_cv_gru = {"GRU", P2O_CONV_LAYER, SIG ", device=None, dtype=None",
					 "input, hx=None", p2o_rnn_bind, call};
const struct p2o_converter p2o_cv_lstm = {"LSTM", P2O_CONV_LAYER,
					  SIG ", proj_size=0, device=None, dtype=None",
					  "input, hx=None", p2o_rnn_bind, call};
const struct p2o_converter p2o_cv_rnn = {"RNN", P2O_CONV_LAYER,
					 SIG ", nonlinearity='tanh', device=None, dtype=None",
					 "input, hx=None", p2o_rnn_bind, call};
