/* convert.c — `pth2onnx convert`: checkpoint + architecture -> ONNX. */
#include "convert.h"
#include "arch_bind.h"
#include "arch_model.h"
#include "builtin_archs.h"
#include "recognize.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

/* Read a description file into the arena (NUL-terminated). */
static int read_text(struct p2o_arena *a, const char *path, struct p2o_src *src,
		     struct p2o_err *err)
{
	FILE *f = fopen(path, "rb");
	long n;
	char *text;

	if (!f)
		return p2o_errf(err, P2O_EIO, path, "cannot open: %s", strerror(errno));
	if (fseek(f, 0, SEEK_END) || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) ||
	    !(text = p2o_alloc(a, (size_t)n + 1)) || fread(text, 1, (size_t)n, f) != (size_t)n) {
		fclose(f);
		return p2o_errf(err, P2O_EIO, path, "cannot read");
	}
	fclose(f);
	*src = (struct p2o_src){path, text, (size_t)n};
	return 0;
}

/* --arch is a file (FILE or FILE:MODEL) or the name of a built-in model. */
static int load_arch(struct p2o_arena *a, const char *arch, struct p2o_src *src,
		     const struct p2o_ast **file, const struct p2o_ast **model,
		     struct p2o_err *err)
{
	const char *colon = strrchr(arch, ':'), *name = NULL;
	char *path = p2o_strdup(a, arch);
	struct stat st;

	if (colon && stat(arch, &st) != 0) {
		path[colon - arch] = 0;
		name = colon + 1;
	}
	if (stat(path, &st) == 0) {
		if (read_text(a, path, src, err) || !(*file = p2o_arch_parse(a, src, err)))
			return -1;
		if (!(*model = p2o_arch_find_model(*file, name)))
			return p2o_errf(err, P2O_EARCH, path, name ? "defines no model named '%s'" :
					"defines no model, or several: name one as %s:MODEL", name ? name : path);
		return 0;
	}
	for (size_t i = 0; i < p2o_builtin_archs_count; i++) {
		*src = (struct p2o_src){p2o_builtin_archs[i].file, p2o_builtin_archs[i].text,
					strlen(p2o_builtin_archs[i].text)};
		if (!(*file = p2o_arch_parse(a, src, err)))
			return -1;
		if ((*model = p2o_arch_find_model(*file, arch)))
			return 0;
	}
	return p2o_errf(err, P2O_EUSAGE, arch, "no such file, and no built-in architecture of that "
			"name (pth2onnx archs lists them)");
}

/* No --arch: the built-in the weights fit, if exactly one does. */
static int recognise(const struct p2o_weights *w, FILE *log, const char **arch,
		     struct p2o_arena *a, struct p2o_err *err)
{
	struct p2o_recognition r;
	char text[2048];

	if (p2o_recognize(w, &r, err))
		return -1;
	p2o_recognition_describe(&r, text, sizeof text);
	if (r.nmatches != 1) {
		char *nl = strchr(text, '\n');
		if (nl) {
			snprintf(err->detail, sizeof err->detail, "%s", nl + 1);
			*nl = 0;
		}
		return p2o_errf(err, P2O_EARCH, "", "no --arch given and %s", text);
	}
	if (log)
		fprintf(log, "pth2onnx: %s\n", text);
	*arch = p2o_strdup(a, r.matches[0].name);
	return *arch ? 0 : p2o_errf(err, P2O_ENOMEM, "", "out of memory");
}

static int set_metadata(struct p2o_graph *g, const struct p2o_convert_opts *o,
			const char *arch, const struct p2o_weights *w, const struct p2o_ast *model)
{
	char doc[1024];

	snprintf(doc, sizeof doc, "%s converted by pth2onnx %s from %s with architecture %s",
		 model->s, P2O_VERSION, o->checkpoint, arch);
	g->doc = p2o_strdup(&g->arena, doc);
	return !g->doc || p2o_graph_meta(g, "source_checkpoint", o->checkpoint) ||
	       p2o_graph_meta(g, "architecture", arch) ||
	       p2o_graph_meta(g, "model", model->s) ||
	       p2o_graph_meta(g, "weights_key", w->key ? w->key : "");
}

static size_t live_nodes(const struct p2o_graph *g)
{
	size_t n = 0;
	for (size_t i = 0; i < g->nnodes; i++)
		n += !g->nodes[i]->dead;
	return n;
}

static size_t used_inits(const struct p2o_graph *g)
{
	size_t n = 0;
	for (size_t i = 0; i < g->ninits; i++)
		n += g->inits[i]->nuses > 0;
	return n;
}

int p2o_convert(const struct p2o_convert_opts *o, struct p2o_err *err)
{
	struct p2o_checkpoint ck;
	struct p2o_weights w;
	struct p2o_arena arena;
	struct p2o_graph g;
	struct p2o_eval ev = {0};
	struct p2o_bind bind;
	struct p2o_src src;
	const struct p2o_ast *file = NULL, *model = NULL;
	struct p2o_module *root;
	const struct p2o_opset *opset = p2o_opset_get(o->opset);
	struct p2o_build_opts bo = {o->inputs, o->ninputs, o->outputs, o->noutputs, o->static_batch};
	const char *arch = o->arch;
	int external = 0, rc = -1;

	p2o_arena_init(&arena);
	memset(&g, 0, sizeof g);
	p2o_arena_init(&g.arena);
	if (p2o_checkpoint_open(&ck, o->checkpoint, err))
		goto out;
	if (!opset) {
		p2o_errf(err, P2O_EUSAGE, "--opset", "opset %d is not supported (%d to %d)",
			 o->opset, P2O_OPSET_MIN, P2O_OPSET_MAX);
		goto out;
	}
	if (p2o_find_weights(&ck, o->key, &w, err) ||
	    (!w.key && p2o_no_weights_error(&ck, err)))
		goto out;
	if (!arch && recognise(&w, o->log, &arch, &arena, err))
		goto out;
	if (load_arch(&arena, arch, &src, &file, &model, err))
		goto out;
	ev.a = &arena;
	ev.err = err;
	ev.w = &w;
	ev.allow_missing = o->allow_missing;
	if (!(ev.globals = p2o_scope_new(&arena, NULL)) || p2o_builtins_install(&ev, ev.globals)) {
		p2o_errf(err, P2O_ENOMEM, "", "out of memory");
		goto out;
	}
	if (p2o_arch_define(&ev, file) || p2o_arch_instantiate(&ev, model, &root) ||
	    p2o_bind_model(&ev, root, &bind) ||
	    p2o_bind_report(&bind, o->allow_unused, stderr, err)) {
		p2o_err_context(err, "%s with %s", o->checkpoint, src.file);
		goto out;
	}
	if (p2o_graph_init(&g, model->s, opset) || set_metadata(&g, o, arch, &w, model)) {
		p2o_errf(err, P2O_ENOMEM, "", "out of memory");
		goto out;
	}
	ev.g = &g;
	if (p2o_arch_build(&ev, model, root, &bo) || (o->optimize && p2o_optimize(&g, err)) ||
	    p2o_write_onnx(&g, o->output, o->checkpoint, o->external_data ? P2O_EXTERNAL_ALWAYS :
			   P2O_EXTERNAL_AUTO, &external, err))
		goto out;
	if (o->log)
		fprintf(o->log, "%s: %s%s%s, %zu tensors -> %s: model %s, %zu nodes, %zu initializers, opset %d, "
			"batch %s%s%s%s\n", o->checkpoint, w.key[0] ? "weights '" : "the whole file",
			w.key, w.key[0] ? "'" : "", w.n, o->output, model->s, live_nodes(&g),
			used_inits(&g), opset->version, o->static_batch ? "static" : "dynamic (batch_size)",
			external ? ", weights in external data " : "", external ? o->output : "",
			external ? ".data" : "");
	rc = 0;
out:
	p2o_graph_free(&g);
	p2o_arena_free(&arena);
	p2o_checkpoint_close(&ck);
	return rc;
}
