/*
 * rnn_weights.c — the weights of RNN, LSTM and GRU (converters/rnn.c):
 * binding weight_ih_l{k}{_reverse}, weight_hh_l{k}.., bias_ih_l{k}..,
 * bias_hh_l{k}.., and the ONNX W, R, B initializers made from them when the
 * file is written (gates reordered, directions stacked, B = [Wb, Rb]).
 */
#include "rnn.h"

#include <stdio.h>
#include <string.h>

const struct p2o_rnn_kind P2O_RNN = {"RNN", "", 1, {0}};
const struct p2o_rnn_kind P2O_LSTM = {"LSTM", "; gates i,f,g,o reordered to i,o,f,c", 4,
				      {0, 3, 1, 2}};
const struct p2o_rnn_kind P2O_GRU = {"GRU", "; gates r,z,n reordered to z,r,h", 3, {1, 0, 2}};

const struct p2o_rnn_kind *p2o_rnn_kind(const struct p2o_module *m)
{
	return m->type[0] == 'L' ? &P2O_LSTM : m->type[0] == 'G' ? &P2O_GRU : &P2O_RNN;
}

struct p2o_rnn_hp p2o_rnn_hparams(const struct p2o_module *m)
{
	struct p2o_args a = p2o_module_args(m);
	struct p2o_rnn_hp h = {-1, -1, 1, 1, 0, 0};

	p2o_val_int(p2o_arg(&a, "input_size"), &h.in);
	p2o_val_int(p2o_arg(&a, "hidden_size"), &h.hidden);
	p2o_val_int(p2o_arg(&a, "num_layers"), &h.layers);
	p2o_val_int(p2o_arg(&a, "bias"), &h.bias);
	p2o_val_int(p2o_arg(&a, "batch_first"), &h.batch_first);
	p2o_val_int(p2o_arg(&a, "bidirectional"), &h.dirs);
	h.dirs = h.dirs ? 2 : 1;
	return h;
}

static const char *wname(char *buf, const char *what, int64_t layer, int dir)
{
	snprintf(buf, 64, "%s_l%lld%s", what, (long long)layer, dir ? "_reverse" : "");
	return buf;
}

int p2o_rnn_bind(struct p2o_bind *b, struct p2o_module *m)
{
	const struct p2o_rnn_kind *k = p2o_rnn_kind(m);
	struct p2o_args a = p2o_module_args(m);
	struct p2o_rnn_hp h = p2o_rnn_hparams(m);
	int64_t proj = 0;
	char name[64];

	p2o_val_int(p2o_arg(&a, "proj_size"), &proj);
	if (proj)
		return p2o_bind_problem(b, m, "proj_size=%lld is not supported (ONNX LSTM has no "
					"projection)", (long long)proj);
	if (h.layers < 1 || h.layers > 4096)
		return p2o_bind_problem(b, m, "num_layers must be between 1 and 4096, not %lld",
					(long long)h.layers);
	if (k == &P2O_RNN && !p2o_is_str_val(p2o_arg(&a, "nonlinearity"), "tanh") &&
	    !p2o_is_str_val(p2o_arg(&a, "nonlinearity"), "relu"))
		return p2o_bind_problem(b, m, "nonlinearity must be 'tanh' or 'relu'");
	for (int64_t l = 0; l < h.layers; l++)
		for (int d = 0; d < h.dirs; d++) {
			int64_t g = h.hidden >= 0 ? k->gates * h.hidden : -1;
			int64_t ih[2] = {g, l == 0 ? h.in : h.hidden >= 0 ? h.dirs * h.hidden : -1};
			const struct p2o_tensor *t =
				p2o_bind_param(b, m, wname(name, "weight_ih", l, d), 0, 2, ih);
			if (t && l == 0 && d == 0) {
				if (t->shape[0] % k->gates)
					return p2o_bind_problem(b, m, "weight_ih_l0 has %lld rows, not a "
								"multiple of %d gates",
								(long long)t->shape[0], k->gates);
				h.hidden = t->shape[0] / k->gates;
				h.in = t->shape[1];
				g = k->gates * h.hidden;
				if (p2o_bind_set_arg(b, m, "hidden_size", h.hidden) ||
				    p2o_bind_set_arg(b, m, "input_size", h.in))
					return -1;
			}
			p2o_bind_param(b, m, wname(name, "weight_hh", l, d), 0, 2,
				       (int64_t[]){g, h.hidden});
			if (h.bias) {
				p2o_bind_param(b, m, wname(name, "bias_ih", l, d), 0, 1, &g);
				p2o_bind_param(b, m, wname(name, "bias_hh", l, d), 0, 1, &g);
			}
		}
	return 0;
}

/* What a lazy W, R or B is made of. */
struct stack {
	const struct p2o_tensor *t[2][2]; /* [direction][ih or hh] */
	int dirs, parts, gates;
	const int *perm;
	int64_t block; /* elements of one gate: hidden * columns */
};

static int produce(const struct p2o_const *k, void *out, struct p2o_err *err)
{
	const struct stack *s = k->ctx;
	float *f = out;

	(void)err;
	for (int d = 0; d < s->dirs; d++)
		for (int p = 0; p < s->parts; p++) {
			const struct p2o_tensor *t = s->t[d][p];
			/* bytes: the data may sit unaligned in the file */
			const unsigned char *plain =
				t->dtype == P2O_DT_FLOAT32 ? p2o_tensor_plain_data(t) : NULL;
			for (int j = 0; j < s->gates; j++, f += s->block) {
				int64_t from = s->perm[j] * s->block;
				if (plain) /* the common case: one copy per gate */
					memcpy(f, plain + (size_t)from * sizeof *f,
					       (size_t)s->block * sizeof *f);
				else
					for (int64_t i = 0; i < s->block; i++)
						f[i] = (float)p2o_tensor_get_f64(t, from + i);
			}
		}
	return 0;
}

/* W ("weight_ih"), R ("weight_hh") or B ("bias") of layer l; made once. */
struct p2o_value *p2o_rnn_weights(struct p2o_ctx *c, const struct p2o_module *m,
				  const struct p2o_rnn_hp *h, int64_t l, const char *what)
{
	const struct p2o_rnn_kind *k = p2o_rnn_kind(m);
	int bias = what[0] == 'b';
	const char *tag = bias ? "B" : what[7] == 'i' ? "W" : "R";
	const char *name = p2o_sprintf(&c->g->arena, "%s%s%s_l%lld", m->path, *m->path ? "." : "",
				       tag, (long long)l);
	struct stack *s = p2o_alloc(&c->g->arena, sizeof *s);
	struct p2o_value *v;
	const char *keys = NULL;
	char buf[64];

	if (!name || !s)
		return p2o_fail(c, "out of memory"), NULL;
	for (size_t i = 0; i < c->g->ninits; i++) /* a layer called again */
		if (!strcmp(c->g->inits[i]->name, name) && c->g->inits[i]->konst->produce == produce)
			return c->g->inits[i];
	*s = (struct stack){.dirs = (int)h->dirs, .parts = bias ? 2 : 1, .gates = k->gates,
			    .perm = k->perm};
	for (int d = 0; d < s->dirs; d++)
		for (int p = 0; p < s->parts; p++) {
			wname(buf, bias ? p ? "bias_hh" : "bias_ih" : what, l, d);
			if (!(s->t[d][p] = p2o_module_weight(m, buf)))
				return p2o_fail(c, "%s: weight %s is not bound", m->path, buf), NULL;
			keys = keys ? p2o_sprintf(&c->g->arena, "%s, %s", keys, buf) : p2o_strdup(&c->g->arena, buf);
		}
	int64_t cols = bias ? 1 : s->t[0][0]->shape[1];
	int64_t shape[3] = {h->dirs, s->parts * k->gates * h->hidden, cols};
	s->block = h->hidden * cols;
	if (!(v = p2o_graph_lazy(c->g, name, P2O_DT_FLOAT32, bias ? 2 : 3, shape, produce, s)))
		return p2o_fail(c, "out of memory"), NULL;
	v->doc = p2o_sprintf(&c->g->arena, "%s: %s stacked%s", *m->path ? m->path : m->type,
			     keys, k->reorder);
	return v;
}

