"""The parity harness: a model defined in PyTorch, saved, converted by
pth2onnx, checked by onnx.checker and run by ONNX Runtime at batch 1 and 3,
must give PyTorch's numbers (max relative error <= 1e-4).

Relative error here is max|onnx - torch| / max(|torch|) over each output:
the error measured against the size of the output, so near-zero elements
do not make it meaningless.

Untrained defaults hide bugs (BatchNorm's running statistics start at 0/1,
some heads start at zero), so `randomize` replaces every batch-norm statistic
and affine parameter, and every parameter initialised to a constant, with
random values before saving.
"""
import json
import subprocess
import tempfile
from pathlib import Path

import numpy as np
import onnx
import torch

from helpers import BIN, ROOT

ORT_RUNNER = ROOT / "tests" / "ort" / "run.js"
MAX_REL_ERR = 1e-4


def randomize(model, seed=0):
    """Random BN statistics/affine and no constant-initialised parameter."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, torch.nn.modules.batchnorm._BatchNorm):
                if m.running_mean is not None:
                    m.running_mean.copy_(torch.randn(m.num_features, generator=g) * 0.5)
                    m.running_var.copy_(torch.rand(m.num_features, generator=g) * 1.5 + 0.25)
                    m.num_batches_tracked.fill_(17)
                if m.affine:
                    m.weight.copy_(torch.rand(m.num_features, generator=g) + 0.5)
                    m.bias.copy_(torch.randn(m.num_features, generator=g) * 0.2)
        for p in model.parameters():
            flat = p.detach().flatten()
            if flat.numel() > 1 and bool((flat == flat[0]).all()):
                p.copy_(torch.randn(p.shape, generator=g) * 0.1)
    return model


def save_forms(model, directory, forms):
    """Save the model's weights in each requested form; yields (form, path)."""
    sd = model.state_dict()
    for form in forms:
        path = Path(directory) / f"{form}.pth"
        if form == "state_dict":
            torch.save(sd, path)
        elif form == "legacy":
            torch.save(sd, path, _use_new_zipfile_serialization=False)
        elif form == "checkpoint":
            opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
            torch.save({"epoch": 7, "model_state_dict": sd,
                        "optimizer_state_dict": opt.state_dict(), "loss": 0.25}, path)
        elif form == "dataparallel":
            torch.save(torch.nn.DataParallel(model).state_dict(), path)
        else:
            raise ValueError(form)
        yield form, path


def convert(checkpoint, arch, out, *extra):
    res = subprocess.run([str(BIN), "convert", str(checkpoint), "--arch", str(arch),
                          "-o", str(out), "-q", *extra],
                         capture_output=True, text=True, timeout=120)
    return res


def _ort_process(jobs, workdir):
    """Run jobs in one ONNX Runtime process, which stops at the first
    failing job.  Returns (outputs of the jobs before it, its stderr or
    None)."""
    specs = []
    for j, (model_path, feeds) in enumerate(jobs):
        inputs = []
        for i, (name, arr) in enumerate(feeds.items()):
            f = Path(workdir) / f"in{j}_{i}.bin"
            arr = np.ascontiguousarray(arr)
            f.write_bytes(arr.tobytes())
            inputs.append({"name": name, "dims": list(arr.shape), "dtype": str(arr.dtype),
                           "file": str(f)})
        specs.append({"model": str(model_path), "inputs": inputs,
                      "out_prefix": str(Path(workdir) / f"out{j}_")})
    jobfile = Path(workdir) / "jobs.json"
    jobfile.write_text(json.dumps(specs))
    res = subprocess.run(["node", str(ORT_RUNNER), str(jobfile)], capture_output=True,
                         text=True, timeout=600)
    results = []
    for line in res.stdout.splitlines():
        rec = json.loads(line)
        assert rec["job"] == len(results)
        results.append([np.fromfile(o["file"], dtype=np.dtype(o["dtype"])).reshape(o["dims"])
                        for o in rec["outputs"]])
    if res.returncode == 0:
        assert len(results) == len(jobs)
        return results, None
    return results, res.stderr


def run_ort_jobs(jobs, workdir):
    """jobs: [(model_path, {input name: np.ndarray})]; one ONNX Runtime
    process runs them all.  Returns, per job, the list of outputs."""
    results, err = _ort_process(jobs, workdir)
    assert err is None, f"ONNX Runtime failed:\n{err}"
    return results


def run_ort_jobs_each(jobs, workdir):
    """Like run_ort_jobs, but a failing job gives its AssertionError in
    place of its outputs and the jobs after it still run (a new process
    starts after each failure)."""
    results = []
    while len(results) < len(jobs):
        sub = Path(workdir) / f"from{len(results)}"
        sub.mkdir()
        done, err = _ort_process(jobs[len(results):], sub)
        results.extend(done)
        if err is not None:
            results.append(AssertionError(f"ONNX Runtime failed:\n{err}"))
    return results


def run_ort(model_path, feeds, workdir):
    """feeds: {name: np.ndarray}; returns the list of outputs."""
    return run_ort_jobs([(model_path, feeds)], workdir)[0]


def rel_err(got, want):
    want = want.astype(np.float64)
    scale = max(float(np.abs(want).max()), 1e-6)
    return float(np.abs(got.astype(np.float64) - want).max()) / scale


def _cases(shapes, batches, sizes):
    """Each run: (batch, {dimension name: size}); names other than
    batch_size (e.g. "seq_len") take each of their sizes in turn."""
    names = sorted({d for s in shapes for d in s if isinstance(d, str)} - {"batch_size"})
    runs = [{}]
    for n in names:
        runs = [dict(r, **{n: v}) for r in runs for v in sizes[n]]
    return [(b, dict(r, batch_size=b)) for b in batches for r in runs]


def _make_input(rng, shape, env, dtype, high, given=None):
    if given is not None:
        return given
    dims = tuple(env[d] if isinstance(d, str) else d for d in shape)
    if np.dtype(dtype).kind in "iu":
        return rng.integers(0, high, size=dims).astype(dtype)
    return rng.standard_normal(dims).astype(dtype)


def _prepare(model, arch, input_shape, tmp, forms, opsets, batches, extra, seed, checker,
             dtypes=None, sizes=None, high=10, feeds=None, full_shapes=False):
    """Save, convert at each opset and check; returns (jobs, labels, want):
    the ONNX Runtime jobs, (form, opset, batch, run, where) for each, and
    PyTorch's outputs by run."""
    model = randomize(model, seed).eval()
    shapes = input_shape if isinstance(input_shape, list) else [input_shape]
    shapes = [tuple(s) if full_shapes else ("batch_size", *s) for s in shapes]
    dtypes = dtypes or ["float32"] * len(shapes)
    cases = _cases(shapes, batches, sizes or {})
    rng = np.random.default_rng(seed)
    xs = [[_make_input(rng, s, env, dt, high, feeds and feeds(rng, i, env))
           for i, (s, dt) in enumerate(zip(shapes, dtypes))] for _, env in cases]
    with torch.no_grad():
        want = [model(*[torch.from_numpy(x) for x in xk]) for xk in xs]
    jobs, labels = [], []
    for form, ckpt in save_forms(model, tmp, forms):
        for opset in opsets:
            out = tmp / f"{form}_{opset}.onnx"
            res = convert(ckpt, arch, out, "--opset", str(opset), *extra)
            assert res.returncode == 0, f"{form}/opset {opset}: convert failed:\n{res.stderr}"
            if checker and opset <= onnx.defs.onnx_opset_version():
                onnx.checker.check_model(str(out), full_check=True)
            names = [i.name for i in onnx.load(str(out), load_external_data=False).graph.input]
            for k, (b, env) in enumerate(cases):
                jobs.append((out, dict(zip(names, xs[k]))))
                where = f"{form}/opset {opset}/batch {b}" + "".join(
                    f"/{n} {v}" for n, v in env.items() if n != "batch_size")
                labels.append((form, opset, b, k, where))
    return jobs, labels, want


def _compare(labels, want, outputs):
    """Assert ONNX Runtime's outputs match PyTorch's; returns the report."""
    report = []
    for (form, opset, b, k, where), got in zip(labels, outputs):
        ref = want[k] if isinstance(want[k], (tuple, list)) else [want[k]]
        assert len(got) == len(ref)
        for g, w in zip(got, ref):
            w = w.numpy()
            assert g.shape == w.shape, f"{where}: shape {g.shape} != {w.shape}"
            e = rel_err(g, w)
            report.append((form, opset, b, e))
            assert e <= MAX_REL_ERR, f"{where}: relative error {e:.3g}"
    return report


def check_model(model, arch, input_shape, forms=("state_dict", "legacy", "checkpoint",
                                                 "dataparallel"),
                opsets=(13, 17), batches=(1, 3), extra=(), seed=0, checker=True, **inputs):
    """Save `model` in each form, convert at each opset, check and compare.
    input_shape: one shape without the batch, or a list of them for several
    inputs.  checker: run onnx.checker on opsets the installed onnx knows
    (Debian's onnx 1.12 stops at opset 17; newer opsets still run in ONNX
    Runtime); False never runs it.  Optional `inputs`: full_shapes=True gives
    whole shapes ("batch_size" where the batch goes, if anywhere); other
    names in a shape ("seq_len") take each of sizes={"seq_len": (5, 2)} in
    turn (one ONNX file runs them all); dtypes: numpy type names per input
    (default float32), integers drawn from [0, high); feeds(rng, i, sizes)
    may give input i itself.  Returns a list of (form, opset, batch,
    rel_err) for reporting."""
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        jobs, labels, want = _prepare(model, arch, input_shape, tmp, forms, opsets, batches,
                                      extra, seed, checker, **inputs)
        return _compare(labels, want, run_ort_jobs(jobs, tmp))


def snippet_arch(init, forward, input_shapes, dtypes=None, full_shapes=False):
    """The one-model .arch text of a snippet (see check_snippet)."""
    shapes = [tuple(s) for s in input_shapes]
    dtypes = dtypes or ["float32"] * len(shapes)
    decl = ", ".join(
        f"x{i}: {'' if dt == 'float32' else dt}"
        f"[{', '.join(map(str, s if full_shapes else ('batch_size', *s)))}]"
        for i, (s, dt) in enumerate(zip(shapes, dtypes)))
    params = ", ".join(f"x{i}" for i in range(len(shapes)))
    body = "".join(f"    {line}\n" for line in init) or "    pass\n"
    return (f"model m({decl}) -> y:\n{body}\n    forward({params}):\n"
            f"        return {forward}\n")


def check_snippet(module, init, forward, input_shapes, opsets=(13, 17), batches=(1, 3),
                  extra=(), seed=0, checker=True, **inputs):
    """Parity of one layer or function: `module` is the PyTorch reference;
    `init` the .arch constructor lines (e.g. ["layer = Conv2d(3, 8, 3)"]),
    `forward` the returned expression over inputs x0, x1, ... (e.g.
    "layer(x0)"); input_shapes without the batch dimension (or whole, with
    full_shapes=True); dtypes, sizes, high, feeds as for check_model."""
    shapes = [tuple(s) for s in input_shapes]
    with tempfile.TemporaryDirectory() as tmp:
        arch = Path(tmp) / "snippet.arch"
        arch.write_text(snippet_arch(init, forward, shapes, inputs.get("dtypes"),
                                     inputs.get("full_shapes", False)))
        return check_model(module, arch, list(shapes), forms=("state_dict",), opsets=opsets,
                           batches=batches, extra=extra, seed=seed, checker=checker, **inputs)


def check_torchvision(name, input_shape, **check_model_kw):
    """Parity of the built-in architecture `name` with torchvision's model
    of that name (random init, torch.manual_seed(0)), saved as a state_dict,
    at opset 17 unless told, batch 1 and 3; prints the largest error and
    returns check_model's rows."""
    import torchvision  # only the zoo tests need it
    torch.manual_seed(0)
    model = getattr(torchvision.models, name)()
    check_model_kw.setdefault("forms", ("state_dict",))
    check_model_kw.setdefault("opsets", (17,))
    rows = check_model(model, name, input_shape, **check_model_kw)
    assert len(rows) == 2  # batch 1 and 3
    print(name, "max relative error", max(e for *_, e in rows))
    return rows


def snippet_runs(kw):
    """How many runs check_snippet makes for kwargs kw: opsets x batches x
    the sizes of each named dimension of the inputs (kw["sizes"])."""
    runs = len(kw.get("opsets", (13, 17))) * len(kw.get("batches", (1, 3)))
    names = {d for s in kw["input_shapes"] for d in s if isinstance(d, str)} - {"batch_size"}
    for n in names:
        runs *= len(kw["sizes"][n])
    return runs


def check_snippets(cases):
    """check_snippet for many snippets with one ONNX Runtime process (its
    start-up dominates a small snippet's time).  cases: {id: kwargs of
    check_snippet}.  Returns {id: report, or the exception that case
    raised}; a model ONNX Runtime rejects fails its own case only."""
    results, prepared = {}, {}
    with tempfile.TemporaryDirectory() as root:
        def prepare(tmp, module, init, forward, input_shapes, opsets=(13, 17),
                    batches=(1, 3), extra=(), seed=0, checker=True, **inputs):
            shapes = [tuple(s) for s in input_shapes]
            arch = tmp / "snippet.arch"
            arch.write_text(snippet_arch(init, forward, shapes, inputs.get("dtypes"),
                                         inputs.get("full_shapes", False)))
            return _prepare(module, arch, shapes, tmp, ("state_dict",), opsets, batches,
                            extra, seed, checker, **inputs)

        for n, (cid, kw) in enumerate(cases.items()):
            tmp = Path(root) / str(n)
            tmp.mkdir()
            try:
                prepared[cid] = prepare(tmp, **kw)
            except Exception as e:  # reported by the case's test
                results[cid] = e
        jobs = [j for p in prepared.values() for j in p[0]]
        outputs = run_ort_jobs_each(jobs, root)
        k = 0
        for cid, (cjobs, labels, want) in prepared.items():
            got = outputs[k:k + len(cjobs)]
            k += len(cjobs)
            try:
                for g in got:
                    if isinstance(g, BaseException):
                        raise g
                results[cid] = _compare(labels, want, got)
            except Exception as e:
                results[cid] = e
    return results
