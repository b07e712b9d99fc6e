#!/usr/bin/python3
"""bench.py -- `make bench`: pth2onnx's speed and memory, side by side with
the physical limit (cp of the checkpoint) and with torch.onnx.export.

For torchvision resnet50, vgg16 and vit_b_16 (random init,
torch.manual_seed(0); the state_dicts are made once and cached in
$BUILD/bench/), each tool runs as a
child process under /usr/bin/time: once to warm the page cache, then RUNS
times, each after a sync (so no run pays for the previous one's dirty
pages); the table shows the medians of wall time, CPU time (user + system)
and peak RSS.

  cp          cp CHECKPOINT $BUILD/bench/copy.pth
  pth2onnx    $BUILD/pth2onnx convert CHECKPOINT --arch ARCH -o X.onnx -q
  torch.onnx  /usr/bin/python3: load the state_dict into the torchvision
              model, torch.onnx.export (opset 17, do_constant_folding,
              dynamic batch on input and output)

Not part of `make test`.  Environment: BUILD (default build), RUNS (3).
"""
import os
import statistics
import subprocess
import sys
import tempfile
import time

PY = "/usr/bin/python3"
BUILD = os.environ.get("BUILD", "build")
RUNS = int(os.environ.get("RUNS", "3"))
OUT = os.path.join(BUILD, "bench")
P2O = os.path.join(BUILD, "pth2onnx")
MODELS = ("resnet50", "vgg16", "vit_b_16")

GEN = r"""
import sys, torch, torchvision
torch.manual_seed(0)
model = getattr(torchvision.models, sys.argv[1])()
torch.save(model.state_dict(), sys.argv[2])
"""

EXPORT = r"""
import sys, torch, torchvision
model = getattr(torchvision.models, sys.argv[1])()
model.load_state_dict(torch.load(sys.argv[2], map_location="cpu"))
model.eval()
x = torch.randn(1, 3, 224, 224)
torch.onnx.export(model, x, sys.argv[3], opset_version=17,
                  do_constant_folding=True,
                  input_names=["input"], output_names=["output"],
                  dynamic_axes={"input": {0: "batch_size"},
                                "output": {0: "batch_size"}})
"""

COUNT = r"""
import sys, onnx
for path in sys.argv[1:]:
    m = onnx.load(path, load_external_data=False)
    print(len(m.graph.node), len(m.graph.initializer))
"""


def checkpoint(name):
    """The cached state_dict of torchvision's `name`, made on first use."""
    path = os.path.join(OUT, name + ".pth")
    if not os.path.exists(path):
        print("making %s (once) ..." % path, flush=True)
        tmp = path + ".tmp"
        subprocess.run([PY, "-c", GEN, name, tmp], check=True)
        os.replace(tmp, path)
    return path


def measure(argv):
    """One run of argv under /usr/bin/time: (wall s, CPU s, peak RSS kB)."""
    fd, rep = tempfile.mkstemp(prefix="p2o-bench-", suffix=".time")
    os.close(fd)
    try:
        os.sync()
        t0 = time.perf_counter()
        proc = subprocess.run(["/usr/bin/time", "-f", "%M %U %S", "-o", rep] + argv,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        wall = time.perf_counter() - t0
        if proc.returncode != 0:
            sys.stderr.write(proc.stderr.decode(errors="replace"))
            raise SystemExit("bench: %s failed (status %d)"
                             % (" ".join(argv), proc.returncode))
        with open(rep) as fp:
            fields = fp.read().split()[-3:]
        return wall, float(fields[1]) + float(fields[2]), int(fields[0])
    finally:
        os.unlink(rep)


def bench(argv):
    """Warm once, then the medians of RUNS runs: (wall s, CPU s, RSS MB)."""
    measure(argv)
    runs = [measure(argv) for _ in range(RUNS)]
    return (statistics.median(r[0] for r in runs),
            statistics.median(r[1] for r in runs),
            statistics.median(r[2] for r in runs) / 1024.0)


def counts(paths):
    """(nodes, initializers) of each ONNX file, via the onnx package."""
    out = subprocess.run([PY, "-c", COUNT] + list(paths), check=True,
                         stdout=subprocess.PIPE, text=True).stdout.split("\n")
    return [tuple(int(v) for v in line.split()) for line in out if line.strip()]


def mb(nbytes):
    return nbytes / (1024.0 * 1024.0)


def main():
    if not os.access(P2O, os.X_OK):
        raise SystemExit("bench: %s is not built (run make)" % P2O)
    if not os.access("/usr/bin/time", os.X_OK):
        raise SystemExit("bench: needs /usr/bin/time (apt-get install time)")
    os.makedirs(OUT, exist_ok=True)
    copy = os.path.join(OUT, "copy.pth")
    rows = []
    for name in MODELS:
        ckpt = checkpoint(name)
        ours = os.path.join(OUT, name + ".pth2onnx.onnx")
        theirs = os.path.join(OUT, name + ".torch.onnx")
        print("benchmarking %s (%.0f MB): warm-up + %d runs per tool ..."
              % (name, mb(os.path.getsize(ckpt)), RUNS), flush=True)
        tools = [
            ("cp", ["cp", ckpt, copy], copy),
            ("pth2onnx", [P2O, "convert", ckpt, "--arch", name, "-o", ours, "-q"],
             ours),
            ("torch.onnx", [PY, "-c", EXPORT, name, ckpt, theirs], theirs),
        ]
        results = []
        for tool, argv, out in tools:
            wall, cpu, rss = bench(argv)
            results.append((tool, wall, cpu, rss, os.path.getsize(out), out))
        nc = dict(zip((ours, theirs), counts([ours, theirs])))
        base = results[0][1]
        for tool, wall, cpu, rss, size, out in results:
            rows.append((name, tool, wall, cpu, rss,
                         wall / base if base > 0 else 0.0, nc.get(out), size))
        os.unlink(copy)

    head = ("model", "tool", "wall s", "cpu s", "peak RSS MB", "x cp", "nodes",
            "inits", "file MB")
    fmt = "%-9s %-11s %8s %8s %12s %7s %6s %6s %8s"
    print()
    print(fmt % head)
    print(fmt % tuple("-" * len(h) for h in head))
    for name, tool, wall, cpu, rss, ratio, nc, size in rows:
        print(fmt % (name, tool, "%.3f" % wall, "%.2f" % cpu, "%.1f" % rss,
                     "%.2f" % ratio,
                     nc[0] if nc else "-", nc[1] if nc else "-",
                     "%.1f" % mb(size)))
    print("\nmedians of %d runs after one warm-up run; cpu: user + system; "
          "x cp: wall time relative to cp of the checkpoint" % RUNS)
    return 0


if __name__ == "__main__":
    sys.exit(main())
