/* shape_infer_ops.c — shape rules for data-movement and reduction ops. */
#include "shape_infer.h"

#include <string.h>

static const struct p2o_dim UNKNOWN = {-1, NULL};

static int fail(struct p2o_err *err, const struct p2o_node *n, const char *msg)
{
	return p2o_errf(err, P2O_ECONVERT, n->name, "%s: %s", n->op, msg);
}

static int64_t attr_int(const struct p2o_node *n, const char *name, int64_t dflt)
{
	const struct p2o_attr *a = p2o_node_attr(n, name);
	return a ? a->i : dflt;
}

/* Axes from the attribute, or from a constant input (newer opsets);
 * normalised to [0, rank).  Returns the count, -1 if unknown. */
static int axes_of(const struct p2o_node *n, size_t input, int rank, int64_t *axes)
{
	const struct p2o_attr *a = p2o_node_attr(n, "axes");
	long k = -1;

	if (a) {
		k = (long)a->n;
		memcpy(axes, a->ints, a->n * sizeof *axes);
	} else if (n->nin > input && n->inputs[input]) {
		k = p2o_const_ints(n->inputs[input], axes, P2O_MAX_RANK);
	} else {
		return 0;
	}
	for (long i = 0; i < k; i++) {
		if (axes[i] < 0)
			axes[i] += rank;
		if (axes[i] < 0 || axes[i] >= rank)
			return -1;
	}
	return (int)k;
}

static int has_axis(const int64_t *axes, int n, int64_t d)
{
	for (int i = 0; i < n; i++)
		if (axes[i] == d)
			return 1;
	return 0;
}

int p2o_infer_cast(struct p2o_graph *g, struct p2o_node *n, struct p2o_err *err)
{
	static const enum p2o_dtype ONNX_TO_DT[] = {
		[1] = P2O_DT_FLOAT32, [2] = P2O_DT_UINT8, [3] = P2O_DT_INT8, [5] = P2O_DT_INT16,
		[6] = P2O_DT_INT32, [7] = P2O_DT_INT64, [9] = P2O_DT_BOOL, [10] = P2O_DT_FLOAT16,
		[11] = P2O_DT_FLOAT64, [16] = P2O_DT_BFLOAT16,
	};
	int64_t to = attr_int(n, "to", 0);
	struct p2o_value *o = n->outputs[0];

	(void)g;
	*o = (struct p2o_value){.name = o->name, .producer = o->producer, .flags = o->flags,
				.nuses = o->nuses};
	o->rank = n->inputs[0]->rank;
	memcpy(o->dims, n->inputs[0]->dims, sizeof o->dims);
	if (to <= 0 || to >= (int64_t)P2O_ARRAY_LEN(ONNX_TO_DT) || !ONNX_TO_DT[to])
		return fail(err, n, "unsupported target type");
	o->dtype = ONNX_TO_DT[to];
	return 0;
}

int p2o_infer_concat(struct p2o_graph *g, struct p2o_node *n, struct p2o_err *err)
{
	const struct p2o_value *x = n->inputs[0];
	struct p2o_value *o = n->outputs[0];
	int64_t axis = attr_int(n, "axis", 0);

	(void)g;
	o->dtype = x->dtype;
	o->rank = x->rank;
	if (x->rank < 0)
		return 0;
	if (axis < 0)
		axis += x->rank;
	if (axis < 0 || axis >= x->rank)
		return fail(err, n, "axis out of range");
	memcpy(o->dims, x->dims, sizeof o->dims);
	o->dims[axis].v = 0;
	o->dims[axis].sym = NULL;
	for (size_t i = 0; i < n->nin; i++) {
		const struct p2o_value *in = n->inputs[i];
		if (in->rank != x->rank)
			return fail(err, n, "inputs have different ranks");
		if (in->dims[axis].v < 0 || o->dims[axis].v < 0)
			o->dims[axis] = UNKNOWN;
		else
			o->dims[axis].v += in->dims[axis].v;
		for (int d = 0; d < x->rank; d++)
			if (d != axis && o->dims[d].v < 0 && in->dims[d].v >= 0)
				o->dims[d] = in->dims[d];
	}
	return 0;
}

int p2o_infer_gather(struct p2o_graph *g, struct p2o_node *n, struct p2o_err *err)
{
	const struct p2o_value *x = n->inputs[0], *idx = n->inputs[1];
	struct p2o_value *o = n->outputs[0];
	int64_t axis = attr_int(n, "axis", 0);

	(void)g;
	o->dtype = x->dtype;
	if (x->rank < 0 || idx->rank < 0) {
		o->rank = -1;
		return 0;
	}
	if (axis < 0)
		axis += x->rank;
	if (axis < 0 || axis >= x->rank)
		return fail(err, n, "axis out of range");
	o->rank = x->rank - 1 + idx->rank;
	int k = 0;
	for (int d = 0; d < axis; d++)
		o->dims[k++] = x->dims[d];
	for (int d = 0; d < idx->rank; d++)
		o->dims[k++] = idx->dims[d];
	for (int d = (int)axis + 1; d < x->rank; d++)
		o->dims[k++] = x->dims[d];
	return 0;
}

int p2o_infer_reduce(struct p2o_graph *g, struct p2o_node *n, struct p2o_err *err)
{
	const struct p2o_value *x = n->inputs[0];
	struct p2o_value *o = n->outputs[0];
	int64_t axes[P2O_MAX_RANK];
	int keep = (int)attr_int(n, "keepdims", 1), na;

	(void)g;
	o->dtype = x->dtype;
	if (x->rank < 0 || (na = axes_of(n, 1, x->rank, axes)) < 0) {
		o->rank = -1;
		return x->rank < 0 ? 0 : fail(err, n, "axes out of range");
	}
	o->rank = 0;
	for (int d = 0; d < x->rank; d++) {
		int reduced = na == 0 || has_axis(axes, na, d);
		if (!reduced)
			o->dims[o->rank++] = x->dims[d];
		else if (keep)
			o->dims[o->rank++] = (struct p2o_dim){1, NULL};
	}
	return 0;
}

/* RNN, GRU, LSTM: Y [seq, dirs, batch, hidden], Y_h and Y_c [dirs, batch,
 * hidden]; with layout=1, batch first: [batch, seq, dirs, hidden] and
 * [batch, dirs, hidden]. */
int p2o_infer_rnn(struct p2o_graph *g, struct p2o_node *n, struct p2o_err *err)
{
	const struct p2o_value *x = n->inputs[0], *r = n->nin > 2 ? n->inputs[2] : NULL;
	const struct p2o_attr *dir = p2o_node_attr(n, "direction");
	int layout = attr_int(n, "layout", 0) != 0;
	struct p2o_dim dirs = {dir && dir->s && !strcmp(dir->s, "bidirectional") ? 2 : 1, NULL};
	struct p2o_dim h = {attr_int(n, "hidden_size", -1), NULL}, seq = UNKNOWN, batch = UNKNOWN;

	(void)g;
	if (h.v < 0 && r && r->rank == 3)
		h = r->dims[2];
	if (x->rank >= 0 && x->rank != 3)
		return fail(err, n, "the input must be 3-D");
	if (x->rank == 3) {
		seq = x->dims[layout];
		batch = x->dims[!layout];
	}
	for (size_t i = 0; i < n->nout; i++) {
		struct p2o_value *o = n->outputs[i];
		o->dtype = x->dtype;
		o->rank = i ? 3 : 4;
		if (i == 0 && layout)
			memcpy(o->dims, (struct p2o_dim[]){batch, seq, dirs, h}, 4 * sizeof *o->dims);
		else if (i == 0)
			memcpy(o->dims, (struct p2o_dim[]){seq, dirs, batch, h}, 4 * sizeof *o->dims);
		else if (layout)
			memcpy(o->dims, (struct p2o_dim[]){batch, dirs, h}, 3 * sizeof *o->dims);
		else
			memcpy(o->dims, (struct p2o_dim[]){dirs, batch, h}, 3 * sizeof *o->dims);
	}
	return 0;
}

int p2o_infer_shape_op(struct p2o_graph *g, struct p2o_node *n, struct p2o_err *err)
{
	struct p2o_value *o = n->outputs[0];

	(void)g; (void)err;
	o->dtype = P2O_DT_INT64;
	o->rank = 1;
	o->dims[0] = (struct p2o_dim){n->inputs[0]->rank, NULL};
	return 0;
}

int p2o_infer_slice(struct p2o_graph *g, struct p2o_node *n, struct p2o_err *err)
{
	const struct p2o_value *x = n->inputs[0];
	struct p2o_value *o = n->outputs[0];
	int64_t st[P2O_MAX_RANK], en[P2O_MAX_RANK], ax[P2O_MAX_RANK], sp[P2O_MAX_RANK];
	long ns = p2o_const_ints(n->inputs[1], st, P2O_MAX_RANK);
	long ne = p2o_const_ints(n->inputs[2], en, P2O_MAX_RANK);
	long na = n->nin > 3 && n->inputs[3] ? p2o_const_ints(n->inputs[3], ax, P2O_MAX_RANK) : ns;
	long nsp = n->nin > 4 && n->inputs[4] ? p2o_const_ints(n->inputs[4], sp, P2O_MAX_RANK) : ns;

	(void)g;
	o->dtype = x->dtype;
	o->rank = x->rank;
	memcpy(o->dims, x->dims, sizeof o->dims);
	if (x->rank < 0)
		return 0;
	if (ns < 0 || ne != ns || na != ns || nsp != ns) {
		/* computed starts or ends: only the sliced axes (when known) change */
		int axes_known = na >= 0 && n->nin > 3 && n->inputs[3];
		for (int d = 0; d < x->rank; d++)
			if (!axes_known)
				o->dims[d] = UNKNOWN;
		for (long i = 0; axes_known && i < na; i++) {
			int64_t a = ax[i] < 0 ? ax[i] + x->rank : ax[i];
			if (a >= 0 && a < x->rank)
				o->dims[a] = UNKNOWN;
		}
		return 0;
	}
	for (long i = 0; i < ns; i++) {
		int64_t a = n->nin > 3 && n->inputs[3] ? ax[i] : i;
		int64_t step = n->nin > 4 && n->inputs[4] ? sp[i] : 1, len, s = st[i], e = en[i];
		if (a < 0)
			a += x->rank;
		if (a < 0 || a >= x->rank || step == 0)
			return fail(err, n, "bad axes or steps");
		len = x->dims[a].v;
		if (len < 0) {
			/* [0:INT_MAX] keeps a dynamic dimension as it is */
			if (!(s == 0 && e >= INT32_MAX && step == 1))
				o->dims[a] = UNKNOWN;
			continue;
		}
		if (s < 0) s += len;
		if (e < 0) e += len;
		if (step > 0) {
			s = s < 0 ? 0 : s > len ? len : s;
			e = e < 0 ? 0 : e > len ? len : e;
			o->dims[a] = (struct p2o_dim){e > s ? (e - s + step - 1) / step : 0, NULL};
		} else {
			s = s < 0 ? -1 : s > len - 1 ? len - 1 : s;
			e = e < -1 ? -1 : e > len - 1 ? len - 1 : e;
			o->dims[a] = (struct p2o_dim){s > e ? (s - e - step - 1) / -step : 0, NULL};
		}
	}
	return 0;
}

int p2o_infer_squeeze(struct p2o_graph *g, struct p2o_node *n, struct p2o_err *err)
{
	const struct p2o_value *x = n->inputs[0];
	struct p2o_value *o = n->outputs[0];
	int64_t axes[P2O_MAX_RANK];
	int na;

	(void)g;
	o->dtype = x->dtype;
	if (x->rank < 0 || (na = axes_of(n, 1, x->rank, axes)) < 0) {
		o->rank = -1;
		return x->rank < 0 ? 0 : fail(err, n, "axes out of range");
	}
	o->rank = 0;
	for (int d = 0; d < x->rank; d++) {
		int drop = na ? has_axis(axes, na, d) : x->dims[d].v == 1;
		if (drop && x->dims[d].v >= 0 && x->dims[d].v != 1)
			return fail(err, n, "cannot squeeze a dimension that is not 1");
		if (!drop)
			o->dims[o->rank++] = x->dims[d];
	}
	return 0;
}

int p2o_infer_transpose(struct p2o_graph *g, struct p2o_node *n, struct p2o_err *err)
{
	const struct p2o_value *x = n->inputs[0];
	struct p2o_value *o = n->outputs[0];
	const struct p2o_attr *perm = p2o_node_attr(n, "perm");

	(void)g;
	o->dtype = x->dtype;
	o->rank = x->rank;
	if (x->rank < 0)
		return 0;
	if (perm && perm->n != (size_t)x->rank)
		return fail(err, n, "perm does not match the rank");
	for (int d = 0; d < x->rank; d++) {
		int64_t p = perm ? perm->ints[d] : x->rank - 1 - d;
		if (p < 0 || p >= x->rank)
			return fail(err, n, "perm out of range");
		o->dims[d] = x->dims[p];
	}
	return 0;
}

int p2o_infer_unsqueeze(struct p2o_graph *g, struct p2o_node *n, struct p2o_err *err)
{
	const struct p2o_value *x = n->inputs[0];
	struct p2o_value *o = n->outputs[0];
	int64_t axes[P2O_MAX_RANK];
	int na, out_rank, k = 0;

	(void)g;
	o->dtype = x->dtype;
	if (x->rank < 0) {
		o->rank = -1;
		return 0;
	}
	const struct p2o_attr *a = p2o_node_attr(n, "axes");
	long cnt = a ? (long)a->n : n->nin > 1 ? p2o_const_ints(n->inputs[1], axes, P2O_MAX_RANK) : -1;
	if (cnt < 0 || x->rank + cnt > P2O_MAX_RANK) {
		o->rank = -1;
		return 0;
	}
	out_rank = x->rank + (int)cnt;
	if ((na = axes_of(n, 1, out_rank, axes)) < 0)
		return fail(err, n, "axes out of range");
	o->rank = out_rank;
	for (int d = 0; d < out_rank; d++)
		o->dims[d] = has_axis(axes, na, d) ? (struct p2o_dim){1, NULL} : x->dims[k++];
	return 0;
}

int p2o_infer_where(struct p2o_graph *g, struct p2o_node *n, struct p2o_err *err)
{
	/* the broadcast of condition, x and y, with x's type */
	struct p2o_node add = {.op = "Add", .name = n->name, .inputs = n->inputs,
			       .nin = 3, .outputs = n->outputs, .nout = 1};
	int rc = p2o_infer_node(g, &add, err);

	n->outputs[0]->dtype = n->inputs[1]->dtype;
	return rc;
}
