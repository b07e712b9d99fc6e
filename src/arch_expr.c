/* arch_expr.c — evaluating expressions of a description. */
#include "arch_eval.h"
#include "dyn_int.h"

#include <math.h>
#include <string.h>

#define OOM(ev, pos) p2o_arch_error((ev)->err, (pos), "out of memory")

static int num(const struct p2o_val *v, double *d, int *is_int)
{
	*is_int = v->kind != V_FLOAT;
	if (v->kind == V_INT) { *d = (double)v->u.i; return 0; }
	if (v->kind == V_BOOL) { *d = v->u.b; return 0; }
	if (v->kind == V_FLOAT) { *d = v->u.f; return 0; }
	return -1;
}

static int unknown_int(const struct p2o_val *v)
{
	return v->kind == V_INT && v->u.i < 0 && v->sym_of;
}

/* Arithmetic on compile-time numbers, with Python's int semantics. */
static int arith(struct p2o_eval *ev, const char *op, struct p2o_val *l,
		 struct p2o_val *r, struct p2o_pos pos, struct p2o_val **out)
{
	double x, y, z;
	int li, ri;

	if (num(l, &x, &li) || num(r, &y, &ri))
		return 1; /* not numbers */
	if (unknown_int(l) || unknown_int(r)) /* a dynamic size: graph arithmetic */
		return p2o_dyn_arith(ev, op, l, r, pos, out);
	if (li && ri && strcmp(op, "/") && strcmp(op, "**")) {
		int64_t a = (int64_t)x, b = (int64_t)y, c;
		if ((!strcmp(op, "//") || !strcmp(op, "%")) && b == 0)
			return p2o_arch_error(ev->err, pos, "integer division by zero");
		switch (op[0]) {
		case '+': c = a + b; break;
		case '-': c = a - b; break;
		case '*': c = a * b; break;
		case '/': c = a / b - ((a % b != 0) && ((a < 0) != (b < 0))); break;
		case '%': c = ((a % b) + b) % b; break;
		case '&': c = a & b; break;
		case '|': c = a | b; break;
		case '^': c = a ^ b; break;
		case '<': c = a << b; break;
		case '>': c = a >> b; break;
		default: return p2o_arch_error(ev->err, pos, "operator %s does not apply to int", op);
		}
		return (*out = p2o_v_int(ev->a, c)) ? 0 : OOM(ev, pos);
	}
	if (!strcmp(op, "+")) z = x + y;
	else if (!strcmp(op, "-")) z = x - y;
	else if (!strcmp(op, "*")) z = x * y;
	else if (!strcmp(op, "/") || !strcmp(op, "//")) {
		if (y == 0)
			return p2o_arch_error(ev->err, pos, "division by zero");
		z = !strcmp(op, "/") ? x / y : floor(x / y);
	} else if (!strcmp(op, "%")) z = x - y * floor(x / y);
	else if (!strcmp(op, "**")) {
		z = pow(x, y);
		if (li && ri && y >= 0)
			return (*out = p2o_v_int(ev->a, (int64_t)z)) ? 0 : OOM(ev, pos);
	} else
		return p2o_arch_error(ev->err, pos, "operator %s does not apply to float", op);
	return (*out = p2o_v_float(ev->a, z)) ? 0 : OOM(ev, pos);
}

static int seq_concat(struct p2o_eval *ev, struct p2o_val *l, struct p2o_val *r,
		      int64_t times, struct p2o_val **out)
{
	struct p2o_val *v = p2o_v_new(ev->a, l->kind);

	if (!v)
		return -1;
	for (int64_t t = 0; t < times; t++)
		for (size_t i = 0; i < l->u.seq.n; i++)
			if (p2o_v_push(ev->a, v, l->u.seq.items[i]))
				return -1;
	for (size_t i = 0; r && i < r->u.seq.n; i++)
		if (p2o_v_push(ev->a, v, r->u.seq.items[i]))
			return -1;
	*out = v;
	return 0;
}

/* Tensor operators go to the converters of the same PyTorch names. */
static const struct { const char *op, *fn; } TENSOR_OPS[] = {
	{"+", "add"}, {"-", "sub"}, {"*", "mul"}, {"/", "div"}, {"@", "matmul"},
	{"**", "pow"}, {"//", "floor_divide"}, {"%", "remainder"},
	{"&", "bitwise_and"}, {"|", "bitwise_or"}, {"^", "bitwise_xor"},
	{"==", "eq"}, {"!=", "ne"}, {"<", "lt"}, {"<=", "le"}, {">", "gt"}, {">=", "ge"},
};

int p2o_binop(struct p2o_eval *ev, const char *op, struct p2o_val *l,
	      struct p2o_val *r, struct p2o_pos pos, struct p2o_val **out)
{
	char lt[64], rt[64];
	int rc;

	if (l->kind == V_TENSOR || r->kind == V_TENSOR) {
		for (size_t i = 0; i < P2O_ARRAY_LEN(TENSOR_OPS); i++)
			if (!strcmp(op, TENSOR_OPS[i].op)) {
				const struct p2o_converter *c = p2o_converter_find(TENSOR_OPS[i].fn);
				struct p2o_val fn = {.kind = V_OP, .conv = c}, *args[2] = {l, r};
				if (!c)
					break;
				return p2o_call_value(ev, &fn, args, 2, NULL, NULL, 0, pos, out);
			}
		return p2o_arch_error(ev->err, pos, "operator %s on tensors is not supported", op);
	}
	if ((rc = arith(ev, op, l, r, pos, out)) <= 0)
		return rc;
	if ((l->kind == V_TUPLE || l->kind == V_LIST) && r->kind == l->kind && !strcmp(op, "+"))
		return seq_concat(ev, l, r, 1, out) ? OOM(ev, pos) : 0;
	if ((l->kind == V_TUPLE || l->kind == V_LIST) && r->kind == V_INT && !strcmp(op, "*"))
		return seq_concat(ev, l, NULL, r->u.i, out) ? OOM(ev, pos) : 0;
	if (l->kind == V_STR && r->kind == V_STR && !strcmp(op, "+")) {
		char *s = p2o_sprintf(ev->a, "%s%s", l->u.s, r->u.s);
		return s && (*out = p2o_v_str(ev->a, s)) ? 0 : OOM(ev, pos);
	}
	p2o_v_repr(l, lt, sizeof lt);
	p2o_v_repr(r, rt, sizeof rt);
	return p2o_arch_error(ev->err, pos, "operator %s cannot combine %s %s and %s %s",
			      op, p2o_v_kind_name(l), lt, p2o_v_kind_name(r), rt);
}

int p2o_condition(struct p2o_eval *ev, struct p2o_val *v, struct p2o_pos pos, int *out)
{
	if (p2o_v_truthy(v, out) == 0)
		return 0;
	return p2o_arch_error(ev->err, pos,
			      "this condition depends on %s, which is only known when the model "
			      "runs: ONNX export needs conditions known at conversion time",
			      v->kind == V_TENSOR ? "tensor values" : "a dynamic size");
}

static int compare(struct p2o_eval *ev, const char *op, struct p2o_val *l,
		   struct p2o_val *r, struct p2o_pos pos, int *res)
{
	double x, y;
	int li, ri;

	if (!strcmp(op, "is") || !strcmp(op, "is not")) {
		int same = (l->kind == V_NONE && r->kind == V_NONE) ||
			   (l->kind == r->kind && p2o_v_equal(l, r));
		*res = op[2] ? !same : same;
		return 0;
	}
	if (!strcmp(op, "==") || !strcmp(op, "!=")) {
		if (unknown_int(l) || unknown_int(r) || l->kind == V_TENSOR || r->kind == V_TENSOR)
			return p2o_condition(ev, unknown_int(l) ? l : r, pos, res);
		*res = p2o_v_equal(l, r) == (op[0] == '=');
		return 0;
	}
	if (!strcmp(op, "in") || !strcmp(op, "not in")) {
		int found = 0;
		if (r->kind == V_STR && l->kind == V_STR)
			found = strstr(r->u.s, l->u.s) != NULL;
		else if (r->kind == V_TUPLE || r->kind == V_LIST)
			for (size_t i = 0; i < r->u.seq.n && !found; i++)
				found = p2o_v_equal(l, r->u.seq.items[i]);
		else if (r->kind == V_DICT)
			for (size_t i = 0; i < r->u.seq.n && !found; i += 2)
				found = p2o_v_equal(l, r->u.seq.items[i]);
		else
			return p2o_arch_error(ev->err, pos, "'in' needs a list, tuple, dict or str, not %s",
					      p2o_v_kind_name(r));
		*res = op[0] == 'i' ? found : !found;
		return 0;
	}
	if (unknown_int(l) || unknown_int(r))
		return p2o_condition(ev, unknown_int(l) ? l : r, pos, res);
	if (num(l, &x, &li) || num(r, &y, &ri)) {
		if (l->kind == V_STR && r->kind == V_STR) {
			x = strcmp(l->u.s, r->u.s);
			y = 0;
		} else {
			return p2o_arch_error(ev->err, pos, "cannot compare %s with %s",
					      p2o_v_kind_name(l), p2o_v_kind_name(r));
		}
	}
	if (!strcmp(op, "<")) *res = x < y;
	else if (!strcmp(op, "<=")) *res = x <= y;
	else if (!strcmp(op, ">")) *res = x > y;
	else *res = x >= y;
	return 0;
}

/* Items of a display or call argument list, expanding *starred. */
static int eval_items(struct p2o_eval *ev, struct p2o_scope *sc,
		      struct p2o_ast *const *kids, size_t n, struct p2o_val *into)
{
	for (size_t i = 0; i < n; i++) {
		struct p2o_val *v, **items;
		size_t k;
		if (kids[i]->kind != AST_STARRED) {
			if (p2o_eval_expr(ev, sc, kids[i], &v) || p2o_v_push(ev->a, into, v))
				return ev->err->code ? -1 : OOM(ev, kids[i]->pos);
			continue;
		}
		if (p2o_eval_expr(ev, sc, kids[i]->kids[0], &v) ||
		    p2o_iterate(ev, v, kids[i]->pos, &items, &k))
			return -1;
		for (size_t j = 0; j < k; j++)
			if (p2o_v_push(ev->a, into, items[j]))
				return OOM(ev, kids[i]->pos);
	}
	return 0;
}

int p2o_iterate(struct p2o_eval *ev, struct p2o_val *v, struct p2o_pos pos,
		struct p2o_val ***items, size_t *n)
{
	if (v->kind == V_TUPLE || v->kind == V_LIST) {
		*items = v->u.seq.items;
		*n = v->u.seq.n;
		return 0;
	}
	if (v->kind == V_DICT) { /* keys */
		struct p2o_val *keys = p2o_v_new(ev->a, V_LIST);
		for (size_t i = 0; keys && i < v->u.seq.n; i += 2)
			if (p2o_v_push(ev->a, keys, v->u.seq.items[i]))
				return OOM(ev, pos);
		*items = keys->u.seq.items;
		*n = keys->u.seq.n;
		return 0;
	}
	if (v->kind == V_MODULE) { /* Sequential / ModuleList: the children */
		struct p2o_val *list = p2o_v_new(ev->a, V_LIST);
		for (size_t i = 0; list && i < v->u.mod->nchildren; i++) {
			struct p2o_val *c = p2o_v_new(ev->a, V_MODULE);
			if (!c || (c->u.mod = v->u.mod->children[i], p2o_v_push(ev->a, list, c)))
				return OOM(ev, pos);
		}
		*items = list->u.seq.items;
		*n = list->u.seq.n;
		return 0;
	}
	return p2o_arch_error(ev->err, pos, "cannot iterate over %s", p2o_v_kind_name(v));
}

static int eval_call(struct p2o_eval *ev, struct p2o_scope *sc, const struct p2o_ast *e,
		     struct p2o_val **out)
{
	struct p2o_val *callee, args = {.kind = V_LIST}, kw = {.kind = V_LIST};
	const char **kwnames = NULL;
	size_t npos = 1, nkw = 0, kwcap = 0;

	if (p2o_eval_expr(ev, sc, e->kids[0], &callee))
		return -1;
	while (npos < e->nkids && e->kids[npos]->kind != AST_KEYWORD)
		npos++;
	if (eval_items(ev, sc, e->kids + 1, npos - 1, &args))
		return -1;
	for (size_t i = npos; i < e->nkids; i++) {
		struct p2o_val *v;
		if (e->kids[i]->kind != AST_KEYWORD)
			return p2o_arch_error(ev->err, e->kids[i]->pos,
					      "positional argument after a keyword argument");
		if (p2o_eval_expr(ev, sc, e->kids[i]->kids[0], &v) ||
		    p2o_grow(ev->a, (void **)&kwnames, &kwcap, nkw + 1, sizeof *kwnames) ||
		    p2o_v_push(ev->a, &kw, v))
			return ev->err->code ? -1 : OOM(ev, e->pos);
		kwnames[nkw++] = e->kids[i]->s;
	}
	return p2o_call_value(ev, callee, args.u.seq.items, args.u.seq.n, kwnames,
			      kw.u.seq.items, nkw, e->pos, out);
}

static int eval_listcomp(struct p2o_eval *ev, struct p2o_scope *sc,
			 const struct p2o_ast *e, struct p2o_val **out)
{
	struct p2o_val *it, **items, *list = p2o_v_new(ev->a, V_LIST);
	struct p2o_scope *inner = p2o_scope_new(ev->a, sc);
	size_t n;

	if (!list || !inner)
		return OOM(ev, e->pos);
	inner->owner = NULL;
	if (p2o_eval_expr(ev, sc, e->kids[2], &it) || p2o_iterate(ev, it, e->kids[2]->pos, &items, &n))
		return -1;
	for (size_t i = 0; i < n; i++) {
		struct p2o_val *v;
		int keep = 1;
		if (p2o_assign_target(ev, inner, e->kids[1], items[i]))
			return -1;
		if (e->kids[3] && (p2o_eval_expr(ev, inner, e->kids[3], &v) ||
				   p2o_condition(ev, v, e->kids[3]->pos, &keep)))
			return -1;
		if (keep && (p2o_eval_expr(ev, inner, e->kids[0], &v) || p2o_v_push(ev->a, list, v)))
			return ev->err->code ? -1 : OOM(ev, e->pos);
	}
	*out = list;
	return 0;
}

/* In forward, a module that stands for a tensor (a Parameter) is that
 * tensor wherever it is named, as in PyTorch. */
static int tensor_module(struct p2o_eval *ev, struct p2o_val **v, struct p2o_pos pos)
{
	struct p2o_module *m = (*v)->kind == V_MODULE ? (*v)->u.mod : NULL;

	if (!ev->g || !m || !m->conv || !(m->conv->flags & P2O_CONV_TENSOR))
		return 0;
	return p2o_call_value(ev, *v, NULL, 0, NULL, NULL, 0, pos, v);
}

int p2o_eval_expr(struct p2o_eval *ev, struct p2o_scope *sc,
		  const struct p2o_ast *e, struct p2o_val **out)
{
	struct p2o_val *l, *r;
	int b;

	switch (e->kind) {
	case AST_NAME:
		if (!(*out = p2o_scope_lookup(sc, e->s)))
			return p2o_arch_error(ev->err, e->pos, "name '%s' is not defined", e->s);
		return tensor_module(ev, out, e->pos);
	case AST_INT: return (*out = p2o_v_int(ev->a, e->i)) ? 0 : OOM(ev, e->pos);
	case AST_FLOAT: return (*out = p2o_v_float(ev->a, e->f)) ? 0 : OOM(ev, e->pos);
	case AST_STR: return (*out = p2o_v_str(ev->a, e->s)) ? 0 : OOM(ev, e->pos);
	case AST_NONE: *out = p2o_v_none(); return 0;
	case AST_TRUE: case AST_FALSE:
		return (*out = p2o_v_bool(ev->a, e->kind == AST_TRUE)) ? 0 : OOM(ev, e->pos);
	case AST_ELLIPSIS: return (*out = p2o_v_new(ev->a, V_ELLIPSIS)) ? 0 : OOM(ev, e->pos);
	case AST_TUPLE: case AST_LIST: case AST_DICT:
		if (!(*out = p2o_v_new(ev->a, e->kind == AST_TUPLE ? V_TUPLE :
					      e->kind == AST_LIST ? V_LIST : V_DICT)))
			return OOM(ev, e->pos);
		return eval_items(ev, sc, e->kids, e->nkids, *out);
	case AST_LISTCOMP: return eval_listcomp(ev, sc, e, out);
	case AST_CALL: return eval_call(ev, sc, e, out);
	case AST_ATTR:
		if (p2o_eval_expr(ev, sc, e->kids[0], &l) || p2o_get_attr(ev, l, e->s, e->pos, out))
			return -1;
		return tensor_module(ev, out, e->pos);
	case AST_INDEX:
		if (p2o_eval_expr(ev, sc, e->kids[0], &l) || p2o_eval_index(ev, sc, e->kids[1], &r))
			return -1;
		return p2o_subscript(ev, l, r, e->pos, out);
	case AST_BINOP:
		if (p2o_eval_expr(ev, sc, e->kids[0], &l) || p2o_eval_expr(ev, sc, e->kids[1], &r))
			return -1;
		return p2o_binop(ev, e->s, l, r, e->pos, out);
	case AST_UNOP:
		if (p2o_eval_expr(ev, sc, e->kids[0], &l))
			return -1;
		if (!strcmp(e->s, "not")) {
			if (p2o_condition(ev, l, e->pos, &b))
				return -1;
			return (*out = p2o_v_bool(ev->a, !b)) ? 0 : OOM(ev, e->pos);
		}
		if (!strcmp(e->s, "+"))
			return *out = l, 0;
		if (!strcmp(e->s, "~") && l->kind == V_TENSOR) {
			struct p2o_val fn = {.kind = V_OP, .conv = p2o_converter_find("bitwise_not")};
			return p2o_call_value(ev, &fn, &l, 1, NULL, NULL, 0, e->pos, out);
		}
		if (!strcmp(e->s, "~"))
			return l->kind == V_INT ? ((*out = p2o_v_int(ev->a, ~l->u.i)) ? 0 : OOM(ev, e->pos)) :
			       p2o_arch_error(ev->err, e->pos, "~ needs an int");
		if (l->kind == V_TENSOR) {
			struct p2o_val fn = {.kind = V_OP, .conv = p2o_converter_find("neg")};
			return p2o_call_value(ev, &fn, &l, 1, NULL, NULL, 0, e->pos, out);
		}
		if (!(r = p2o_v_int(ev->a, 0)))
			return OOM(ev, e->pos);
		return p2o_binop(ev, "-", r, l, e->pos, out);
	case AST_COMPARE:
		if (p2o_eval_expr(ev, sc, e->kids[0], &l))
			return -1;
		b = 1;
		for (size_t i = 1; i < e->nkids && b; i++) {
			if (p2o_eval_expr(ev, sc, e->kids[i], &r))
				return -1;
			if ((l->kind == V_TENSOR || r->kind == V_TENSOR) && strchr("=!<>", e->ops[i - 1][0])) {
				/* a tensor comparison is a graph node (Equal, Less, ...) */
				if (e->nkids > 2)
					return p2o_arch_error(ev->err, e->pos, "chained comparisons of "
							      "tensors are not supported");
				return p2o_binop(ev, e->ops[i - 1], l, r, e->pos, out);
			}
			if (compare(ev, e->ops[i - 1], l, r, e->pos, &b))
				return -1;
			l = r;
		}
		return (*out = p2o_v_bool(ev->a, b)) ? 0 : OOM(ev, e->pos);
	case AST_BOOLOP:
		for (size_t i = 0; i < e->nkids; i++) {
			if (p2o_eval_expr(ev, sc, e->kids[i], out) || p2o_condition(ev, *out, e->kids[i]->pos, &b))
				return -1;
			if (b == (e->s[0] == 'o'))
				return 0;
		}
		return 0;
	case AST_IFEXP:
		if (p2o_eval_expr(ev, sc, e->kids[1], &l) || p2o_condition(ev, l, e->kids[1]->pos, &b))
			return -1;
		return p2o_eval_expr(ev, sc, e->kids[b ? 0 : 2], out);
	case AST_LAMBDA:
		if (!(*out = p2o_v_new(ev->a, V_FUNC)))
			return OOM(ev, e->pos);
		(*out)->u.fn.def = e;
		(*out)->u.fn.closure = sc;
		return 0;
	default:
		return p2o_arch_error(ev->err, e->pos, "this is not an expression");
	}
}
