/* module_repr.c — see module_repr.h.  One rule per torch.nn class, written
 * from PyTorch's documented extra_repr formats. */
#include "module_repr.h"

#include <stdio.h>
#include <string.h>

struct out {
	char *p;
	size_t cap, len;
	const struct p2o_obj *m;
};

static void add(struct out *o, const char *s)
{
	size_t n = strlen(s);
	if (o->len + n + 1 > o->cap)
		n = o->cap > o->len + 1 ? o->cap - o->len - 1 : 0;
	memcpy(o->p + o->len, s, n);
	o->len += n;
	o->p[o->len] = 0;
}

/* Python's str(): strings bare, everything else as repr. */
static void val(struct out *o, const struct p2o_obj *v)
{
	char buf[256];

	if (v && v->kind == PY_STR) {
		add(o, v->u.str.s);
		return;
	}
	p2o_repr(v, buf, sizeof buf);
	add(o, buf);
}

static const struct p2o_obj *A(const struct out *o, const char *name)
{
	return p2o_attr(o->m, name);
}

/* ", name=value" (or "name=value" first) */
static void kv(struct out *o, const char *name)
{
	if (o->len && o->p[o->len - 1] != '(')
		add(o, ", ");
	add(o, name);
	add(o, "=");
	val(o, A(o, name));
}

static void pos(struct out *o, const char *name)
{
	if (o->len && o->p[o->len - 1] != '(')
		add(o, ", ");
	val(o, A(o, name));
}

/* Is the attribute a tuple whose items all equal v (PyTorch prints
 * padding only when it differs from (0,)*n)? */
static int all_eq(const struct p2o_obj *t, int64_t v)
{
	int64_t x;
	if (!t || t->kind != PY_TUPLE)
		return !p2o_obj_as_int(t, &x) && x == v;
	for (size_t i = 0; i < t->u.seq.n; i++)
		if (p2o_obj_as_int(t->u.seq.items[i], &x) || x != v)
			return 0;
	return 1;
}

static int truthy(const struct p2o_obj *v)
{
	return v && ((v->kind == PY_BOOL && v->u.boolean) || (v->kind == PY_INT && v->u.i));
}

static int bias_missing(const struct out *o)
{
	const struct p2o_obj *params = A(o, "_parameters");
	const struct p2o_obj *b = p2o_dict_get(params, "bias");
	return !b || b->kind == PY_NONE;
}

static void conv(struct out *o)
{
	pos(o, "in_channels");
	pos(o, "out_channels");
	kv(o, "kernel_size");
	kv(o, "stride");
	if (!all_eq(A(o, "padding"), 0)) kv(o, "padding");
	if (!all_eq(A(o, "dilation"), 1)) kv(o, "dilation");
	if (!all_eq(A(o, "output_padding"), 0)) kv(o, "output_padding");
	if (!all_eq(A(o, "groups"), 1)) kv(o, "groups");
	if (bias_missing(o)) add(o, ", bias=False");
	if (A(o, "padding_mode") && !p2o_is_str(A(o, "padding_mode"), "zeros"))
		kv(o, "padding_mode");
}

static void linear(struct out *o)
{
	kv(o, "in_features");
	kv(o, "out_features");
	add(o, bias_missing(o) ? ", bias=False" : ", bias=True");
}

static void batchnorm(struct out *o)
{
	pos(o, "num_features");
	kv(o, "eps");
	kv(o, "momentum");
	kv(o, "affine");
	kv(o, "track_running_stats");
}

static void inplace(struct out *o)
{
	if (truthy(A(o, "inplace")))
		add(o, "inplace=True");
}

static void leaky(struct out *o)
{
	kv(o, "negative_slope");
	if (truthy(A(o, "inplace")))
		add(o, ", inplace=True");
}

static void maxpool(struct out *o)
{
	kv(o, "kernel_size"); kv(o, "stride"); kv(o, "padding");
	kv(o, "dilation"); kv(o, "ceil_mode");
}

static void avgpool(struct out *o)
{
	kv(o, "kernel_size"); kv(o, "stride"); kv(o, "padding");
}

static void adaptive(struct out *o) { kv(o, "output_size"); }
static void dropout(struct out *o) { kv(o, "p"); kv(o, "inplace"); }
static void flatten(struct out *o) { kv(o, "start_dim"); kv(o, "end_dim"); }

static void layernorm(struct out *o)
{
	pos(o, "normalized_shape");
	kv(o, "eps");
	kv(o, "elementwise_affine");
}

static void groupnorm(struct out *o)
{
	pos(o, "num_groups"); pos(o, "num_channels"); kv(o, "eps"); kv(o, "affine");
}

static void embedding(struct out *o)
{
	const struct p2o_obj *pad = A(o, "padding_idx");
	pos(o, "num_embeddings");
	pos(o, "embedding_dim");
	if (pad && pad->kind != PY_NONE)
		kv(o, "padding_idx");
}

static void softmax(struct out *o) { kv(o, "dim"); }
static void nothing(struct out *o) { (void)o; }

static const struct {
	const char *cls;
	void (*fn)(struct out *);
} RULES[] = {
	{"Conv1d", conv}, {"Conv2d", conv}, {"Conv3d", conv},
	{"ConvTranspose1d", conv}, {"ConvTranspose2d", conv}, {"ConvTranspose3d", conv},
	{"Linear", linear},
	{"BatchNorm1d", batchnorm}, {"BatchNorm2d", batchnorm}, {"BatchNorm3d", batchnorm},
	{"ReLU", inplace}, {"ReLU6", inplace}, {"SiLU", inplace}, {"Hardswish", inplace},
	{"Hardsigmoid", inplace}, {"Mish", inplace}, {"SELU", inplace},
	{"LeakyReLU", leaky},
	{"MaxPool1d", maxpool}, {"MaxPool2d", maxpool}, {"MaxPool3d", maxpool},
	{"AvgPool1d", avgpool}, {"AvgPool2d", avgpool}, {"AvgPool3d", avgpool},
	{"AdaptiveAvgPool1d", adaptive}, {"AdaptiveAvgPool2d", adaptive},
	{"AdaptiveAvgPool3d", adaptive}, {"AdaptiveMaxPool2d", adaptive},
	{"Dropout", dropout}, {"Dropout2d", dropout}, {"Dropout1d", dropout},
	{"Flatten", flatten}, {"LayerNorm", layernorm}, {"GroupNorm", groupnorm},
	{"Embedding", embedding}, {"Softmax", softmax}, {"LogSoftmax", softmax},
	{"Identity", nothing}, {"Sigmoid", nothing}, {"Tanh", nothing},
	{"Sequential", nothing}, {"ModuleList", nothing}, {"GELU", nothing},
};

void p2o_module_repr(const struct p2o_obj *module, char *buf, size_t cap)
{
	const struct p2o_obj *cls = module && module->kind == PY_OBJECT ?
					    module->u.object.cls : NULL;
	const char *name = cls && cls->kind == PY_GLOBAL ? cls->u.global.name : "?";
	int torch_nn = cls && cls->kind == PY_GLOBAL &&
		       !strncmp(cls->u.global.module, "torch.nn.", 9);
	struct out o = {buf, cap, 0, module};

	if (!cap)
		return;
	buf[0] = 0;
	add(&o, name);
	add(&o, "(");
	for (size_t i = 0; torch_nn && i < P2O_ARRAY_LEN(RULES); i++)
		if (!strcmp(RULES[i].cls, name)) {
			RULES[i].fn(&o);
			break;
		}
	add(&o, ")");
}
