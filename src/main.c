/* main.c — the command line.  The only place that exits: every failure
 * arrives here as a struct p2o_err and becomes one message and an exit
 * status (the error code, see p2o.h). */
#include "builtin_archs.h"
#include "convert.h"
#include "inspect.h"
#include "opsets.h"

#include <stdlib.h>

#include <stdio.h>
#include <string.h>

static const char USAGE[] =
	"usage: pth2onnx COMMAND [OPTIONS]\n"
	"\n"
	"Read PyTorch checkpoints (.pth .pt .tar .ckpt .bin .pkl) without Python.\n"
	"\n"
	"commands:\n"
	"  convert CHECKPOINT --arch ARCH -o OUT.onnx [options]\n"
	"                      write an ONNX model: the weights of CHECKPOINT with\n"
	"                      the structure of ARCH (a .arch file or a built-in)\n"
	"  inspect CHECKPOINT [--key K] [--json [--values]]\n"
	"                      show the format, the top-level structure, the model\n"
	"                      tree of a whole pickled model, and every tensor\n"
	"  archs               list the built-in architectures\n"
	"\n"
	"options:\n"
	"  -h, --help          this help (pth2onnx COMMAND --help for a command)\n"
	"  --version           print the version\n"
	"\n"
	"exit status: 0 success, 2 usage, 3 a file cannot be read or written,\n"
	"4 not a checkpoint or corrupt, 5 error in the architecture description,\n"
	"6 the weights do not fit the description, 7 a layer or option that\n"
	"cannot be converted, 8 out of memory, 9 internal error.\n";

static const char CONVERT_USAGE[] =
	"usage: pth2onnx convert CHECKPOINT [--arch ARCH] -o OUT.onnx [options]\n"
	"\n"
	"ARCH is a .arch file (FILE:MODEL picks one of several models in it) or the\n"
	"name of a built-in architecture (pth2onnx archs).  Without --arch, the\n"
	"built-in architecture the weights fit is used when exactly one fits; else\n"
	"the closest candidates and what differs are listed.  The batch dimension of\n"
	"inputs and outputs stays dynamic (batch_size) unless --static-batch is given.\n"
	"\n"
	"  -o FILE                 the ONNX file to write (written atomically; never\n"
	"                          the checkpoint itself)\n"
	"  --key K                 the weights under key K of a checkpoint dict\n"
	"  --opset N               ONNX opset, 13 to 21 (default 17)\n"
	"  --input NAME:DIMS       override an input's shape, e.g. input:1,3,320,320\n"
	"                          (names stay symbolic: input:batch_size,3,H,W)\n"
	"  --output NAME           name the next graph output (repeatable; default:\n"
	"                          the names after -> in the description)\n"
	"  --static-batch N        fix the batch dimension to N\n"
	"  --allow-missing         fill weights the checkpoint lacks with zeros\n"
	"  --allow-unused          ignore checkpoint keys no layer uses\n"
	"  --no-optimize           keep BatchNormalization and Identity nodes\n"
	"  --external-data         weights in OUT.onnx.data next to the model (done\n"
	"                          anyway when the model would exceed 2 GB)\n"
	"  -q, --quiet             no summary line\n";

static const char INSPECT_USAGE[] =
	"usage: pth2onnx inspect CHECKPOINT [--key K] [--json [--values]]\n"
	"\n"
	"Shows what a checkpoint holds, detected by content (zip, legacy,\n"
	"TorchScript): the format, the top-level keys with short values\n"
	"(epoch: 7), which entry holds the weights and why, the module tree of a\n"
	"whole pickled model, and a table of tensors (name, dtype, shape, params,\n"
	"bytes) with totals.  Nothing in the file is executed; globals outside\n"
	"the torch/numpy/collections allow-list are reported as warnings.\n"
	"\n"
	"  --key K     use the weights under key K (a top-level key or a dotted\n"
	"              path) instead of the one chosen automatically\n"
	"  --json      machine-readable output (docs/inspect-json.md)\n"
	"  --values    with --json: include every tensor's values\n";

static int usage_error(const char *msg, const char *arg)
{
	fprintf(stderr, "pth2onnx: %s%s%s\nTry 'pth2onnx --help'.\n", msg,
		arg ? ": " : "", arg ? arg : "");
	return P2O_EUSAGE;
}

static int report(const struct p2o_err *err)
{
	fprintf(stderr, "pth2onnx: %s%s%s\n", err->where, err->where[0] ? ": " : "",
		err->msg);
	if (err->detail[0])
		fprintf(stderr, "%s\n", err->detail);
	return err->code ? (int)err->code : P2O_EINTERNAL;
}

static int cmd_inspect(int argc, char **argv)
{
	struct p2o_inspect_opts opts = {0};
	struct p2o_err err = {0};
	const char *path = NULL;

	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			fputs(INSPECT_USAGE, stdout);
			return 0;
		} else if (!strcmp(argv[i], "--json")) {
			opts.json = 1;
		} else if (!strcmp(argv[i], "--values")) {
			opts.values = 1;
		} else if (!strcmp(argv[i], "--key")) {
			if (++i >= argc)
				return usage_error("--key needs a value", NULL);
			opts.key = argv[i];
		} else if (argv[i][0] == '-' && argv[i][1]) {
			return usage_error("unknown option", argv[i]);
		} else if (path) {
			return usage_error("inspect takes one checkpoint", argv[i]);
		} else {
			path = argv[i];
		}
	}
	if (!path)
		return usage_error("inspect needs a checkpoint file", NULL);
	if (opts.values && !opts.json)
		return usage_error("--values goes with --json", NULL);
	if (p2o_inspect(path, &opts, stdout, &err))
		return report(&err);
	return fflush(stdout) ? P2O_EIO : 0;
}

static int parse_int(const char *s, long lo, long hi, long *out)
{
	char *end;
	long v = strtol(s, &end, 10);

	if (end == s || *end || v < lo || v > hi)
		return -1;
	*out = v;
	return 0;
}

static int cmd_convert(int argc, char **argv)
{
	struct p2o_convert_opts o = {.opset = P2O_OPSET_DEFAULT, .optimize = 1, .log = stderr};
	struct p2o_err err = {0};
	const char **inputs = calloc((size_t)argc + 1, sizeof *inputs);
	const char **outputs = calloc((size_t)argc + 1, sizeof *outputs);
	int rc = P2O_EUSAGE;
	long v;

	if (!inputs || !outputs) {
		fprintf(stderr, "pth2onnx: out of memory\n");
		rc = P2O_ENOMEM;
		goto out;
	}
	o.inputs = inputs;
	o.outputs = outputs;
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];
		int has_value = i + 1 < argc;
#define VALUE() (has_value ? argv[++i] : NULL)
		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			fputs(CONVERT_USAGE, stdout);
			rc = 0;
			goto out;
		} else if (!strcmp(a, "--arch") || !strcmp(a, "-a")) {
			if (!(o.arch = VALUE())) { rc = usage_error("--arch needs a value", NULL); goto out; }
		} else if (!strcmp(a, "-o")) {
			if (!(o.output = VALUE())) { rc = usage_error("-o needs a file name", NULL); goto out; }
		} else if (!strcmp(a, "--key")) {
			if (!(o.key = VALUE())) { rc = usage_error("--key needs a value", NULL); goto out; }
		} else if (!strcmp(a, "--opset")) {
			if (!has_value || parse_int(argv[++i], P2O_OPSET_MIN, P2O_OPSET_MAX, &v)) {
				rc = usage_error("--opset takes a number from 13 to 21", NULL);
				goto out;
			}
			o.opset = (int)v;
		} else if (!strcmp(a, "--static-batch")) {
			if (!has_value || parse_int(argv[++i], 1, 1L << 30, &v)) {
				rc = usage_error("--static-batch takes a positive number", NULL);
				goto out;
			}
			o.static_batch = v;
		} else if (!strcmp(a, "--input")) {
			if (!has_value || !strchr(argv[i + 1], ':')) {
				rc = usage_error("--input takes NAME:DIMS, e.g. input:1,3,224,224", NULL);
				goto out;
			}
			inputs[o.ninputs++] = argv[++i];
		} else if (!strcmp(a, "--output")) {
			if (!(outputs[o.noutputs++] = VALUE())) { rc = usage_error("--output needs a name", NULL); goto out; }
		} else if (!strcmp(a, "--allow-missing")) {
			o.allow_missing = 1;
		} else if (!strcmp(a, "--allow-unused")) {
			o.allow_unused = 1;
		} else if (!strcmp(a, "--no-optimize")) {
			o.optimize = 0;
		} else if (!strcmp(a, "--external-data")) {
			o.external_data = 1;
		} else if (!strcmp(a, "-q") || !strcmp(a, "--quiet")) {
			o.log = NULL;
		} else if (a[0] == '-' && a[1]) {
			rc = usage_error("unknown option", a);
			goto out;
		} else if (o.checkpoint) {
			rc = usage_error("convert takes one checkpoint", a);
			goto out;
		} else {
			o.checkpoint = a;
		}
#undef VALUE
	}
	if (!o.checkpoint || !o.output) {
		rc = usage_error(!o.checkpoint ? "convert needs a checkpoint" :
				 "convert needs -o OUT.onnx", NULL);
		goto out;
	}
	rc = p2o_convert(&o, &err) ? report(&err) : 0;
out:
	free(inputs);
	free(outputs);
	return rc;
}

/* Calls f(name, name length, file) for every "model NAME(" line of every
 * built-in file. */
static void each_builtin_model(void (*f)(const char *, int, const char *, int *), int *acc)
{
	for (size_t i = 0; i < p2o_builtin_archs_count; i++) {
		const char *t = p2o_builtin_archs[i].text;
		for (const char *p = t; (p = strstr(p, "model ")); p++)
			if (p == t || p[-1] == '\n') {
				const char *e = strpbrk(p + 6, "( \n");
				f(p + 6, (int)(e ? e - p - 6 : 0), p2o_builtin_archs[i].file, acc);
			}
	}
}

static void widest(const char *name, int len, const char *file, int *w)
{
	(void)name;
	(void)file;
	if (len > *w)
		*w = len;
}

static void print_model(const char *name, int len, const char *file, int *w)
{
	printf("%-*.*s %s\n", *w, len, name, file);
}

static int cmd_archs(void)
{
	int w = 0;

	each_builtin_model(widest, &w);
	each_builtin_model(print_model, &w);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return usage_error("no command given", NULL);
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
		fputs(USAGE, stdout);
		return 0;
	}
	if (!strcmp(argv[1], "--version")) {
		printf("pth2onnx %s\n", P2O_VERSION);
		return 0;
	}
	if (!strcmp(argv[1], "inspect"))
		return cmd_inspect(argc - 2, argv + 2);
	if (!strcmp(argv[1], "convert"))
		return cmd_convert(argc - 2, argv + 2);
	if (!strcmp(argv[1], "archs"))
		return cmd_archs();
	return usage_error("unknown command", argv[1]);
}
