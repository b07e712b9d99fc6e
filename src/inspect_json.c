/* inspect_json.c — `pth2onnx inspect --json` (docs/inspect-json.md). */
#include "inspect.h"
#include "module_repr.h"
#include "recognize.h"

#include <cjson/cJSON.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Exact text for one element: %.9g for float32 and narrower, %.17g for
 * float64, integers as integers. */
static int put_float(char *buf, size_t cap, double v, int f64)
{
	if (isnan(v))
		return snprintf(buf, cap, "\"nan\"");
	if (isinf(v))
		return snprintf(buf, cap, v < 0 ? "\"-inf\"" : "\"inf\"");
	return snprintf(buf, cap, f64 ? "%.17g" : "%.9g", v);
}

static int put_value(char *buf, size_t cap, const struct p2o_tensor *t, int64_t i)
{
	switch (t->dtype) {
	case P2O_DT_BOOL:
		return snprintf(buf, cap, "%s", p2o_tensor_get_i64(t, i) ? "true" : "false");
	case P2O_DT_FLOAT64: case P2O_DT_FLOAT32: case P2O_DT_FLOAT16: case P2O_DT_BFLOAT16:
		return put_float(buf, cap, p2o_tensor_get_f64(t, i), t->dtype == P2O_DT_FLOAT64);
	case P2O_DT_COMPLEX64: case P2O_DT_COMPLEX128: {
		struct p2o_tensor part = *t;
		part.dtype = t->dtype == P2O_DT_COMPLEX64 ? P2O_DT_FLOAT32 : P2O_DT_FLOAT64;
		/* view the complex tensor as its real pairs */
		part.rank = t->rank + 1;
		for (int d = 0; d < t->rank; d++)
			part.stride[d] = t->stride[d] * 2;
		part.shape[t->rank] = 2;
		part.stride[t->rank] = 1;
		part.offset = t->offset * 2;
		int n = snprintf(buf, cap, "[");
		n += put_float(buf + n, cap - (size_t)n, p2o_tensor_get_f64(&part, 2 * i),
			       part.dtype == P2O_DT_FLOAT64);
		n += snprintf(buf + n, cap - (size_t)n, ", ");
		n += put_float(buf + n, cap - (size_t)n, p2o_tensor_get_f64(&part, 2 * i + 1),
			       part.dtype == P2O_DT_FLOAT64);
		return n + snprintf(buf + n, cap - (size_t)n, "]");
	}
	default:
		return snprintf(buf, cap, "%" PRId64, p2o_tensor_get_i64(t, i));
	}
}

static cJSON *values_json(const struct p2o_tensor *t)
{
	int64_t n = p2o_tensor_numel(t);
	size_t cap = (size_t)n * 64 + 3, len = 1;
	char *buf = malloc(cap);
	cJSON *raw;

	if (!buf)
		return NULL;
	buf[0] = '[';
	for (int64_t i = 0; i < n && t->storage; i++) {
		if (i)
			buf[len++] = ',';
		len += (size_t)put_value(buf + len, cap - len, t, i);
	}
	buf[len++] = ']';
	buf[len] = 0;
	raw = cJSON_CreateRaw(buf);
	free(buf);
	return raw;
}

static cJSON *module_json(struct p2o_arena *a, const struct p2o_obj *m,
			  const char *name, int depth)
{
	cJSON *j = cJSON_CreateObject(), *kids = cJSON_CreateArray();
	const struct p2o_dict *children = p2o_module_children(m);
	const char *cls = p2o_class_name(a, m);
	char line[1024];

	p2o_module_repr(m, line, sizeof line);
	cJSON_AddStringToObject(j, "name", name);
	cJSON_AddStringToObject(j, "class", cls ? cls : "");
	cJSON_AddStringToObject(j, "repr", line);
	for (size_t i = 0; depth < 64 && children && i < children->n; i++)
		if (p2o_is_module(children->vals[i]) && children->keys[i]->kind == PY_STR)
			cJSON_AddItemToArray(kids, module_json(a, children->vals[i],
							       children->keys[i]->u.str.s, depth + 1));
	cJSON_AddItemToObject(j, "children", kids);
	return j;
}

static cJSON *str_or_null(const char *s)
{
	return s ? cJSON_CreateString(s) : cJSON_CreateNull();
}

static cJSON *candidate_json(const struct p2o_candidate *c)
{
	cJSON *j = cJSON_CreateObject(), *reasons = cJSON_CreateArray();

	cJSON_AddStringToObject(j, "name", c->name);
	cJSON_AddStringToObject(j, "file", c->file);
	cJSON_AddNumberToObject(j, "problems", (double)c->problems);
	cJSON_AddItemToObject(j, "classes", c->classes >= 0 ?
			      cJSON_CreateNumber((double)c->classes) : cJSON_CreateNull());
	for (size_t i = 0; i < c->nreasons; i++)
		cJSON_AddItemToArray(reasons, cJSON_CreateString(c->reasons[i]));
	cJSON_AddItemToObject(j, "problems_first", reasons);
	return j;
}

/* {"recognised": name or null, "matches": [...], "closest": [...]} */
static cJSON *architecture_json(const struct p2o_weights *w)
{
	struct p2o_recognition r;
	struct p2o_err err = {0};
	cJSON *j, *matches, *closest;

	if (!w->n || p2o_recognize(w, &r, &err))
		return cJSON_CreateNull();
	j = cJSON_CreateObject();
	matches = cJSON_CreateArray();
	closest = cJSON_CreateArray();
	cJSON_AddItemToObject(j, "recognised", r.nmatches == 1 ?
			      cJSON_CreateString(r.matches[0].name) : cJSON_CreateNull());
	for (size_t i = 0; i < r.nmatches && i < P2O_MAX_CANDIDATES; i++)
		cJSON_AddItemToArray(matches, candidate_json(&r.matches[i]));
	for (size_t i = 0; i < r.ncandidates; i++)
		cJSON_AddItemToArray(closest, candidate_json(&r.candidates[i]));
	cJSON_AddItemToObject(j, "matches", matches);
	cJSON_AddItemToObject(j, "closest", closest);
	return j;
}

int p2o_inspect_json(struct p2o_checkpoint *ck, const struct p2o_weights *w,
		     const struct p2o_inspect_opts *opts, FILE *out,
		     struct p2o_err *err)
{
	cJSON *doc = cJSON_CreateObject(), *top = cJSON_CreateArray();
	cJSON *tensors = cJSON_CreateArray(), *others = cJSON_CreateArray();
	cJSON *warnings = cJSON_CreateArray();
	const struct p2o_obj *root = ck->root;
	uint64_t total_numel = 0, total_bytes = 0;
	char buf[512];
	char *text;

	cJSON_AddStringToObject(doc, "file", ck->path);
	cJSON_AddStringToObject(doc, "format", p2o_format_name(ck->format));
	cJSON_AddItemToObject(doc, "archive_name", str_or_null(ck->archive_name));
	cJSON_AddItemToObject(doc, "version", str_or_null(ck->version));
	cJSON_AddStringToObject(doc, "byteorder", ck->big_endian ? "big" : "little");
	if (root->kind == PY_DICT && !p2o_holds_weights(root)) {
		for (size_t i = 0; i < root->u.dict.n; i++) {
			cJSON *e = cJSON_CreateObject();
			char key[256];
			if (root->u.dict.keys[i]->kind == PY_STR)
				snprintf(key, sizeof key, "%s", root->u.dict.keys[i]->u.str.s);
			else
				p2o_repr(root->u.dict.keys[i], key, sizeof key);
			p2o_summary(ck, root->u.dict.vals[i], buf, sizeof buf);
			cJSON_AddStringToObject(e, "key", key);
			cJSON_AddStringToObject(e, "summary", buf);
			cJSON_AddItemToArray(top, e);
		}
	} else {
		cJSON *e = cJSON_CreateObject();
		p2o_summary(ck, root, buf, sizeof buf);
		cJSON_AddStringToObject(e, "key", "");
		cJSON_AddStringToObject(e, "summary", buf);
		cJSON_AddItemToArray(top, e);
	}
	cJSON_AddItemToObject(doc, "top_level", top);
	cJSON_AddItemToObject(doc, "weights_key", str_or_null(w->key));
	cJSON_AddItemToObject(doc, "stripped_prefix", str_or_null(w->stripped_prefix));
	for (size_t i = 0; i < w->others.n; i++)
		cJSON_AddItemToArray(others, cJSON_CreateString(w->others.items[i]));
	cJSON_AddItemToObject(doc, "other_weight_sets", others);
	for (size_t i = 0; i < w->n; i++) {
		const struct p2o_tensor *t = w->items[i].t;
		cJSON *e = cJSON_CreateObject(), *shape = cJSON_CreateArray();
		int64_t numel = p2o_tensor_numel(t);
		uint64_t bytes = (uint64_t)numel * p2o_dtype_info(t->dtype)->size;
		cJSON_AddStringToObject(e, "name", w->items[i].name);
		cJSON_AddStringToObject(e, "dtype", p2o_dtype_info(t->dtype)->name);
		for (int d = 0; d < t->rank; d++)
			cJSON_AddItemToArray(shape, cJSON_CreateNumber((double)t->shape[d]));
		cJSON_AddItemToObject(e, "shape", shape);
		cJSON_AddNumberToObject(e, "numel", (double)numel);
		cJSON_AddNumberToObject(e, "bytes", (double)bytes);
		if (opts->values) {
			cJSON *v = values_json(t);
			if (!v) {
				cJSON_Delete(doc);
				return p2o_errf(err, P2O_ENOMEM, ck->path, "out of memory");
			}
			cJSON_AddItemToObject(e, "values", v);
		}
		cJSON_AddItemToArray(tensors, e);
		total_numel += (uint64_t)numel;
		total_bytes += bytes;
	}
	cJSON_AddItemToObject(doc, "tensors", tensors);
	cJSON_AddNumberToObject(doc, "total_numel", (double)total_numel);
	cJSON_AddNumberToObject(doc, "total_bytes", (double)total_bytes);
	cJSON_AddItemToObject(doc, "architecture", architecture_json(w));
	cJSON_AddItemToObject(doc, "modules", w->module ?
			      module_json(&ck->arena, w->module, "", 0) : cJSON_CreateNull());
	for (size_t i = 0; i < ck->warnings.n; i++)
		cJSON_AddItemToArray(warnings, cJSON_CreateString(ck->warnings.items[i]));
	cJSON_AddItemToObject(doc, "warnings", warnings);
	text = cJSON_Print(doc);
	cJSON_Delete(doc);
	if (!text)
		return p2o_errf(err, P2O_ENOMEM, ck->path, "out of memory printing JSON");
	fprintf(out, "%s\n", text);
	free(text);
	return 0;
}
