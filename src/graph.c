/* graph.c — building and querying the IR (see graph.h). */
#include "graph.h"

#include <stdio.h>
#include <string.h>

#define PUSH(g, arr, n, cap, v)                                                \
	(p2o_grow(&(g)->arena, (void **)&(arr), &(cap), (n) + 1, sizeof *(arr)) \
		 ? -1 : ((arr)[(n)++] = (v), 0))

int p2o_graph_init(struct p2o_graph *g, const char *name,
		   const struct p2o_opset *opset)
{
	memset(g, 0, sizeof *g);
	p2o_arena_init(&g->arena);
	g->opset = opset;
	g->name = p2o_strdup(&g->arena, name);
	return g->name ? 0 : -1;
}

void p2o_graph_free(struct p2o_graph *g)
{
	p2o_arena_free(&g->arena);
}

static struct p2o_value *find_value(const struct p2o_graph *g, const char *name)
{
	for (size_t i = g->nvalues; i-- > 0;)
		if (!strcmp(g->values[i]->name, name))
			return g->values[i];
	return NULL;
}

const char *p2o_graph_unique_name(struct p2o_graph *g, const char *hint)
{
	const char *name = hint;

	while (find_value(g, name))
		if (!(name = p2o_sprintf(&g->arena, "%s_%u", hint, ++g->name_counter)))
			return NULL;
	return name == hint ? p2o_strdup(&g->arena, hint) : name;
}

static struct p2o_value *new_value(struct p2o_graph *g, const char *hint)
{
	struct p2o_value *v = p2o_alloc(&g->arena, sizeof *v);

	if (!v || !(v->name = p2o_graph_unique_name(g, hint)) ||
	    PUSH(g, g->values, g->nvalues, g->values_cap, v))
		return NULL;
	v->rank = -1;
	return v;
}

static void set_shape(struct p2o_value *v, enum p2o_dtype dtype, int rank,
		      const int64_t *shape)
{
	v->dtype = dtype;
	v->rank = rank;
	for (int d = 0; d < rank; d++)
		v->dims[d] = (struct p2o_dim){shape[d], NULL};
}

struct p2o_value *p2o_graph_input(struct p2o_graph *g, const char *name,
				  enum p2o_dtype dtype, int rank,
				  const struct p2o_dim *dims)
{
	struct p2o_value *v = new_value(g, name);

	if (!v || rank > P2O_MAX_RANK || PUSH(g, g->inputs, g->ninputs, g->inputs_cap, v))
		return NULL;
	v->dtype = dtype;
	v->rank = rank;
	memcpy(v->dims, dims, (size_t)rank * sizeof *dims);
	v->flags |= P2O_VAL_INPUT;
	return v;
}

int p2o_graph_output(struct p2o_graph *g, struct p2o_value *v, const char *name)
{
	if (name && strcmp(v->name, name)) {
		struct p2o_value *other = find_value(g, name);
		if (other) /* the wanted name is taken: give the other one a new name */
			if (!(other->name = p2o_sprintf(&g->arena, "%s_%u", name, ++g->name_counter)))
				return -1;
		if (!(v->name = p2o_strdup(&g->arena, name)))
			return -1;
	}
	v->flags |= P2O_VAL_OUTPUT;
	v->nuses++;
	return PUSH(g, g->outputs, g->noutputs, g->outputs_cap, v);
}

static struct p2o_value *new_init(struct p2o_graph *g, const char *hint,
				  enum p2o_const_kind kind)
{
	struct p2o_value *v = new_value(g, hint);
	struct p2o_const *c = v ? p2o_alloc(&g->arena, sizeof *c) : NULL;

	if (!c || PUSH(g, g->inits, g->ninits, g->inits_cap, v))
		return NULL;
	c->kind = kind;
	v->konst = c;
	return v;
}

struct p2o_value *p2o_graph_weight(struct p2o_graph *g, const char *key,
				   const struct p2o_tensor *t)
{
	struct p2o_value *v = find_value(g, key);

	if (v && v->konst && v->konst->kind == P2O_CONST_TENSOR && v->konst->tensor == t)
		return v;
	if (!(v = new_init(g, key, P2O_CONST_TENSOR)))
		return NULL;
	v->konst->tensor = t;
	set_shape(v, t->dtype, t->rank, t->shape);
	return v;
}

struct p2o_value *p2o_graph_const(struct p2o_graph *g, const char *name_hint,
				  enum p2o_dtype dtype, int rank,
				  const int64_t *shape, const void *data)
{
	struct p2o_value *v = new_init(g, name_hint, P2O_CONST_BYTES);
	size_t n;
	void *copy;

	if (!v)
		return NULL;
	set_shape(v, dtype, rank, shape);
	n = p2o_const_nbytes(v);
	if (!(copy = p2o_alloc(&g->arena, n ? n : 1)))
		return NULL;
	memcpy(copy, data, n);
	v->konst->bytes = copy;
	return v;
}

struct p2o_value *p2o_graph_const_i64(struct p2o_graph *g, const char *name_hint,
				      const int64_t *v, size_t n)
{
	int64_t shape = (int64_t)n;
	return p2o_graph_const(g, name_hint, P2O_DT_INT64, 1, &shape, v);
}

struct p2o_value *p2o_graph_scalar_f32(struct p2o_graph *g, const char *name_hint,
				       float v)
{
	return p2o_graph_const(g, name_hint, P2O_DT_FLOAT32, 0, NULL, &v);
}

struct p2o_value *p2o_graph_lazy(struct p2o_graph *g, const char *name,
				 enum p2o_dtype dtype, int rank,
				 const int64_t *shape, p2o_produce_fn produce,
				 const void *ctx)
{
	struct p2o_value *v = new_init(g, name, P2O_CONST_LAZY);

	if (!v)
		return NULL;
	set_shape(v, dtype, rank, shape);
	v->konst->produce = produce;
	v->konst->ctx = ctx;
	return v;
}

static int node_name_taken(const struct p2o_graph *g, const char *name)
{
	for (size_t i = g->nnodes; i-- > 0;)
		if (!strcmp(g->nodes[i]->name, name))
			return 1;
	return 0;
}

/* A module called twice (a shared ReLU) names its second node "relu_1". */
static const char *unique_node_name(struct p2o_graph *g, const char *hint)
{
	const char *name = hint;

	for (unsigned k = 1; node_name_taken(g, name); k++)
		if (!(name = p2o_sprintf(&g->arena, "%s_%u", hint, k)))
			return NULL;
	return name == hint ? p2o_strdup(&g->arena, hint) : name;
}

struct p2o_node *p2o_graph_node(struct p2o_graph *g, const char *op,
				const char *name, struct p2o_value *const *inputs,
				size_t nin, size_t nout)
{
	struct p2o_node *n = p2o_alloc(&g->arena, sizeof *n);

	if (!n || !(n->op = p2o_strdup(&g->arena, op)) ||
	    !(n->name = unique_node_name(g, name && *name ? name : op)))
		return NULL;
	n->domain = "";
	n->inputs = p2o_alloc_array(&g->arena, nin, sizeof *n->inputs);
	n->outputs = p2o_alloc_array(&g->arena, nout, sizeof *n->outputs);
	if (!n->inputs || !n->outputs)
		return NULL;
	n->nin = nin;
	n->nout = nout;
	for (size_t i = 0; i < nin; i++) {
		n->inputs[i] = inputs[i];
		if (inputs[i])
			inputs[i]->nuses++;
	}
	for (size_t i = 0; i < nout; i++) {
		const char *hint = nout == 1 ? n->name :
				   p2o_sprintf(&g->arena, "%s_output_%zu", n->name, i);
		if (!hint || !(n->outputs[i] = new_value(g, hint)))
			return NULL;
		n->outputs[i]->producer = n;
	}
	if (PUSH(g, g->nodes, g->nnodes, g->nodes_cap, n))
		return NULL;
	return n;
}

static struct p2o_attr *new_attr(struct p2o_graph *g, struct p2o_node *n,
				 const char *name, enum p2o_attr_kind kind)
{
	struct p2o_attr *a;

	if (p2o_grow(&g->arena, (void **)&n->attrs, &n->attrs_cap, n->nattrs + 1,
		     sizeof *n->attrs))
		return NULL;
	a = &n->attrs[n->nattrs++];
	memset(a, 0, sizeof *a);
	a->name = name;
	a->kind = kind;
	return a;
}

int p2o_attr_int(struct p2o_graph *g, struct p2o_node *n, const char *name, int64_t v)
{
	struct p2o_attr *a = new_attr(g, n, name, P2O_ATTR_INT);
	return a ? (a->i = v, 0) : -1;
}

int p2o_attr_float(struct p2o_graph *g, struct p2o_node *n, const char *name, float v)
{
	struct p2o_attr *a = new_attr(g, n, name, P2O_ATTR_FLOAT);
	return a ? (a->f = v, 0) : -1;
}

int p2o_attr_string(struct p2o_graph *g, struct p2o_node *n, const char *name,
		    const char *v)
{
	struct p2o_attr *a = new_attr(g, n, name, P2O_ATTR_STRING);
	return a && (a->s = p2o_strdup(&g->arena, v)) ? 0 : -1;
}

int p2o_attr_ints(struct p2o_graph *g, struct p2o_node *n, const char *name,
		  const int64_t *v, size_t count)
{
	struct p2o_attr *a = new_attr(g, n, name, P2O_ATTR_INTS);
	if (!a || !(a->ints = p2o_alloc_array(&g->arena, count, sizeof *v)))
		return -1;
	memcpy(a->ints, v, count * sizeof *v);
	a->n = count;
	return 0;
}

int p2o_attr_floats(struct p2o_graph *g, struct p2o_node *n, const char *name,
		    const float *v, size_t count)
{
	struct p2o_attr *a = new_attr(g, n, name, P2O_ATTR_FLOATS);
	if (!a || !(a->floats = p2o_alloc_array(&g->arena, count, sizeof *v)))
		return -1;
	memcpy(a->floats, v, count * sizeof *v);
	a->n = count;
	return 0;
}

int p2o_attr_strings(struct p2o_graph *g, struct p2o_node *n, const char *name,
		     const char *const *v, size_t count)
{
	struct p2o_attr *a = new_attr(g, n, name, P2O_ATTR_STRINGS);
	if (!a || !(a->strs = p2o_alloc_array(&g->arena, count, sizeof *a->strs)))
		return -1;
	for (size_t i = 0; i < count; i++)
		if (!(a->strs[i] = p2o_strdup(&g->arena, v[i])))
			return -1;
	a->n = count;
	return 0;
}

const struct p2o_attr *p2o_node_attr(const struct p2o_node *n, const char *name)
{
	for (size_t i = 0; i < n->nattrs; i++)
		if (!strcmp(n->attrs[i].name, name))
			return &n->attrs[i];
	return NULL;
}

int p2o_graph_meta(struct p2o_graph *g, const char *key, const char *value)
{
	struct p2o_meta m = {p2o_strdup(&g->arena, key), p2o_strdup(&g->arena, value)};
	if (!m.key || !m.value)
		return -1;
	return PUSH(g, g->meta, g->nmeta, g->meta_cap, m);
}

size_t p2o_value_numel(const struct p2o_value *v)
{
	size_t n = 1;

	if (v->rank < 0)
		return 0;
	for (int d = 0; d < v->rank; d++) {
		if (v->dims[d].v < 0)
			return 0;
		n *= (size_t)v->dims[d].v;
	}
	return n;
}

size_t p2o_const_nbytes(const struct p2o_value *v)
{
	return p2o_value_numel(v) * p2o_dtype_info(v->dtype)->size;
}

const void *p2o_const_data(const struct p2o_value *v)
{
	if (!v->konst)
		return NULL;
	if (v->konst->kind == P2O_CONST_BYTES)
		return v->konst->bytes;
	if (v->konst->kind == P2O_CONST_TENSOR)
		return p2o_tensor_plain_data(v->konst->tensor);
	return NULL;
}

long p2o_const_ints(const struct p2o_value *v, int64_t *out, size_t max)
{
	const void *data = p2o_const_data(v);
	size_t n = p2o_value_numel(v);

	if (!data || n > max || (v->dtype != P2O_DT_INT64 && v->dtype != P2O_DT_INT32))
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (v->dtype == P2O_DT_INT64) {
			memcpy(&out[i], (const char *)data + 8 * i, 8);
		} else {
			int32_t x;
			memcpy(&x, (const char *)data + 4 * i, 4);
			out[i] = x;
		}
	}
	return (long)n;
}

void p2o_graph_replace_uses(struct p2o_graph *g, struct p2o_value *from,
			    struct p2o_value *to)
{
	for (size_t i = 0; i < g->nnodes; i++) {
		struct p2o_node *n = g->nodes[i];
		for (size_t k = 0; !n->dead && k < n->nin; k++)
			if (n->inputs[k] == from) {
				n->inputs[k] = to;
				from->nuses--;
				to->nuses++;
			}
	}
	for (size_t i = 0; i < g->noutputs; i++)
		if (g->outputs[i] == from) {
			/* the output keeps its name: the replacement takes it */
			const char *name = from->name;
			from->name = to->name;
			to->name = name;
			to->flags |= P2O_VAL_OUTPUT;
			from->flags &= ~(unsigned)P2O_VAL_OUTPUT;
			g->outputs[i] = to;
			from->nuses--;
			to->nuses++;
		}
}

void p2o_graph_count_uses(struct p2o_graph *g)
{
	for (size_t i = 0; i < g->nvalues; i++)
		g->values[i]->nuses = 0;
	for (size_t i = 0; i < g->nnodes; i++)
		for (size_t k = 0; !g->nodes[i]->dead && k < g->nodes[i]->nin; k++)
			if (g->nodes[i]->inputs[k])
				g->nodes[i]->inputs[k]->nuses++;
	for (size_t i = 0; i < g->noutputs; i++)
		g->outputs[i]->nuses++;
}
