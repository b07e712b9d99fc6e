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
import os
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


def _prepare(model, arch, input_shape, tmp, forms, opsets, batches, extra, seed, checker):
    """Save, convert at each opset and check; returns (jobs, labels, want):
    the ONNX Runtime jobs, (form, opset, batch) for each, PyTorch's outputs
    by batch."""
    model = randomize(model, seed).eval()
    shapes = input_shape if isinstance(input_shape, list) else [input_shape]
    rng = np.random.default_rng(seed)
    xs = {b: [rng.standard_normal((b, *s)).astype(np.float32) for s in shapes]
          for b in batches}
    with torch.no_grad():
        want = {b: model(*[torch.from_numpy(x) for x in xs[b]]) for b in batches}
    jobs, labels = [], []
    for form, ckpt in save_forms(model, tmp, forms):
        for opset in opsets:
            out = tmp / f"{form}_{opset}.onnx"
            res = convert(ckpt, arch, out, "--opset", str(opset), *extra)
            assert res.returncode == 0, f"{form}/opset {opset}: convert failed:\n{res.stderr}"
            if checker and opset <= onnx.defs.onnx_opset_version():
                onnx.checker.check_model(str(out), full_check=True)
            names = [i.name for i in onnx.load(str(out)).graph.input]
            for b in batches:
                jobs.append((out, dict(zip(names, xs[b]))))
                labels.append((form, opset, b))
    return jobs, labels, want


def _compare(labels, want, outputs):
    """Assert ONNX Runtime's outputs match PyTorch's; returns the report."""
    report = []
    for (form, opset, b), got in zip(labels, outputs):
        ref = want[b] if isinstance(want[b], (tuple, list)) else [want[b]]
        assert len(got) == len(ref)
        for g, w in zip(got, ref):
            w = w.numpy()
            where = f"{form}/opset {opset}/batch {b}"
            assert g.shape == w.shape, f"{where}: shape {g.shape} != {w.shape}"
            e = rel_err(g, w)
            report.append((form, opset, b, e))
            assert e <= MAX_REL_ERR, f"{where}: relative error {e:.3g}"
    return report


def check_model(model, arch, input_shape, forms=("state_dict", "legacy", "checkpoint",
                                                 "dataparallel"),
                opsets=(13, 17), batches=(1, 3), extra=(), seed=0, checker=True):
    """Save `model` in each form, convert at each opset, check and compare.
    input_shape: one shape without the batch, or a list of them for several
    inputs.  checker: run onnx.checker on opsets the installed onnx knows
    (Debian's onnx 1.12 stops at opset 17; newer opsets still run in ONNX
    Runtime); False never runs it.  Returns a list of (form, opset, batch,
    rel_err) for reporting."""
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        jobs, labels, want = _prepare(model, arch, input_shape, tmp, forms, opsets, batches,
                                      extra, seed, checker)
        return _compare(labels, want, run_ort_jobs(jobs, tmp))


def snippet_arch(init, forward, input_shapes):
    """The one-model .arch text of a snippet (see check_snippet)."""
    shapes = [tuple(s) for s in input_shapes]
    decl = ", ".join(f"x{i}: [batch_size, {', '.join(map(str, s))}]" if s else
                     f"x{i}: [batch_size]" for i, s in enumerate(shapes))
    params = ", ".join(f"x{i}" for i in range(len(shapes)))
    body = "".join(f"    {line}\n" for line in init) or "    pass\n"
    return (f"model m({decl}) -> y:\n{body}\n    forward({params}):\n"
            f"        return {forward}\n")


def check_snippet(module, init, forward, input_shapes, opsets=(13, 17), batches=(1, 3),
                  extra=(), seed=0, checker=True):
    """Parity of one layer or function: `module` is the PyTorch reference;
    `init` the .arch constructor lines (e.g. ["layer = Conv2d(3, 8, 3)"]),
    `forward` the returned expression over inputs x0, x1, ... (e.g.
    "layer(x0)"); input_shapes without the batch dimension."""
    shapes = [tuple(s) for s in input_shapes]
    with tempfile.TemporaryDirectory() as tmp:
        arch = Path(tmp) / "snippet.arch"
        arch.write_text(snippet_arch(init, forward, shapes))
        return check_model(module, arch, list(shapes), forms=("state_dict",), opsets=opsets,
                           batches=batches, extra=extra, seed=seed, checker=checker)


def check_snippets(cases):
    """check_snippet for many snippets with one ONNX Runtime process (its
    start-up dominates a small snippet's time).  cases: {id: kwargs of
    check_snippet}.  Returns {id: report, or the exception that case
    raised}; a model ONNX Runtime rejects fails its own case only."""
    results, prepared = {}, {}
    with tempfile.TemporaryDirectory() as root:
        def prepare(tmp, module, init, forward, input_shapes, opsets=(13, 17),
                    batches=(1, 3), extra=(), seed=0, checker=True):
            shapes = [tuple(s) for s in input_shapes]
            arch = tmp / "snippet.arch"
            arch.write_text(snippet_arch(init, forward, shapes))
            return _prepare(module, arch, shapes, tmp, ("state_dict",), opsets, batches,
                            extra, seed, checker)

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
