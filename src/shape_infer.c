/* shape_infer.c — output types and shapes of ONNX nodes, following the
 * operator specifications.  Dimensions stay symbolic where the spec lets
 * them ("batch_size" flows through Conv, Gemm, Reshape with -1, ...). */
#include "shape_infer.h"

#include <string.h>

typedef int (*infer_fn)(struct p2o_graph *g, struct p2o_node *n, struct p2o_err *err);

static int fail(struct p2o_err *err, const struct p2o_node *n, const char *msg)
{
	return p2o_errf(err, P2O_ECONVERT, n->name, "%s: %s", n->op, msg);
}

static void copy_type(struct p2o_value *dst, const struct p2o_value *src)
{
	dst->dtype = src->dtype;
	dst->rank = src->rank;
	memcpy(dst->dims, src->dims, sizeof dst->dims);
}

static int64_t attr_int(const struct p2o_node *n, const char *name, int64_t dflt)
{
	const struct p2o_attr *a = p2o_node_attr(n, name);
	return a ? a->i : dflt;
}

static int dims_equal(struct p2o_dim a, struct p2o_dim b)
{
	if (a.v >= 0 || b.v >= 0)
		return a.v == b.v;
	return a.sym && b.sym && !strcmp(a.sym, b.sym);
}

static const struct p2o_dim UNKNOWN = {-1, NULL};

static int same_as_input(struct p2o_graph *g, struct p2o_node *n, struct p2o_err *err)
{
	(void)g; (void)err;
	for (size_t i = 0; i < n->nout; i++)
		copy_type(n->outputs[i], n->inputs[0]);
	return 0;
}

/* Multidirectional (numpy) broadcasting of all inputs. */
static int broadcast(struct p2o_graph *g, struct p2o_node *n, struct p2o_err *err)
{
	struct p2o_value *o = n->outputs[0];
	int rank = 0;

	(void)g;
	for (size_t i = 0; i < n->nin; i++) {
		if (n->inputs[i]->rank < 0) {
			o->dtype = n->inputs[0]->dtype;
			o->rank = -1;
			return 0;
		}
		if (n->inputs[i]->rank > rank)
			rank = n->inputs[i]->rank;
	}
	o->dtype = n->inputs[0]->dtype;
	o->rank = rank;
	for (int d = 0; d < rank; d++) {
		struct p2o_dim r = {1, NULL};
		for (size_t i = 0; i < n->nin; i++) {
			const struct p2o_value *in = n->inputs[i];
			int k = d - (rank - in->rank);
			if (k < 0 || (in->dims[k].v == 1))
				continue;
			if (r.v == 1 && !r.sym)
				r = in->dims[k];
			else if (!dims_equal(r, in->dims[k])) {
				if (r.v >= 0 && in->dims[k].v >= 0)
					return fail(err, n, "shapes cannot be broadcast together");
				r = r.v >= 0 ? in->dims[k] : r; /* keep a symbol */
			}
		}
		o->dims[d] = r;
	}
	return 0;
}

static int compare_op(struct p2o_graph *g, struct p2o_node *n, struct p2o_err *err)
{
	if (broadcast(g, n, err))
		return -1;
	n->outputs[0]->dtype = P2O_DT_BOOL;
	return 0;
}

/* Conv and pooling: [N, C, spatial...] */
static int windowed(struct p2o_graph *g, struct p2o_node *n, struct p2o_err *err)
{
	const struct p2o_value *x = n->inputs[0];
	struct p2o_value *o = n->outputs[0];
	const struct p2o_attr *ks = p2o_node_attr(n, "kernel_shape");
	const struct p2o_attr *st = p2o_node_attr(n, "strides");
	const struct p2o_attr *pd = p2o_node_attr(n, "pads");
	const struct p2o_attr *dl = p2o_node_attr(n, "dilations");
	int is_conv = !strcmp(n->op, "Conv"), ceil_mode = (int)attr_int(n, "ceil_mode", 0);
	int sp;

	(void)g;
	if (x->rank < 3)
		return fail(err, n, "input must have a batch, a channel and spatial dimensions");
	sp = x->rank - 2;
	copy_type(o, x);
	if (is_conv) {
		const struct p2o_value *w = n->inputs[1];
		o->dims[1] = w->rank > 0 ? w->dims[0] : UNKNOWN;
	}
	for (int d = 0; d < sp; d++) {
		int64_t in = x->dims[2 + d].v, k, s = st ? st->ints[d] : 1;
		int64_t p = pd ? pd->ints[d] + pd->ints[d + sp] : 0, dil = dl ? dl->ints[d] : 1;
		if (ks)
			k = ks->ints[d];
		else if (is_conv && n->inputs[1]->rank == x->rank)
			k = n->inputs[1]->dims[2 + d].v;
		else
			return fail(err, n, "kernel shape unknown");
		if (in < 0 || k < 0) {
			o->dims[2 + d] = UNKNOWN;
			continue;
		}
		int64_t span = in + p - dil * (k - 1) - 1;
		if (span < 0)
			return fail(err, n, "the kernel is larger than the padded input");
		int64_t out = (ceil_mode ? (span + s - 1) / s : span / s) + 1;
		/* the last window must start inside the input or left padding */
		if (ceil_mode && (out - 1) * s >= in + (pd ? pd->ints[d] : 0))
			out--;
		o->dims[2 + d] = (struct p2o_dim){out, NULL};
	}
	return 0;
}

static int global_pool(struct p2o_graph *g, struct p2o_node *n, struct p2o_err *err)
{
	struct p2o_value *o = n->outputs[0];

	(void)g; (void)err;
	copy_type(o, n->inputs[0]);
	for (int d = 2; d < o->rank; d++)
		o->dims[d] = (struct p2o_dim){1, NULL};
	return 0;
}

static int gemm(struct p2o_graph *g, struct p2o_node *n, struct p2o_err *err)
{
	const struct p2o_value *a = n->inputs[0], *b = n->inputs[1];
	struct p2o_value *o = n->outputs[0];
	int ta = (int)attr_int(n, "transA", 0), tb = (int)attr_int(n, "transB", 0);

	(void)g;
	if (a->rank != 2 || b->rank != 2)
		return fail(err, n, "Gemm needs 2-D inputs");
	o->dtype = a->dtype;
	o->rank = 2;
	o->dims[0] = a->dims[ta ? 1 : 0];
	o->dims[1] = b->dims[tb ? 0 : 1];
	return 0;
}

static int matmul(struct p2o_graph *g, struct p2o_node *n, struct p2o_err *err)
{
	struct p2o_value *a = n->inputs[0], *b = n->inputs[1], *o = n->outputs[0];
	struct p2o_value ba = *a, bb = *b;
	struct p2o_node tmp = *n;
	struct p2o_value *ins[2] = {&ba, &bb};

	if (a->rank < 1 || b->rank < 1) {
		o->dtype = a->dtype;
		o->rank = -1;
		return 0;
	}
	/* broadcast the batch dimensions, then [.., M, K] x [.., K, N] */
	ba.rank = a->rank >= 2 ? a->rank - 2 : 0;
	bb.rank = b->rank >= 2 ? b->rank - 2 : 0;
	tmp.inputs = ins;
	tmp.nin = 2;
	if (broadcast(g, &tmp, err))
		return -1;
	o->dtype = a->dtype;
	if (a->rank >= 2)
		o->dims[o->rank++] = a->dims[a->rank - 2];
	if (b->rank >= 2)
		o->dims[o->rank++] = b->dims[b->rank - 1];
	return 0;
}

/* -1 and 0 in a Reshape target, keeping symbolic dimensions: a dimension
 * copied by 0 cancels out, so [seq, batch, 2, H] -> [0, 0, -1] gives
 * [seq, batch, 2*H]. */
static int reshape(struct p2o_graph *g, struct p2o_node *n, struct p2o_err *err)
{
	const struct p2o_value *x = n->inputs[0];
	struct p2o_value *o = n->outputs[0];
	int64_t shape[P2O_MAX_RANK], known_in = 1, known_out = 1;
	long r = p2o_const_ints(n->inputs[1], shape, P2O_MAX_RANK);
	const char *sym = NULL;
	int nsym = 0, unknown_in = x->rank < 0, minus = -1, copied[P2O_MAX_RANK] = {0};

	(void)g;
	o->dtype = x->dtype;
	if (r < 0) { /* a computed shape: its length gives the rank */
		const struct p2o_value *s = n->inputs[1];
		o->rank = s->rank == 1 && s->dims[0].v >= 0 && s->dims[0].v <= P2O_MAX_RANK ?
			  (int)s->dims[0].v : -1;
		for (int d = 0; d < o->rank; d++)
			o->dims[d] = UNKNOWN;
		return 0;
	}
	o->rank = (int)r;
	for (int d = 0; d < (int)r; d++) {
		if (shape[d] == 0 && !attr_int(n, "allowzero", 0)) {
			if (x->rank >= 0 && d >= x->rank)
				return fail(err, n, "0 in the shape copies a dimension the input lacks");
			o->dims[d] = x->rank >= 0 ? x->dims[d] : UNKNOWN;
			copied[d] = 1;
		} else if (shape[d] == -1) {
			if (minus >= 0)
				return fail(err, n, "more than one -1 in the shape");
			minus = d;
		} else {
			o->dims[d] = (struct p2o_dim){shape[d], NULL};
			known_out *= shape[d];
		}
	}
	for (int d = 0; d < x->rank; d++) {
		if (copied[d])
			continue;
		if (x->dims[d].v >= 0)
			known_in *= x->dims[d].v;
		else if (x->dims[d].sym && !nsym++)
			sym = x->dims[d].sym;
		else
			unknown_in = 1;
	}
	if (minus >= 0) {
		o->dims[minus] = UNKNOWN;
		if (!unknown_in && known_out > 0 && known_in % known_out == 0) {
			if (nsym == 0)
				o->dims[minus].v = known_in / known_out;
			else if (nsym == 1 && known_in == known_out)
				o->dims[minus].sym = sym;
		}
	} else if (!unknown_in && nsym == 0 && known_in != known_out) {
		return fail(err, n, "the new shape has a different number of elements");
	}
	return 0;
}

static struct p2o_dim dim_product(const struct p2o_value *x, int from, int to)
{
	struct p2o_dim r = {1, NULL};

	for (int d = from; d < to; d++) {
		if (x->dims[d].v >= 0 && r.v >= 0)
			r.v *= x->dims[d].v;
		else if (x->dims[d].v == 1)
			continue;
		else if (r.v == 1 && !r.sym && x->dims[d].sym)
			r = x->dims[d];
		else
			return UNKNOWN;
	}
	return r;
}

static int flatten(struct p2o_graph *g, struct p2o_node *n, struct p2o_err *err)
{
	const struct p2o_value *x = n->inputs[0];
	struct p2o_value *o = n->outputs[0];
	int64_t axis = attr_int(n, "axis", 1);

	(void)g;
	o->dtype = x->dtype;
	if (x->rank < 0) {
		o->rank = -1;
		return 0;
	}
	if (axis < 0)
		axis += x->rank;
	if (axis < 0 || axis > x->rank)
		return fail(err, n, "axis out of range");
	o->rank = 2;
	o->dims[0] = dim_product(x, 0, (int)axis);
	o->dims[1] = dim_product(x, (int)axis, x->rank);
	return 0;
}


static const struct {
	const char *op;
	infer_fn fn;
} RULES[] = {
	{"Abs", same_as_input}, {"Add", broadcast}, {"And", compare_op},
	{"AveragePool", windowed}, {"BatchNormalization", same_as_input},
	{"Cast", p2o_infer_cast}, {"Ceil", same_as_input}, {"Celu", same_as_input},
	{"Clip", same_as_input}, {"Concat", p2o_infer_concat}, {"Conv", windowed},
	{"ConvTranspose", p2o_infer_conv_transpose}, {"Cos", same_as_input},
	{"CumSum", same_as_input}, {"DepthToSpace", p2o_infer_depth_space},
	{"Div", broadcast}, {"Dropout", same_as_input}, {"Elu", same_as_input},
	{"Equal", compare_op}, {"Erf", same_as_input}, {"Exp", same_as_input},
	{"Flatten", flatten}, {"Floor", same_as_input}, {"GRU", p2o_infer_rnn},
	{"Gather", p2o_infer_gather},
	{"Gelu", same_as_input}, {"Gemm", gemm}, {"GlobalAveragePool", global_pool},
	{"GlobalMaxPool", global_pool}, {"Greater", compare_op},
	{"GroupNormalization", same_as_input},
	{"HardSigmoid", same_as_input}, {"HardSwish", same_as_input},
	{"Identity", same_as_input}, {"InstanceNormalization", same_as_input},
	{"LSTM", p2o_infer_rnn},
	{"LayerNormalization", same_as_input}, {"LeakyRelu", same_as_input},
	{"LRN", same_as_input}, {"Less", compare_op}, {"Log", same_as_input},
	{"LogSoftmax", same_as_input},
	{"MatMul", matmul}, {"Max", broadcast}, {"MaxPool", windowed}, {"Min", broadcast},
	{"Mish", same_as_input}, {"Mod", broadcast}, {"Mul", broadcast}, {"Neg", same_as_input},
	{"Not", same_as_input}, {"Or", compare_op}, {"PRelu", same_as_input},
	{"Pad", p2o_infer_pad}, {"Pow", broadcast}, {"RNN", p2o_infer_rnn},
	{"Reciprocal", same_as_input}, {"ReduceMax", p2o_infer_reduce},
	{"ReduceMean", p2o_infer_reduce}, {"ReduceMin", p2o_infer_reduce},
	{"ReduceSum", p2o_infer_reduce}, {"Relu", same_as_input}, {"Reshape", reshape},
	{"Resize", p2o_infer_resize},
	{"Round", same_as_input}, {"Selu", same_as_input}, {"Shape", p2o_infer_shape_op},
	{"Sigmoid", same_as_input}, {"Sign", same_as_input}, {"Sin", same_as_input},
	{"Slice", p2o_infer_slice}, {"Softmax", same_as_input}, {"Softplus", same_as_input},
	{"Softsign", same_as_input}, {"SpaceToDepth", p2o_infer_depth_space},
	{"Sqrt", same_as_input}, {"Squeeze", p2o_infer_squeeze},
	{"Sub", broadcast}, {"Tanh", same_as_input}, {"Transpose", p2o_infer_transpose},
	{"Unsqueeze", p2o_infer_unsqueeze}, {"Where", p2o_infer_where},
};

int p2o_infer_node(struct p2o_graph *g, struct p2o_node *n, struct p2o_err *err)
{
	for (size_t i = 0; i < P2O_ARRAY_LEN(RULES); i++)
		if (!strcmp(RULES[i].op, n->op))
			return RULES[i].fn(g, n, err);
	int rc = p2o_infer_fn_ops(g, n, err); /* shape_infer_fn.c */
	if (rc <= 0)
		return rc;
	for (size_t i = 0; i < n->nout; i++) /* unknown op: types unknown */
		n->outputs[i]->rank = -1;
	return 0;
}
