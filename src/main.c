/* main.c — the command line.  The only place that exits: every failure
 * arrives here as a struct p2o_err and becomes one message and an exit
 * status (the error code, see p2o.h). */
#include "inspect.h"

#include <stdio.h>
#include <string.h>

static const char USAGE[] =
	"usage: pth2onnx COMMAND [OPTIONS]\n"
	"\n"
	"Read PyTorch checkpoints (.pth .pt .tar .ckpt .bin .pkl) without Python.\n"
	"\n"
	"commands:\n"
	"  inspect CHECKPOINT [--key K] [--json [--values]]\n"
	"                      show the format, the top-level structure, the model\n"
	"                      tree of a whole pickled model, and every tensor\n"
	"\n"
	"options:\n"
	"  -h, --help          this help (pth2onnx COMMAND --help for a command)\n"
	"  --version           print the version\n"
	"\n"
	"exit status: 0 success, 2 usage, 3 file unreadable, 4 not a checkpoint\n"
	"or corrupt, 8 out of memory.\n";

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
	return usage_error("unknown command", argv[1]);
}
