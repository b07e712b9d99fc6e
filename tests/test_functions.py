"""Parity of the functional / tensor-method side of forward: comparisons and
logic, joining and splitting, dimension shuffles, indexing, reductions,
elementwise math, type conversions, matrix products, *_like, and sizes
that stay dynamic (x.size(0) arithmetic in view/reshape/expand/slices).

Each case is one snippet of forward code, run by PyTorch (the reference)
and converted by pth2onnx as the body of a one-model .arch — the protocol
of parity.check_snippet (empty state_dict, inputs [batch_size, ...],
onnx.checker, ONNX Runtime at batch 1 and 3, max relative error <= 1e-4,
and here also equal shapes and dtypes).  To keep the file fast, every
snippet is converted first and all models then run in one ONNX Runtime
process; each case is still its own test.  Reductions also run at opset 18,
where their axes become an input.
"""
import math
import subprocess
import tempfile
import textwrap
from pathlib import Path

import numpy as np
import onnx
import onnx.numpy_helper
import pytest
import torch
import torch.nn.functional as F

import parity
from helpers import BIN

BASE_OPSETS = (13, 17)
REDUCE_OPSETS = (13, 17, 18)
BATCHES = (1, 3)


class Case:
    def __init__(self, name, code, shapes, nout=1, ref=None, opsets=BASE_OPSETS,
                 batches=BATCHES):
        self.name, self.code, self.shapes, self.nout = name, code, shapes, nout
        self.ref = ref or code  # PyTorch code when it differs (negative steps)
        self.opsets, self.batches = opsets, batches


def C(name, code, *shapes, **kw):
    return Case(name, code, list(shapes) or [(3, 4)], **kw)


def R(name, code, *shapes, **kw):
    return Case(name, code, list(shapes) or [(3, 4, 5)], opsets=REDUCE_OPSETS, **kw)


S2 = [(3, 4), (3, 4)]
CASES = [
    # ---- comparisons (functions, methods, operators) and logic
    C("eq", "torch.eq(x0.round(), x1.round())", *S2),
    C("eq_op", "x0.round() == x1.round()", *S2),
    C("eq_scalar", "x0.round() == 0", (5,)),
    C("ne_op", "x0.round() != x1.round()", *S2),
    C("ne_method", "x0.round().ne(1)", (5,)),
    C("lt_op", "x0 < x1", *S2),
    C("lt_broadcast", "x0 < x1", (3, 4), (4,)),
    C("le_scalar", "x0 <= 0.5", (5,)),
    C("gt_method", "x0.gt(x1)", *S2),
    C("gt_fn", "torch.gt(x0, 0)", (5,)),
    C("ge_op", "x0 >= x1", *S2),
    C("ge_int", "(x0 * 3).long() >= (x1 * 3).long()", *S2),
    C("lt_scalar_left", "0.2 < x0", (5,)),
    C("logical_and", "torch.logical_and(x0 > 0, x1 > 0)", *S2),
    C("logical_or", "torch.logical_or(x0 > 0, x1 > 0)", *S2),
    C("logical_xor", "torch.logical_xor(x0 > 0, x1 > 0)", *S2),
    C("logical_not", "torch.logical_not(x0 > 0)", (5,)),
    C("logical_and_float", "torch.logical_and(x0.round(), x1)", *S2),
    C("bool_and_op", "(x0 > 0) & (x1 < 0)", *S2),
    C("bool_or_op", "(x0 > 0) | (x1 < 0)", *S2),
    C("bool_xor_op", "(x0 > 0) ^ (x1 < 0)", *S2),
    C("bool_not_op", "~(x0 > 0)", (5,)),
    C("where", "torch.where(x0 > 0, x0, x1)", *S2),
    C("where_scalar", "torch.where(x0 > 0, x0, 0.0)", (5,)),
    C("where_float_cond", "torch.where(x0.round().bool(), x1, x0 * 2)", *S2),
    C("compile_time_compare", """
        if x0.dim() == 3 and x0.shape[1] != 5 and x0.size(2) >= 4:
            return x0 + 1
        return x0 - 1""", (3, 4)),
    # ---- cat / stack / split / chunk / unbind
    C("cat", "torch.cat([x0, x1], dim=1)", (3, 4), (5, 4)),
    C("cat_neg", "torch.cat((x0, x1, x0), -1)", (3, 4), (3, 2)),
    C("cat_batch", "torch.cat([x0, x1], 0)", *S2),
    C("concat", "torch.concat([x0, x0 * 2], 1)", (3,)),
    C("cat_mixed_types", "torch.cat([x0, (x1 > 0).float()], 1)", *S2),
    C("stack", "torch.stack([x0, x1], 1)", *S2),
    C("stack_dim0", "torch.stack((x0, x1))", *S2),
    C("stack_neg", "torch.stack([x0, x1, x0], -1)", *S2),
    C("split", "torch.split(x0, 2, 1)", (5, 3), nout=3),
    C("split_sections", "x0.split([1, 3, 2], dim=-1)", (4, 6), nout=3),
    C("split_item", "torch.split(x0, 2, 1)[1]", (5, 3)),
    C("chunk", "x0.chunk(3, 1)", (7, 2), nout=3),
    C("chunk_fn", "torch.chunk(x0, 2, dim=2)", (2, 6), nout=2),
    C("unbind", "x0.unbind(1)", (3, 4), nout=3),
    # ---- permute / transpose / t / movedim / squeeze / unsqueeze
    C("permute", "x0.permute(0, 3, 1, 2)", (2, 3, 4)),
    C("permute_tuple", "x0.permute((2, 0, 1))", (3, 4)),
    C("permute_fn", "torch.permute(x0, (0, 2, 1))", (3, 4)),
    C("transpose", "x0.transpose(1, 2)", (2, 3, 4)),
    C("transpose_neg", "torch.transpose(x0, -1, 0)", (3, 4)),
    C("swapaxes", "x0.swapaxes(1, 2)", (3, 4)),
    C("t", "x0.flatten(1).t()", (2, 3)),
    C("t_1d", "x0[0].t()", (5,)),
    C("movedim", "torch.movedim(x0, 1, 3)", (2, 3, 4)),
    C("movedim_back", "x0.movedim(-1, 0)", (2, 3)),
    C("squeeze", "x0.squeeze(1)", (1, 4)),
    C("squeeze_neg", "torch.squeeze(x0, -1)", (4, 1)),
    C("squeeze_noop", "x0.squeeze(2)", (1, 4)),
    C("unsqueeze", "x0.unsqueeze(1)", (3, 4)),
    C("unsqueeze_neg", "torch.unsqueeze(x0, -1)", (3, 4)),
    C("unsqueeze_0", "x0.unsqueeze(0)", (3,)),
    # ---- expand / repeat / view_as / contiguous
    C("expand", "x0.expand(-1, 3, 4)", (1, 4)),
    C("expand_lead", "x0.expand(2, -1, -1, 5)", (3, 1)),
    C("expand_dyn", "x0.expand(x0.size(0), 3, 4)", (1, 4)),
    C("expand_as", "x0.expand_as(x1)", (1, 4), (3, 4)),
    C("broadcast_to", "torch.broadcast_to(x0, (x0.shape[0], 2, 4))", (1, 4)),
    C("repeat", "x0.repeat(1, 2, 3)", (2, 3)),
    C("repeat_lead", "x0.repeat(2, 1, 1, 2)", (2, 3)),
    C("repeat_batch", "x0.repeat(2, 1)", (3,)),
    C("contiguous", "x0.transpose(1, 2).contiguous().view(x0.size(0), -1)", (2, 3)),
    C("view_as", "x0.view_as(x1)", (2, 6), (3, 4)),
    C("reshape_as", "x0.reshape_as(x1)", (3, 4), (12,)),
    # ---- type conversions
    C("long", "(x0 * 3).long()", (5,)),
    C("int", "(x0 * 3).int()", (5,)),
    C("float", "(x0 > 0).float()", (5,)),
    C("double_back", "(x0.double() * 2).float()", (5,)),
    C("bool", "x0.round().bool()", (5,)),
    C("to_dtype", "(x0 * 3).to(torch.int64)", (5,)),
    C("to_tensor", "(x0 > 0).to(x1)", (5,), (5,)),
    C("to_device", "x0.to('cpu') + 1", (5,)),
    C("to_kw", "(x0 > 0).to(dtype=torch.float32)", (5,)),
    C("type_as", "(x0 > 0).type_as(x1) + x1", (5,), (5,)),
    C("type", "(x0 * 2).type(torch.int32)", (5,)),
    C("clone_detach", "x0.clone().detach() * 2", (5,)),
    # ---- indexing
    C("index_int", "x0[:, 1]", (3, 4)),
    C("index_slice", "x0[:, 1:3]", (3, 4)),
    C("index_neg_slice", "x0[:, -2:]", (3, 4)),
    C("index_ellipsis", "x0[..., 0]", (2, 3, 4)),
    C("index_none", "x0[:, None, :, 2]", (3, 4)),
    C("index_steps", "x0[:, ::2, 1:-1]", (5, 4)),
    C("index_new_last", "x0[..., None]", (3,)),
    C("index_two_ints", "x0[:, 1, -2]", (3, 4)),
    C("index_batch_int", "x0[0]", (3, 4)),
    C("index_batch_neg", "x0[-1]", (3,)),
    C("index_batch_slice", "x0[:2]", (3,)),
    C("index_list", "x0[:, [0, 2]]", (3, 4)),
    C("index_tensor", "x0[:, torch.arange(1, 4)]", (5, 2)),
    C("index_dyn_bound", "x0[x0.size(0) // 2:]", (3,)),
    C("index_dyn_end", "x0[:x0.shape[0] - x0.shape[0] // 2, 1]", (3,)),
    C("index_neg_step", "x0[:, ::-1]", (4, 3), ref="x0.flip(1)"),
    C("index_neg_step2", "x0[:, 3:0:-2]", (5,), ref="x0[:, [3, 1]]"),
    C("index_chain", "x0[:, 1:][..., :2][:, 0]", (3, 4)),
    # ---- reductions (opset 18 too: axes as an input)
    R("mean", "x0.mean(1)"),
    R("mean_keep", "x0.mean((1, 2), keepdim=True)"),
    R("mean_all", "torch.mean(x0)"),
    R("mean_neg", "x0.mean(dim=-1)"),
    R("sum", "x0.sum(1)"),
    R("sum_batch", "torch.sum(x0, (0, 2))"),
    R("sum_all", "x0.sum()"),
    R("sum_bool", "(x0 > 0).sum(1)"),
    R("prod", "x0.prod(1)"),
    R("prod_keep", "x0.prod(-1, keepdim=True)"),
    R("max_all", "x0.max()"),
    R("max_dim_values", "x0.max(1)[0]"),
    R("max_dim_indices", "x0.max(1)[1]"),
    R("max_named", "x0.max(dim=-1, keepdim=True).values"),
    R("min_named", "torch.min(x0, 2).indices"),
    R("min_tuple", "torch.min(x0, 1)", nout=2),
    R("max_elementwise", "torch.max(x0, x1)", (3, 4, 5), (3, 4, 5)),
    R("min_all", "torch.min(x0)"),
    R("amax", "x0.amax(1)"),
    R("amax_keep", "torch.amax(x0, (1, 2), keepdim=True)"),
    R("amin", "x0.amin(-1)"),
    R("argmax", "x0.argmax(1)"),
    R("argmax_all", "torch.argmax(x0)"),
    R("argmin_keep", "x0.argmin(dim=2, keepdim=True)"),
    R("std", "x0.std(1)"),
    R("var_biased", "x0.var(1, unbiased=False)"),
    R("std_all", "torch.std(x0)"),
    R("var_keep", "x0.var((1, 2), keepdim=True)"),
    R("var_flag", "torch.var(x0, False)"),
    R("norm_dim", "x0.norm(dim=1)"),
    R("norm_p1", "torch.norm(x0, p=1, dim=2)"),
    R("norm_all", "x0.norm()"),
    R("norm_keep", "x0.norm(2, 1, keepdim=True)"),
    R("logsumexp", "torch.logsumexp(x0, 1)"),
    R("logsumexp_keep", "x0.logsumexp(dim=-1, keepdim=True)"),
    C("maximum", "torch.maximum(x0, x1)", *S2),
    C("minimum", "torch.minimum(x0, x1)", *S2),
    # ---- elementwise
    C("abs", "torch.abs(x0)"),
    C("abs_method", "x0.abs()"),
    C("abs_int", "(x0 * 3).long().abs()"),
    C("sqrt", "torch.sqrt(x0.abs())"),
    C("rsqrt", "torch.rsqrt(x0.abs() + 0.1)"),
    C("exp", "torch.exp(x0)"),
    C("expm1", "x0.expm1()"),
    C("log", "torch.log(x0.abs() + 0.1)"),
    C("log2", "torch.log2(x0.abs() + 0.1)"),
    C("log10", "x0.abs().add(0.1).log10()"),
    C("log1p", "torch.log1p(x0.abs())"),
    C("sin", "torch.sin(x0)"),
    C("cos", "x0.cos()"),
    C("tan", "torch.tan(x0 * 0.5)"),
    C("asin", "torch.asin(x0.clamp(-0.9, 0.9))"),
    C("acos", "torch.acos(x0.clamp(-0.9, 0.9))"),
    C("atan", "torch.atan(x0)"),
    C("sinh", "torch.sinh(x0)"),
    C("cosh", "x0.cosh()"),
    C("floor", "torch.floor(x0 * 3)"),
    C("ceil", "(x0 * 3).ceil()"),
    C("round", "torch.round(x0 * 3)"),
    C("round_int", "(x0 * 3).long().round()"),
    C("sign", "torch.sign(x0)"),
    C("erf", "torch.erf(x0)"),
    C("reciprocal", "torch.reciprocal(x0.abs() + 0.5)"),
    C("square", "x0.square()"),
    C("neg", "-x0.neg()"),
    C("exp_int", "torch.exp((x0 * 2).long())"),
    C("floor_divide_op", "(x0 * 5) // (x1.abs() + 0.5)", *S2),
    C("floor_divide_int", "(x0 * 9).long() // ((x1 > 0).long() * 5 - 3)", *S2),
    C("floor_divide_scalar", "(x0 * 9).long() // 2"),
    C("remainder_op", "(x0 * 5) % (x1.abs() + 0.5)", *S2),
    C("remainder_neg", "torch.remainder(x0 * 5, -1.5)"),
    C("remainder_int", "(x0 * 9).long() % ((x1 > 0).long() * 5 - 3)", *S2),
    C("fmod", "torch.fmod(x0 * 5, 1.5)"),
    C("fmod_int", "torch.fmod((x0 * 9).long(), 4)"),
    C("clamp", "x0.clamp(-0.5, 0.5)"),
    C("clamp_min_kw", "torch.clamp(x0, min=0)"),
    C("clamp_max_kw", "x0.clamp(max=0.2)"),
    C("clip", "torch.clip(x0, -1, 1)"),
    C("clamp_min", "x0.clamp_min(0.1)"),
    C("clamp_max", "torch.clamp_max(x0, -0.1)"),
    C("clamp_tensor", "torch.clamp(x0, min=x1)", *S2),
    C("clamp_tensors", "x0.clamp(x1, x1 + 1)", *S2),
    C("clamp_int", "(x0 * 3).long().clamp(-1, 1)"),
    # ---- matrix products
    C("mm", "torch.mm(x0, x1.t())", (4,), (4,)),
    C("bmm", "torch.bmm(x0, x1)", (3, 4), (4, 5)),
    C("addmm", "torch.addmm(x0.sum(1), x0, x1.t(), beta=0.5, alpha=2)", (4,), (4,)),
    C("addmm_default", "torch.addmm(x1.t() @ x0, x0.t(), x1)", (4,), (4,)),
    C("baddbmm", "torch.baddbmm(x2, x0, x1, alpha=0.5, beta=2)", (3, 4), (4, 5), (3, 5)),
    C("matmul_op", "x0 @ x1", (3, 4), (4, 5)),
    # ---- *_like and arange
    C("zeros_like", "torch.zeros_like(x0) + x0", (3,)),
    C("ones_like", "torch.ones_like(x0)", (3,)),
    C("full_like", "torch.full_like(x0, 2.5) * x0", (3,)),
    C("ones_like_int", "torch.ones_like(x0, dtype=torch.int64)", (3,)),
    C("arange", "x0 + torch.arange(4)", (4,)),
    C("arange_float", "torch.arange(0, 1, 0.25) * x0", (4,)),
    # ---- sizes that stay dynamic
    C("channel_shuffle", """
        b, c, h, w = x0.shape
        g = 2
        y = x0.view(b, g, c // g, h, w)
        y = torch.transpose(y, 1, 2).contiguous()
        return y.view(b, -1, h, w)""", (4, 3, 5)),
    C("reshape_dyn_mul", "x0.reshape(x0.size(0) * 2, -1)", (4, 3)),
    C("reshape_dyn_two", "x0.reshape(-1, x0.size(0) * 3)", (3, 2)),
    C("view_other_tensor", "F.relu(x0).view(x0.size(0), -1)", (3, 4)),
    C("view_size_of_other", "x0.view(x1.size(0), -1)", (3, 4), (2,)),
    C("view_dyn_floordiv", """
        b = x0.size(0)
        return x0.view(b * 6 // 3, -1)""", (4, 3)),
    C("view_dyn_plus_minus", """
        b = x0.size(0)
        return x0.view(b * 3 - b * 2 + 0, 2, -1)""", (4, 3)),
    C("view_dyn_mod", """
        b = x0.size(0)
        return x0.view(b + b % 1, -1)""", (2, 3)),
    C("reshape_round_trip", """
        n = x0.size(0)
        return x0.reshape(n, 2, -1).permute(0, 2, 1).reshape(n, -1)""", (4, 3)),
    C("len_batch", "x0.view(len(x0), -1)", (2, 3)),
    C("zeros_like_view", "torch.zeros_like(x0).view(x0.size(0), -1) + 1", (2, 3)),
]

DYNAMIC = ["channel_shuffle", "reshape_dyn_mul", "reshape_dyn_two", "view_other_tensor",
           "view_size_of_other", "view_dyn_floordiv", "view_dyn_plus_minus", "view_dyn_mod",
           "reshape_round_trip", "expand_dyn", "broadcast_to", "index_dyn_bound",
           "index_dyn_end", "contiguous", "zeros_like_view"]


def body(code):
    code = textwrap.dedent(code).strip("\n")
    return code if "\n" in code or code.startswith("return") else "return " + code


def arch_text(case):
    decl = ", ".join(f"x{i}: [batch_size, {', '.join(map(str, s))}]"
                     for i, s in enumerate(case.shapes))
    params = ", ".join(f"x{i}" for i in range(len(case.shapes)))
    outs = "y" if case.nout == 1 else "(" + ", ".join(f"y{i}" for i in range(case.nout)) + ")"
    return (f"model m({decl}) -> {outs}:\n    forward({params}):\n" +
            textwrap.indent(body(case.code), " " * 8) + "\n")


def torch_fn(case):
    params = ", ".join(f"x{i}" for i in range(len(case.shapes)))
    ns = {"torch": torch, "F": F, "math": math}
    exec(f"def f({params}):\n" + textwrap.indent(body(case.ref), "    "), ns)
    return ns["f"]


def compare(got, want, where):
    want = [w.numpy() for w in (want if isinstance(want, (tuple, list)) else [want])]
    assert len(got) == len(want), f"{where}: {len(got)} outputs, PyTorch has {len(want)}"
    worst = 0.0
    for g, w in zip(got, want):
        assert g.shape == w.shape, f"{where}: shape {g.shape} != {w.shape}"
        assert g.dtype == w.dtype, f"{where}: dtype {g.dtype} != {w.dtype}"
        e = parity.rel_err(g, w) if g.size else 0.0
        assert e <= parity.MAX_REL_ERR, f"{where}: relative error {e:.3g}"
        worst = max(worst, e)
    return worst


class Results(dict):
    def __repr__(self):  # keep failure reports short
        return f"<{len(self)} converted cases>"


@pytest.fixture(scope="module")
def results():
    """Convert every case, run all models in one ONNX Runtime process;
    {case name: (error message or None, max relative error, model paths)}."""
    out = Results()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        ckpt = tmp / "empty.pth"
        torch.save({}, ckpt)
        jobs, labels = [], []
        for k, case in enumerate(CASES):
            arch = tmp / f"{case.name}.arch"
            arch.write_text(arch_text(case))
            rng = np.random.default_rng(k)
            xs = {b: [rng.standard_normal((b, *s)).astype(np.float32) for s in case.shapes]
                  for b in case.batches}
            try:
                with torch.no_grad():
                    f = torch_fn(case)
                    want = {b: f(*[torch.from_numpy(x) for x in xs[b]]) for b in case.batches}
                models = {}
                for opset in case.opsets:
                    onnx_path = tmp / f"{case.name}_{opset}.onnx"
                    res = parity.convert(ckpt, arch, onnx_path, "--opset", str(opset))
                    assert res.returncode == 0, f"opset {opset}: convert failed:\n{res.stderr}"
                    if opset <= onnx.defs.onnx_opset_version():
                        onnx.checker.check_model(str(onnx_path), full_check=True)
                    models[opset] = onnx.load(str(onnx_path))
            except Exception as e:  # reported by the case's own test
                out[case.name] = (f"{type(e).__name__}: {e}", 0.0, {})
                continue
            out[case.name] = (None, 0.0, models)
            for opset in case.opsets:
                for b in case.batches:
                    names = [i.name for i in models[opset].graph.input]
                    jobs.append((tmp / f"{case.name}_{opset}.onnx", dict(zip(names, xs[b]))))
                    labels.append((case.name, opset, b, want[b]))
        try:
            got_all = parity.run_ort_jobs(jobs, tmp)
        except AssertionError:  # one model broke the runner: run them one by one
            got_all = []
            for job in jobs:
                try:
                    got_all.append(parity.run_ort_jobs([job], tmp)[0])
                except AssertionError as e:
                    got_all.append(e)
        for (name, opset, b, want), got in zip(labels, got_all):
            err, worst, models = out[name]
            if err:
                continue
            try:
                if isinstance(got, Exception):
                    raise got
                worst = max(worst, compare(got, want, f"opset {opset}/batch {b}"))
                out[name] = (None, worst, models)
            except AssertionError as e:
                out[name] = (str(e), worst, models)
    return out


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_parity(results, case):
    err, worst, _ = results[case.name]
    assert err is None, err
    print(case.name, "max relative error", worst)


def test_case_names_unique():
    names = [c.name for c in CASES]
    assert len(names) == len(set(names))


def _initializers(model):
    return {i.name: onnx.numpy_helper.to_array(i) for i in model.graph.initializer}


@pytest.mark.parametrize("name", DYNAMIC)
def test_dynamic_batch_not_baked_in(results, name):
    """The batch stays a run-time size: the output's first dimension is
    symbolic or unknown, every constant Reshape shape starts with 0 (copy)
    or -1 (infer) and every constant Expand shape keeps the batch with 1;
    otherwise shapes are computed from Shape."""
    err, _, models = results[name]
    assert err is None, err
    for opset, model in models.items():
        out_dim = model.graph.output[0].type.tensor_type.shape.dim
        assert out_dim and not out_dim[0].HasField("dim_value"), \
            f"opset {opset}: output batch dimension is fixed: {out_dim[0]}"
        inits = _initializers(model)
        for node in model.graph.node:
            if node.op_type in ("Reshape", "Expand") and node.input[1] in inits:
                first = int(inits[node.input[1]].reshape(-1)[0])
                allowed = (0, -1) if node.op_type == "Reshape" else (1,)
                assert first in allowed, \
                    f"opset {opset}: {node.op_type} {node.name} has the constant shape " \
                    f"{inits[node.input[1]].tolist()}"


def test_dynamic_arithmetic_is_computed(results):
    """x.reshape(x.size(0) * 2, -1): Shape -> Gather -> Mul -> Concat, 1-D."""
    _, _, models = results["reshape_dyn_mul"]
    ops = [n.op_type for n in models[17].graph.node]
    assert ops == ["Shape", "Gather", "Mul", "Concat", "Reshape"], ops


def test_static_patterns_stay_constant(results):
    """b, c, h, w = x.shape; x.view(b, c // g, g, h, w): c, h, w are known,
    b is the input's own batch (0 in the shape): no shape computation."""
    _, _, models = results["channel_shuffle"]
    ops = [n.op_type for n in models[17].graph.node]
    assert ops == ["Reshape", "Transpose", "Reshape"], ops


def _convert_fails(tmp_path, forward, shapes=((3, 4),)):
    case = Case("bad", forward, list(shapes))
    arch = tmp_path / "bad.arch"
    arch.write_text(arch_text(case))
    ckpt = tmp_path / "empty.pth"
    torch.save({}, ckpt)
    res = subprocess.run([str(BIN), "convert", str(ckpt), "--arch", str(arch), "-o",
                          str(tmp_path / "bad.onnx"), "-q"], capture_output=True, text=True,
                         timeout=60)
    assert res.returncode != 0
    return res.stderr


@pytest.mark.parametrize("forward, message", [
    ("""
        if x0.size(0) > 1:
            return x0
        return -x0""", "only known when the model runs"),
    ("""
        if x0.size(0) * 2 == 4:
            return x0
        return -x0""", "only known when the model runs"),
    ("x0 if x0.sum() > 0 else -x0", "tensor values"),
    ("0 < x0 < 1", "chained comparisons of tensors"),
    ("x0[x0 > 0]", "boolean masks are not supported"),
    ("x0.squeeze(0)", "only known at run time"),
    ("x0.view(x0.size(0) / 2, -1)", "not supported on a size known only at run time"),
    ("x0[:, 7]", "out of range"),
    ("x0.permute(1, 0)", "permute needs 3 dimensions"),
    ("torch.split(x0, [1, 1], 1)", "add up to 2"),
    ("x0.expand(-1, 5, 4)", "cannot expand dimension"),
    ("x0.view(x0.size(0), -1, -1)", "only one dimension can be -1"),
])
def test_errors(tmp_path, forward, message):
    err = _convert_fails(tmp_path, forward)
    assert message in err, err


ATTENTION = '''
import torch
import torch.nn as nn


class Attention(nn.Module):
    def __init__(self, dim=8, heads=2):
        super().__init__()
        self.heads = heads
        self.qkv = nn.Linear(dim, dim * 3)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x):
        b, n, c = x.shape
        qkv = self.qkv(x).reshape(b, n, 3, self.heads, c // self.heads).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0], qkv[1], qkv[2]
        a = (q @ k.transpose(-2, -1)) * (c // self.heads) ** -0.5
        a = (a - a.amax(-1, keepdim=True)).exp()
        a = a / a.sum(dim=-1, keepdim=True)
        y = (a @ v).transpose(1, 2).reshape(b, n, c)
        return self.proj(y)
'''


def test_attention_block(tmp_path):
    """A pasted PyTorch class mixing layers with weights and the functions
    above (shape unpacking, reshape with run-time sizes, permute, indexing,
    transpose, amax, exp, sum), against the same class in PyTorch."""
    ns = {}
    exec(ATTENTION, ns)
    arch = tmp_path / "attention.arch"
    arch.write_text(ATTENTION + "\nmodel attn(x: [batch_size, 5, 8]) -> y = Attention()\n")
    torch.manual_seed(0)
    report = parity.check_model(ns["Attention"](), arch, (5, 8), forms=("state_dict",))
    assert len(report) == 4
