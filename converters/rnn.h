/* rnn.h — shared by rnn.c (RNN, LSTM, GRU) and rnn_weights.c. */
#ifndef P2O_RNN_H
#define P2O_RNN_H

#include "emit.h"

struct p2o_rnn_kind {
	const char *op, *reorder;
	int gates, perm[4]; /* ONNX gate j is PyTorch gate perm[j] */
};
extern const struct p2o_rnn_kind P2O_RNN, P2O_LSTM, P2O_GRU;
const struct p2o_rnn_kind *p2o_rnn_kind(const struct p2o_module *m);

/* Hyper-parameters (after binding, input_size and hidden_size are known). */
struct p2o_rnn_hp {
	int64_t in, hidden, layers, bias, batch_first, dirs;
};
struct p2o_rnn_hp p2o_rnn_hparams(const struct p2o_module *m);

int p2o_rnn_bind(struct p2o_bind *b, struct p2o_module *m);
/* Layer l's W (what = "weight_ih"), R ("weight_hh") or B ("bias"): a lazy
 * initializer, made once per graph. */
struct p2o_value *p2o_rnn_weights(struct p2o_ctx *c, const struct p2o_module *m,
				  const struct p2o_rnn_hp *h, int64_t l, const char *what);

#endif
