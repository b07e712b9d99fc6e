/*
 * einsum.c — torch.einsum(equation, *operands) -> Einsum.
 *
 * The equation may use PyTorch's letters (a-z, A-Z), spaces and an implicit
 * output (the labels that occur once, in PyTorch's order: A-Z, then a-z).
 * It is written out for ONNX with lower-case labels (in order of first
 * occurrence) and an explicit output.  Operands: tensors, or one list or
 * tuple of them; float operands are computed in float32, int ones in int64.
 * Not supported (an error at the call site): the ellipsis `...`, the
 * sublist form einsum(a, [0, 1], ...), more than 26 distinct labels, and
 * PyTorch's broadcasting of a size-1 dimension against a larger one under
 * the same label (ONNX Einsum broadcasts only through an ellipsis).
 */
#include "fn_util.h"

#include <string.h>

#define MAX_OPERANDS 16
#define NLABELS 52 /* A-Z then a-z: PyTorch's order for an implicit output */

static int label_index(char ch)
{
	if (ch >= 'A' && ch <= 'Z')
		return ch - 'A';
	if (ch >= 'a' && ch <= 'z')
		return 26 + (ch - 'a');
	return -1;
}

/* The operands: einsum(eq, a, b) or einsum(eq, [a, b]). */
static int operands(struct p2o_ctx *c, const struct p2o_args *a, struct p2o_value **xs,
		    size_t *n)
{
	struct p2o_val *v = p2o_arg(a, "operands");
	struct p2o_val **items = v ? v->u.seq.items : NULL;
	size_t k = v ? v->u.seq.n : 0;
	int any_float = 0;

	if (k == 1 && (items[0]->kind == V_LIST || items[0]->kind == V_TUPLE)) {
		k = items[0]->u.seq.n;
		items = items[0]->u.seq.items;
	}
	if (!k)
		return p2o_fail(c, "einsum needs at least one operand");
	if (k > MAX_OPERANDS)
		return p2o_fail(c, "einsum of %zu operands; at most %d are supported", k,
				MAX_OPERANDS);
	for (size_t i = 0; i < k; i++) {
		if (items[i]->kind != V_TENSOR)
			return p2o_fail(c, "einsum operand %zu is %s, not a tensor (the sublist "
					"form einsum(a, [0, 1], ...) is not supported)", i,
					p2o_v_kind_name(items[i]));
		xs[i] = items[i]->u.t;
		if (xs[i]->rank < 0)
			return p2o_fail(c, "einsum operand %zu has an unknown rank", i);
		if (xs[i]->dtype == P2O_DT_BOOL)
			return p2o_fail(c, "einsum of bool tensors is not supported");
		any_float |= p2o_is_float_dt(xs[i]->dtype);
	}
	for (size_t i = 0; i < k; i++)
		if (!(xs[i] = p2o_cast(c, xs[i], any_float ? P2O_DT_FLOAT32 : P2O_DT_INT64)))
			return -1;
	*n = k;
	return 0;
}

static int call(struct p2o_ctx *c, struct p2o_module *m, const struct p2o_args *a,
		struct p2o_val **out)
{
	struct p2o_val *eqv = p2o_arg(a, "equation");
	struct p2o_value *xs[MAX_OPERANDS];
	struct p2o_dim size[NLABELS];
	int count[NLABELS] = {0}, in_out[NLABELS] = {0};
	char map[NLABELS] = {0}, next = 'a';
	size_t n = 0, term = 0, len = 0;
	int pos = 0, explicit_out = 0;
	char *onnx;
	struct p2o_node *node;

	(void)m;
	if (!eqv || eqv->kind != V_STR)
		return p2o_fail(c, "einsum's first argument must be the equation (a string), not %s",
				eqv ? p2o_v_kind_name(eqv) : "nothing");
	if (operands(c, a, xs, &n))
		return -1;
	if (!(onnx = p2o_alloc_array(&c->g->arena, 2 * strlen(eqv->u.s) + NLABELS + 4, 1)))
		return p2o_fail(c, "out of memory");
	for (const char *s = eqv->u.s;; s++) {
		int l = label_index(*s);
		if (*s == ' ')
			continue;
		if (*s == '.')
			return p2o_fail(c, "einsum: the ellipsis (...) is not supported");
		if (l >= 0 && !explicit_out) { /* a label of operand `term` */
			if (term >= n)
				return p2o_fail(c, "einsum: the equation '%s' has more terms than "
						"the %zu operands", eqv->u.s, n);
			if (pos >= xs[term]->rank)
				return p2o_fail(c, "einsum: term %zu of '%s' has more labels than "
						"the %d dimensions of its operand", term, eqv->u.s,
						xs[term]->rank);
			struct p2o_dim d = xs[term]->dims[pos++];
			if (count[l]++ == 0 || size[l].v < 0)
				size[l] = d;
			else if (d.v >= 0 && d.v != size[l].v)
				return p2o_fail(c, "einsum: label '%c' has sizes %lld and %lld "
						"(broadcasting a size-1 dimension is not supported)",
						*s, (long long)size[l].v, (long long)d.v);
			if (!map[l] && next > 'z')
				return p2o_fail(c, "einsum: more than 26 distinct labels");
			if (!map[l])
				map[l] = next++;
			onnx[len++] = map[l];
			continue;
		}
		if (l >= 0) { /* an output label */
			if (!count[l] || in_out[l]++)
				return p2o_fail(c, "einsum: output label '%c' %s", *s, count[l] ?
						"occurs twice" : "occurs in no operand");
			onnx[len++] = map[l];
			continue;
		}
		if ((*s == ',' || *s == '-' || !*s) && !explicit_out) { /* end of a term */
			if (term >= n)
				return p2o_fail(c, "einsum: the equation '%s' has more terms than "
						"the %zu operands", eqv->u.s, n);
			if (pos != xs[term]->rank)
				return p2o_fail(c, "einsum: term %zu of '%s' has %d labels for a "
						"%d-D operand", term, eqv->u.s, pos, xs[term]->rank);
			term++;
			pos = 0;
		}
		if (*s == ',' && !explicit_out) {
			onnx[len++] = ',';
		} else if (*s == '-' && s[1] == '>' && !explicit_out) {
			explicit_out = 1;
			s++;
			memcpy(onnx + len, "->", 2);
			len += 2;
		} else if (*s) {
			return p2o_fail(c, "einsum: unexpected '%c' in the equation '%s'", *s, eqv->u.s);
		} else {
			break;
		}
	}
	if (term != n)
		return p2o_fail(c, "einsum: the equation '%s' has %zu terms for %zu operands",
				eqv->u.s, term, n); /* fewer terms */
	if (!explicit_out) { /* PyTorch's implicit output: labels once, sorted */
		memcpy(onnx + len, "->", 2);
		len += 2;
		for (int l = 0; l < NLABELS; l++)
			if (count[l] == 1)
				onnx[len++] = map[l];
	}
	onnx[len] = 0;
	if (!(node = p2o_emit(c, "Einsum", xs, n, 1)) ||
	    p2o_attr_string(c->g, node, "equation", onnx))
		return c->err->code ? -1 : p2o_fail(c, "out of memory");
	return p2o_finish(c, node, out);
}

const struct p2o_converter p2o_cv_einsum = {"einsum", 0, "equation, *operands", NULL, NULL, call};
