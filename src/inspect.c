/* inspect.c — the text form of `pth2onnx inspect`. */
#include "inspect.h"
#include "module_repr.h"
#include "recognize.h"

#include <inttypes.h>
#include <string.h>

static size_t count_tensors(const struct p2o_obj *o)
{
	size_t n = 0;
	for (size_t i = 0; o && o->kind == PY_DICT && i < o->u.dict.n; i++)
		n += o->u.dict.vals[i]->kind == PY_TENSOR;
	return n;
}

void p2o_summary(struct p2o_checkpoint *ck, const struct p2o_obj *v,
		 char *buf, size_t cap)
{
	char tmp[4096];
	const char *cls;

	if (p2o_is_module(v)) {
		cls = v->u.object.cls && v->u.object.cls->kind == PY_GLOBAL ?
			      v->u.object.cls->u.global.name : "?";
		snprintf(buf, cap, "%s (a whole %s module)", cls,
			 strncmp(v->u.object.cls->u.global.module, "__torch__", 9) ? "pickled" : "TorchScript");
		return;
	}
	if (p2o_holds_weights(v)) {
		snprintf(buf, cap, "{%zu tensors}", count_tensors(v));
		return;
	}
	if (v->kind == PY_DICT && v->u.dict.n > 0) {
		p2o_repr(v, tmp, sizeof tmp);
		if (strlen(tmp) > 60)
			snprintf(tmp, sizeof tmp, "{%zu keys}", v->u.dict.n);
		snprintf(buf, cap, "%s", tmp);
		return;
	}
	if (v->kind == PY_OBJECT && (cls = p2o_class_name(&ck->arena, v))) {
		snprintf(buf, cap, "<%s object>", cls);
		return;
	}
	p2o_repr(v, tmp, sizeof tmp);
	if (strlen(tmp) > 60)
		strcpy(tmp + 57, "...");
	snprintf(buf, cap, "%s", tmp);
}

static void print_tree(FILE *out, const struct p2o_obj *m, const char *name,
		       int depth)
{
	const struct p2o_dict *kids = p2o_module_children(m);
	char line[1024];
	size_t nkids = 0;

	for (size_t i = 0; kids && i < kids->n; i++)
		nkids += p2o_is_module(kids->vals[i]);
	p2o_module_repr(m, line, sizeof line);
	fprintf(out, "%*s%s%s%s", depth * 2, "", name ? "(" : "", name ? name : "",
		name ? "): " : "");
	if (!nkids || depth > 64) {
		fprintf(out, "%s\n", line);
		return;
	}
	line[strlen(line) - 1] = 0; /* drop ')' and list the children */
	fprintf(out, "%s\n", line);
	for (size_t i = 0; i < kids->n; i++)
		if (p2o_is_module(kids->vals[i]) && kids->keys[i]->kind == PY_STR)
			print_tree(out, kids->vals[i], kids->keys[i]->u.str.s, depth + 1);
	fprintf(out, "%*s)\n", depth * 2, "");
}

static void shape_str(const struct p2o_tensor *t, char *buf, size_t cap)
{
	size_t len = (size_t)snprintf(buf, cap, "[");
	for (int d = 0; d < t->rank && len < cap; d++)
		len += (size_t)snprintf(buf + len, cap - len, d ? ", %" PRId64 : "%" PRId64,
					t->shape[d]);
	if (len < cap)
		snprintf(buf + len, cap - len, "]");
}

static void print_text(FILE *out, struct p2o_checkpoint *ck,
		       const struct p2o_weights *w)
{
	const struct p2o_obj *root = ck->root;
	char buf[512];
	size_t width = 4;
	uint64_t total_numel = 0, total_bytes = 0;

	fprintf(out, "%s: %s checkpoint", ck->path, p2o_format_name(ck->format));
	if (ck->archive_name)
		fprintf(out, ", records in '%s/'", ck->archive_name);
	if (ck->version)
		fprintf(out, ", version %s", ck->version);
	fprintf(out, ", %s-endian\n", ck->big_endian ? "big" : "little");
	if (root->kind == PY_DICT && !p2o_holds_weights(root)) {
		fprintf(out, "top level: a dict with %zu keys\n", root->u.dict.n);
		for (size_t i = 0; i < root->u.dict.n; i++) {
			char key[256];
			p2o_summary(ck, root->u.dict.vals[i], buf, sizeof buf);
			if (root->u.dict.keys[i]->kind == PY_STR)
				snprintf(key, sizeof key, "%s", root->u.dict.keys[i]->u.str.s);
			else
				p2o_repr(root->u.dict.keys[i], key, sizeof key);
			fprintf(out, "  %s: %s\n", key, buf);
		}
	} else {
		p2o_summary(ck, root, buf, sizeof buf);
		fprintf(out, "top level: %s\n", buf);
	}
	for (size_t i = 0; i < ck->warnings.n; i++)
		fprintf(out, "warning: %s\n", ck->warnings.items[i]);
	if (!w->key) {
		fprintf(out, "weights: none found\n");
		return;
	}
	fprintf(out, "weights: %s%s%s (%zu tensors)", w->key[0] ? "'" : "",
		w->key[0] ? w->key : "the whole file", w->key[0] ? "'" : "", w->n);
	if (w->stripped_prefix)
		fprintf(out, "; prefix '%s' removed from every name", w->stripped_prefix);
	fprintf(out, "\n");
	for (size_t i = 0; i < w->others.n; i++)
		fprintf(out, "also holds weights: '%s' (choose it with --key %s)\n",
			w->others.items[i], w->others.items[i]);
	if (w->n) {
		struct p2o_recognition r;
		struct p2o_err err = {0};
		char text[2048];
		if (p2o_recognize(w, &r, &err) == 0) {
			p2o_recognition_describe(&r, text, sizeof text);
			fprintf(out, "architecture: %s\n", text);
		}
	}
	if (w->module) {
		fprintf(out, "\nmodel:\n");
		print_tree(out, w->module, NULL, 0);
	}
	for (size_t i = 0; i < w->n; i++)
		if (strlen(w->items[i].name) > width)
			width = strlen(w->items[i].name);
	fprintf(out, "\n%-*s  %-9s %-20s %12s %14s\n", (int)width, "name", "dtype",
		"shape", "params", "bytes");
	for (size_t i = 0; i < w->n; i++) {
		const struct p2o_tensor *t = w->items[i].t;
		int64_t numel = p2o_tensor_numel(t);
		uint64_t bytes = (uint64_t)numel * p2o_dtype_info(t->dtype)->size;
		shape_str(t, buf, sizeof buf);
		fprintf(out, "%-*s  %-9s %-20s %12" PRId64 " %14" PRIu64 "\n", (int)width,
			w->items[i].name, p2o_dtype_info(t->dtype)->name, buf, numel, bytes);
		total_numel += (uint64_t)numel;
		total_bytes += bytes;
	}
	fprintf(out, "total: %zu tensors, %" PRIu64 " parameters, %" PRIu64
		" bytes (%.1f MiB)\n", w->n, total_numel, total_bytes,
		(double)total_bytes / (1024.0 * 1024.0));
}

int p2o_inspect(const char *path, const struct p2o_inspect_opts *opts,
		FILE *out, struct p2o_err *err)
{
	struct p2o_checkpoint ck;
	struct p2o_weights w;
	int rc = -1;

	if (p2o_checkpoint_open(&ck, path, err))
		goto out;
	if (p2o_find_weights(&ck, opts->key, &w, err))
		goto out;
	if (opts->json)
		rc = p2o_inspect_json(&ck, &w, opts, out, err);
	else {
		print_text(out, &ck, &w);
		rc = 0;
	}
out:
	p2o_checkpoint_close(&ck);
	return rc;
}
