/* arch_builtins.c — the global scope of a description: every layer and
 * function of the converter registry, the namespaces torch/nn/F/math, the
 * compile-time builtins (range, len, min, ...), and the classes of the
 * built-in library (the files of library/, after the converters). */
#include "arch_eval.h"
#include "arch_model.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define OOM(ev, pos) p2o_arch_error((ev)->err, (pos), "out of memory")
#define UNUSED __attribute__((unused))
#define BUILTIN(fn) static int fn(struct p2o_eval *ev, struct p2o_val **args, size_t n, \
				  UNUSED struct p2o_val *self, struct p2o_val **out, \
				  UNUSED struct p2o_pos pos)

static int want(struct p2o_eval *ev, size_t n, size_t lo, size_t hi, const char *name,
		struct p2o_pos pos)
{
	if (n >= lo && n <= hi)
		return 0;
	return p2o_arch_error(ev->err, pos, "%s takes %zu to %zu arguments, %zu given", name, lo, hi, n);
}

static int int_arg(struct p2o_eval *ev, struct p2o_val *v, int64_t *out, struct p2o_pos pos)
{
	if (p2o_val_int(v, out))
		return p2o_arch_error(ev->err, pos, "expected an int, got %s", p2o_v_kind_name(v));
	return 0;
}

BUILTIN(b_range)
{
	int64_t a = 0, b, s = 1;
	if (want(ev, n, 1, 3, "range", pos) || int_arg(ev, args[n == 1 ? 0 : 1], &b, pos) ||
	    (n > 1 && int_arg(ev, args[0], &a, pos)) || (n > 2 && int_arg(ev, args[2], &s, pos)))
		return -1;
	if (s == 0)
		return p2o_arch_error(ev->err, pos, "range step must not be zero");
	if (!(*out = p2o_v_new(ev->a, V_LIST)))
		return OOM(ev, pos);
	for (int64_t i = a; s > 0 ? i < b : i > b; i += s) {
		if ((*out)->u.seq.n > 10000000)
			return p2o_arch_error(ev->err, pos, "range too long");
		if (p2o_v_push(ev->a, *out, p2o_v_int(ev->a, i)))
			return OOM(ev, pos);
	}
	return 0;
}

BUILTIN(b_len)
{
	struct p2o_val **items;
	size_t k;
	if (want(ev, n, 1, 1, "len", pos))
		return -1;
	if (args[0]->kind == V_STR)
		k = strlen(args[0]->u.s);
	else if (args[0]->kind == V_DICT)
		k = args[0]->u.seq.n / 2;
	else if (args[0]->kind == V_TENSOR) {
		struct p2o_val *shape;
		if (p2o_tensor_attr(ev, args[0], "shape", pos, &shape))
			return -1;
		if (!shape->u.seq.n)
			return p2o_arch_error(ev->err, pos, "len() of a 0-d tensor");
		*out = shape->u.seq.items[0];
		return 0;
	} else if (p2o_iterate(ev, args[0], pos, &items, &k))
		return -1;
	return (*out = p2o_v_int(ev->a, (int64_t)k)) ? 0 : OOM(ev, pos);
}

BUILTIN(b_int)
{
	double d;
	if (want(ev, n, 1, 1, "int", pos))
		return -1;
	if (args[0]->kind == V_INT)
		return *out = args[0], 0;
	if (p2o_val_float(args[0], &d))
		return p2o_arch_error(ev->err, pos, "int() of %s", p2o_v_kind_name(args[0]));
	return (*out = p2o_v_int(ev->a, (int64_t)d)) ? 0 : OOM(ev, pos);
}

/* float('1.5'), float('-inf'), float(' NaN '): Python's spellings (decimal
 * numbers; inf, infinity, nan in any case, signed), not strtod's others. */
static int parse_float(const char *s, double *out)
{
	const char *p, *end;
	double sign = 1;
	char *e;
	while (isspace((unsigned char)*s))
		s++;
	for (end = s + strlen(s); end > s && isspace((unsigned char)end[-1]); end--)
		;
	if (*(p = s) == '+' || *p == '-')
		sign = *p++ == '-' ? -1 : 1;
	if ((end - p == 3 && !strncasecmp(p, "inf", 3)) || (end - p == 8 && !strncasecmp(p, "infinity", 8)))
		return *out = sign * INFINITY, 0;
	if (end - p == 3 && !strncasecmp(p, "nan", 3))
		return *out = sign * NAN, 0;
	if (p == end || strpbrk(p, "xXpP(") || !(isdigit((unsigned char)*p) || *p == '.'))
		return -1;
	*out = strtod(s, &e);
	return e == end ? 0 : -1;
}

BUILTIN(b_float)
{
	double d;
	if (want(ev, n, 1, 1, "float", pos))
		return -1;
	if (args[0]->kind == V_STR ? parse_float(args[0]->u.s, &d) : p2o_val_float(args[0], &d))
		return ev->err->code ? -1 : args[0]->kind == V_STR ? p2o_arch_error(ev->err, pos,
			"could not convert string to float: '%s'", args[0]->u.s) : p2o_arch_error(
			ev->err, pos, "float() needs a number or a string, got %s", p2o_v_kind_name(args[0]));
	return (*out = p2o_v_float(ev->a, d)) ? 0 : OOM(ev, pos);
}

BUILTIN(b_bool)
{
	int b;
	if (want(ev, n, 1, 1, "bool", pos) || p2o_condition(ev, args[0], pos, &b))
		return -1;
	return (*out = p2o_v_bool(ev->a, b)) ? 0 : OOM(ev, pos);
}

static int to_seq(struct p2o_eval *ev, struct p2o_val **args, size_t n, enum p2o_vkind kind,
		  struct p2o_val **out, struct p2o_pos pos)
{
	struct p2o_val **items;
	size_t k = 0;

	if (want(ev, n, 0, 1, kind == V_LIST ? "list" : "tuple", pos) ||
	    (n && p2o_iterate(ev, args[0], pos, &items, &k)))
		return -1;
	if (!(*out = p2o_v_new(ev->a, kind)))
		return OOM(ev, pos);
	for (size_t i = 0; i < k; i++)
		if (p2o_v_push(ev->a, *out, items[i]))
			return OOM(ev, pos);
	return 0;
}

BUILTIN(b_list) { return to_seq(ev, args, n, V_LIST, out, pos); }
BUILTIN(b_tuple) { return to_seq(ev, args, n, V_TUPLE, out, pos); }

static int extreme(struct p2o_eval *ev, struct p2o_val **args, size_t n, int is_max,
		   struct p2o_val **out, struct p2o_pos pos)
{
	struct p2o_val **items = args;
	size_t k = n;

	if (n == 1 && p2o_iterate(ev, args[0], pos, &items, &k))
		return -1;
	if (!k)
		return p2o_arch_error(ev->err, pos, "%s() of nothing", is_max ? "max" : "min");
	*out = items[0];
	for (size_t i = 1; i < k; i++) {
		double a, b;
		if (p2o_val_float(items[i], &a) || p2o_val_float(*out, &b))
			return p2o_arch_error(ev->err, pos, "%s() needs numbers", is_max ? "max" : "min");
		if (is_max ? a > b : a < b)
			*out = items[i];
	}
	return 0;
}

BUILTIN(b_min) { return extreme(ev, args, n, 0, out, pos); }
BUILTIN(b_max) { return extreme(ev, args, n, 1, out, pos); }

BUILTIN(b_abs)
{
	struct p2o_val *zero = p2o_v_int(ev->a, 0);
	double d;
	if (want(ev, n, 1, 1, "abs", pos) || p2o_val_float(args[0], &d))
		return ev->err->code ? -1 : p2o_arch_error(ev->err, pos, "abs() needs a number");
	if (d >= 0)
		return *out = args[0], 0;
	return p2o_binop(ev, "-", zero, args[0], pos, out);
}

BUILTIN(b_sum)
{
	struct p2o_val **items;
	size_t k;
	if (want(ev, n, 1, 2, "sum", pos) || p2o_iterate(ev, args[0], pos, &items, &k))
		return -1;
	*out = n == 2 ? args[1] : p2o_v_int(ev->a, 0);
	for (size_t i = 0; i < k; i++)
		if (p2o_binop(ev, "+", *out, items[i], pos, out))
			return -1;
	return 0;
}

/* enumerate(xs) and zip(a, b, ...) give lists of tuples */
static int tuples(struct p2o_eval *ev, struct p2o_val **args, size_t n, int enumerate,
		  struct p2o_val **out, struct p2o_pos pos)
{
	struct p2o_val **its[8];
	size_t lens[8], len = SIZE_MAX;

	if (!n || n > 8)
		return p2o_arch_error(ev->err, pos, "zip/enumerate take 1 to 8 iterables");
	for (size_t i = 0; i < n; i++) {
		if (p2o_iterate(ev, args[i], pos, &its[i], &lens[i]))
			return -1;
		if (lens[i] < len)
			len = lens[i];
	}
	if (enumerate)
		len = lens[0];
	if (!(*out = p2o_v_new(ev->a, V_LIST)))
		return OOM(ev, pos);
	for (size_t k = 0; k < len; k++) {
		struct p2o_val *t = p2o_v_new(ev->a, V_TUPLE);
		if (!t || (enumerate && p2o_v_push(ev->a, t, p2o_v_int(ev->a, (int64_t)k))))
			return OOM(ev, pos);
		for (size_t i = 0; i < (enumerate ? 1 : n); i++)
			if (p2o_v_push(ev->a, t, its[i][k]))
				return OOM(ev, pos);
		if (p2o_v_push(ev->a, *out, t))
			return OOM(ev, pos);
	}
	return 0;
}

BUILTIN(b_enumerate) { return tuples(ev, args, n, 1, out, pos); }
BUILTIN(b_zip) { return tuples(ev, args, n, 0, out, pos); }

static int math1(struct p2o_eval *ev, struct p2o_val **args, size_t n, double (*fn)(double),
		 int to_int, struct p2o_val **out, struct p2o_pos pos)
{
	double d;

	if (want(ev, n, 1, 1, "math function", pos) || p2o_val_float(args[0], &d))
		return ev->err->code ? -1 : p2o_arch_error(ev->err, pos, "a number is expected");
	d = fn(d);
	*out = to_int ? p2o_v_int(ev->a, (int64_t)d) : p2o_v_float(ev->a, d);
	return *out ? 0 : OOM(ev, pos);
}

BUILTIN(b_ceil) { return math1(ev, args, n, ceil, 1, out, pos); }
BUILTIN(b_floor) { return math1(ev, args, n, floor, 1, out, pos); }
BUILTIN(b_sqrt) { return math1(ev, args, n, sqrt, 0, out, pos); }
BUILTIN(b_round) { return math1(ev, args, n, nearbyint, 1, out, pos); }

BUILTIN(b_log)
{
	double d;
	if (want(ev, n, 1, 1, "math.log", pos) || p2o_val_float(args[0], &d))
		return ev->err->code ? -1 : p2o_arch_error(ev->err, pos, "a number is expected");
	if (d <= 0)
		return p2o_arch_error(ev->err, pos, "math.log of a number <= 0");
	return (*out = p2o_v_float(ev->a, log(d))) ? 0 : OOM(ev, pos);
}

/* str(x): the text Python prints (module names such as "block1-0"). */
BUILTIN(b_str)
{
	char buf[512];
	if (want(ev, n, 1, 1, "str", pos))
		return -1;
	if (args[0]->kind == V_STR)
		return *out = args[0], 0;
	if (args[0]->kind == V_INT && args[0]->u.i < 0 && args[0]->sym_of)
		return p2o_arch_error(ev->err, pos, "str() of a size known only when the model runs");
	p2o_v_repr(args[0], buf, sizeof buf);
	return (*out = p2o_v_str(ev->a, p2o_strdup(ev->a, buf))) ? 0 : OOM(ev, pos);
}

BUILTIN(b_isinstance)
{
	if (want(ev, n, 2, 2, "isinstance", pos))
		return -1;
	int yes = args[0]->kind == V_MODULE && args[1]->kind == V_CLASS &&
		  (args[1]->u.cls ? args[0]->u.mod->block == args[1]->u.cls
				  : args[0]->u.mod->conv == args[1]->conv);
	if (args[1]->kind == V_BUILTIN) {
		const char *t = args[1]->u.builtin.name;
		yes = (!strcmp(t, "int") && args[0]->kind == V_INT) ||
		      (!strcmp(t, "float") && args[0]->kind == V_FLOAT) ||
		      (!strcmp(t, "list") && args[0]->kind == V_LIST) ||
		      (!strcmp(t, "tuple") && args[0]->kind == V_TUPLE);
	}
	return (*out = p2o_v_bool(ev->a, yes)) ? 0 : OOM(ev, pos);
}

BUILTIN(b_print)
{
	char buf[512];

	(void)ev;
	for (size_t i = 0; i < n; i++) {
		p2o_v_repr(args[i], buf, sizeof buf);
		fprintf(stderr, "%s%s", i ? " " : "", args[i]->kind == V_STR ? args[i]->u.s : buf);
	}
	fprintf(stderr, "\n");
	*out = p2o_v_none();
	return 0;
}

BUILTIN(b_ordered_dict)
{
	struct p2o_val **items, **kv;
	size_t k, two;
	if (!(*out = p2o_v_new(ev->a, V_DICT)))
		return OOM(ev, pos);
	if (!n)
		return 0;
	if (n > 1 || p2o_iterate(ev, args[0], pos, &items, &k))
		return ev->err->code ? -1 : p2o_arch_error(ev->err, pos, "OrderedDict takes a list of pairs");
	for (size_t i = 0; i < k; i++) {
		if (p2o_iterate(ev, items[i], pos, &kv, &two) || two != 2)
			return ev->err->code ? -1 : p2o_arch_error(ev->err, pos, "OrderedDict items are (key, value) pairs");
		if (p2o_v_push(ev->a, *out, kv[0]) || p2o_v_push(ev->a, *out, kv[1]))
			return OOM(ev, pos);
	}
	return 0;
}

BUILTIN(m_append)
{
	if (want(ev, n, 1, 1, "append", pos))
		return -1;
	*out = p2o_v_none();
	return p2o_v_push(ev->a, self, args[0]) ? OOM(ev, pos) : 0;
}

BUILTIN(m_extend)
{
	struct p2o_val **items;
	size_t k;
	if (want(ev, n, 1, 1, "extend", pos) || p2o_iterate(ev, args[0], pos, &items, &k))
		return -1;
	for (size_t i = 0; i < k; i++)
		if (p2o_v_push(ev->a, self, items[i]))
			return OOM(ev, pos);
	*out = p2o_v_none();
	return 0;
}

BUILTIN(m_copy)
{
	(void)args;
	if (want(ev, n, 0, 0, "copy", pos))
		return -1;
	return to_seq(ev, &self, 1, V_LIST, out, pos);
}

/* has_weights("aux1"): does the checkpoint hold the weight "aux1" or any
 * under "aux1." (full state_dict keys)?  For parts a checkpoint may or may
 * not carry, such as auxiliary heads that eval mode does not use. */
BUILTIN(b_has_weights)
{
	const char *p;
	size_t len;
	int yes = 0;
	if (want(ev, n, 1, 1, "has_weights", pos))
		return -1;
	if (args[0]->kind != V_STR)
		return p2o_arch_error(ev->err, pos, "has_weights takes a key prefix (a string), not %s",
				      p2o_v_kind_name(args[0]));
	p = args[0]->u.s;
	len = strlen(p);
	for (size_t i = 0; ev->w && !yes && i < ev->w->n; i++) {
		const char *k = ev->w->items[i].name;
		yes = !strncmp(k, p, len) && (k[len] == '\0' || k[len] == '.' || !len);
	}
	return (*out = p2o_v_bool(ev->a, yes)) ? 0 : OOM(ev, pos);
}

/* Module methods: m.add_module(name, child), m.children(), m.items(),
 * m.values() (children in registration order; items as (name, child)). */
BUILTIN(m_add_module)
{
	struct p2o_module *m = self->u.mod;
	if (want(ev, n, 2, 2, "add_module", pos))
		return -1;
	if (args[0]->kind != V_STR || args[1]->kind != V_MODULE)
		return p2o_arch_error(ev->err, pos, "add_module takes a name and a module, not %s and %s",
				      p2o_v_kind_name(args[0]), p2o_v_kind_name(args[1]));
	if (!m->scope || p2o_scope_set(ev->a, m->scope, args[0]->u.s, args[1]) ||
	    p2o_module_add_child(ev->a, m, args[0]->u.s, args[1]->u.mod))
		return OOM(ev, pos);
	*out = p2o_v_none();
	return 0;
}

static int module_children(struct p2o_eval *ev, struct p2o_val *self, size_t n, int named,
			   struct p2o_val **out, struct p2o_pos pos)
{
	struct p2o_module *m = self->u.mod;
	if (want(ev, n, 0, 0, named ? "items" : "children", pos))
		return -1;
	if (!(*out = p2o_v_new(ev->a, V_LIST)))
		return OOM(ev, pos);
	for (size_t i = 0; i < m->nchildren; i++) {
		struct p2o_val *c = p2o_v_new(ev->a, V_MODULE), *t = c, *name;
		if (!c)
			return OOM(ev, pos);
		c->u.mod = m->children[i];
		if (named && (!(t = p2o_v_new(ev->a, V_TUPLE)) ||
			      !(name = p2o_v_str(ev->a, m->child_names[i])) ||
			      p2o_v_push(ev->a, t, name) || p2o_v_push(ev->a, t, c)))
			return OOM(ev, pos);
		if (p2o_v_push(ev->a, *out, t))
			return OOM(ev, pos);
	}
	return 0;
}

BUILTIN(m_children) { (void)args; return module_children(ev, self, n, 0, out, pos); }
BUILTIN(m_items) { (void)args; return module_children(ev, self, n, 1, out, pos); }

static const struct {
	const char *name;
	p2o_builtin_fn fn;
} BUILTINS[] = {
	{"range", b_range}, {"len", b_len}, {"int", b_int}, {"float", b_float},
	{"bool", b_bool}, {"list", b_list}, {"tuple", b_tuple}, {"min", b_min},
	{"max", b_max}, {"abs", b_abs}, {"sum", b_sum}, {"enumerate", b_enumerate},
	{"zip", b_zip}, {"round", b_round}, {"isinstance", b_isinstance},
	{"print", b_print}, {"OrderedDict", b_ordered_dict},
	{"collections.OrderedDict", b_ordered_dict}, {"math.ceil", b_ceil},
	{"math.floor", b_floor}, {"math.sqrt", b_sqrt}, {"list.append", m_append},
	{"list.extend", m_extend}, {"list.copy", m_copy}, {"math.log", b_log}, {"str", b_str},
	{"has_weights", b_has_weights},
	{"module.add_module", m_add_module}, {"module.children", m_children},
	{"module.values", m_children}, {"module.items", m_items},
	{"module.named_children", m_items},
};

static const char *const NAMESPACES[] = {"torch", "nn", "F", "functional", "math", "init", "collections"};

static const struct {
	const char *name;
	enum p2o_dtype dt;
} DTYPES[] = {
	{"torch.float32", P2O_DT_FLOAT32}, {"torch.float", P2O_DT_FLOAT32},
	{"torch.float16", P2O_DT_FLOAT16}, {"torch.half", P2O_DT_FLOAT16},
	{"torch.float64", P2O_DT_FLOAT64}, {"torch.double", P2O_DT_FLOAT64},
	{"torch.int64", P2O_DT_INT64}, {"torch.long", P2O_DT_INT64},
	{"torch.int32", P2O_DT_INT32}, {"torch.int", P2O_DT_INT32},
	{"torch.bool", P2O_DT_BOOL}, {"torch.uint8", P2O_DT_UINT8},
};

static const struct { const char *name; double v; } CONSTANTS[] = {
	{"math.pi", M_PI}, {"math.e", M_E}, {"math.inf", INFINITY}, {"math.nan", NAN},
	{"torch.pi", M_PI}, {"torch.e", M_E}, {"torch.inf", INFINITY}, {"torch.nan", NAN},
};

int p2o_builtins_install(struct p2o_eval *ev, struct p2o_scope *g)
{
	const struct p2o_converter *const *all;
	size_t n;
	struct p2o_val *v;

	all = p2o_converters(&n);
	for (size_t i = 0; i < n; i++) {
		if (!(v = p2o_v_new(ev->a, all[i]->flags & P2O_CONV_LAYER ? V_CLASS : V_OP)))
			return -1;
		v->conv = all[i];
		if (p2o_scope_set(ev->a, g, all[i]->name, v))
			return -1;
	}
	for (size_t i = 0; i < P2O_ARRAY_LEN(BUILTINS); i++) {
		if (!(v = p2o_v_new(ev->a, V_BUILTIN)))
			return -1;
		v->u.builtin.name = BUILTINS[i].name;
		v->u.builtin.fn = BUILTINS[i].fn;
		if (p2o_scope_set(ev->a, g, BUILTINS[i].name, v))
			return -1;
	}
	for (size_t i = 0; i < P2O_ARRAY_LEN(NAMESPACES); i++) {
		if (!(v = p2o_v_new(ev->a, V_NAMESPACE)))
			return -1;
		v->u.s = NAMESPACES[i];
		if (p2o_scope_set(ev->a, g, NAMESPACES[i], v))
			return -1;
	}
	for (size_t i = 0; i < P2O_ARRAY_LEN(DTYPES); i++) {
		if (!(v = p2o_v_new(ev->a, V_DTYPE)))
			return -1;
		v->u.dtype = DTYPES[i].dt;
		if (p2o_scope_set(ev->a, g, DTYPES[i].name, v))
			return -1;
	}
	for (size_t i = 0; i < P2O_ARRAY_LEN(CONSTANTS); i++)
		if (!(v = p2o_v_float(ev->a, CONSTANTS[i].v)) || p2o_scope_set(ev->a, g, CONSTANTS[i].name, v))
			return -1;
	/* the library's classes (Transformer layers) after the converters */
	return g == ev->globals ? p2o_arch_define_library(ev) : 0;
}
