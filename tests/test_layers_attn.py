"""Attention layers against PyTorch (see parity.py): MultiheadAttention
with each option (batch_first, kdim/vdim, bias, add_bias_kv,
add_zero_attn, bool and float masks of each shape, need_weights,
average_attn_weights, unbatched input), scaled_dot_product_attention
(against the explicit formula, as torch 1.13 lacks it), and the built-in
library's TransformerEncoderLayer, TransformerDecoderLayer,
TransformerEncoder, TransformerDecoder and Transformer (norm_first,
activations, batch_first, masks, final norm, the nested-tensor fast path).
Sequence lengths are symbolic: one ONNX file per opset (13 and 17; 18 too
where Split and ReduceMean change form) runs at two lengths and batches 1
and 3.  All snippets share one ONNX Runtime
process (check_snippets)."""
import math
import subprocess

import numpy as np
import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F  # noqa: F401  (the constructors below are eval()ed)

import parity
from helpers import BIN

E, H = 16, 4
SEQ = {"L": (5, 2), "S": (3,)}


class Call(nn.Module):
    """fn(m, *inputs) with m registered as `m` (the snippets' name)."""

    def __init__(self, m, fn):
        super().__init__()
        self.m = m if m is not None else nn.Identity()
        self.fn = fn

    def forward(self, *xs):
        return self.fn(self.m, *xs)


def bool_masks(*which):
    """feeds: input i in `which` is a random bool mask (its shape from
    `which[i]`, names resolved by the run's sizes) whose first key is never
    masked, so that no row is fully masked (NaN in PyTorch and here)."""
    def feeds(rng, i, env):
        if i not in which[0]:
            return None
        shape = tuple(env.get(d, d) for d in which[0][i])
        m = rng.random(shape) < 0.35
        m[..., 0] = which[1] if len(which) > 1 else False
        return m
    return feeds


def snippet(module, init, forward, shapes, **kw):
    kw.setdefault("sizes", SEQ)
    return dict(module=module, init=init, forward=forward, input_shapes=shapes,
                full_shapes=True, **kw)


def mha(args, fn, forward, shapes, **kw):
    return snippet(Call(eval(f"nn.MultiheadAttention({args})"), fn),
                   [f"m = MultiheadAttention({args})"], forward, shapes, **kw)


LNE = ("L", "batch_size", E)
SNE = ("S", "batch_size", E)
NLE = ("batch_size", "L", E)
NSE = ("batch_size", "S", E)

CASES = {
    # self-attention (one MatMul + Split for q, k, v), weights averaged over
    # heads (ReduceMean); both change form at opset 18
    "mha-self": mha(f"{E}, {H}", lambda m, x: m(x, x, x), "m(x0, x0, x0)", [LNE],
                    opsets=(13, 17, 18)),
    # cross-attention, batch first, weights per head
    "mha-batch_first-per_head": mha(
        f"{E}, {H}, batch_first=True",
        lambda m, q, kv: m(q, kv, kv, average_attn_weights=False),
        "m(x0, x1, x1, average_attn_weights=False)", [NLE, NSE]),
    # separate key and value tensors, need_weights=False: (output, None)
    "mha-kv-no_weights": mha(
        f"{E}, {H}, dropout=0.25", lambda m, q, k, v: m(q, k, v, need_weights=False)[0],
        "m(x0, x1, x2, need_weights=False)[0]", [LNE, SNE, SNE]),
    # kdim/vdim: q_proj_weight, k_proj_weight, v_proj_weight; no bias
    "mha-kdim_vdim-nobias": mha(
        f"{E}, {H}, bias=False, kdim=6, vdim=10",
        lambda m, q, k, v: m(q, k, v), "m(x0, x1, x2)",
        [LNE, ("S", "batch_size", 6), ("S", "batch_size", 10)]),
    # bool attn_mask [L, S] and key_padding_mask [N, S], add_bias_kv, add_zero_attn
    "mha-bool_masks-bias_kv-zero_attn": mha(
        f"{E}, {H}, add_bias_kv=True, add_zero_attn=True",
        lambda m, q, kv, am, kpm: m(q, kv, kv, attn_mask=am, key_padding_mask=kpm),
        "m(x0, x1, x1, attn_mask=x2, key_padding_mask=x3)",
        [LNE, SNE, ("L", "S"), ("batch_size", "S")], dtypes=["float32", "float32", "bool", "bool"],
        feeds=bool_masks({2: ("L", "S"), 3: ("batch_size", "S")})),
    # float attn_mask [N*H, L, S] (built from an [N, H, L, S] input), batch first
    "mha-float_mask_3d": mha(
        f"{E}, {H}, batch_first=True",
        lambda m, q, kv, am: m(q, kv, kv, attn_mask=am.reshape(-1, am.size(2), am.size(3))),
        "m(x0, x1, x1, attn_mask=x2.reshape(-1, x2.size(2), x2.size(3)))",
        [NLE, NSE, ("batch_size", H, "L", "S")]),
    # float key_padding_mask, float 2-D attn_mask + bool key_padding_mask
    "mha-float_kpm": mha(
        f"{E}, {H}", lambda m, x, kpm: m(x, x, x, key_padding_mask=kpm),
        "m(x0, x0, x0, key_padding_mask=x1)", [LNE, ("batch_size", "L")]),
    "mha-float_mask-bool_kpm-bias_kv": mha(
        f"{E}, {H}, add_bias_kv=True",
        lambda m, q, kv, am, kpm: m(q, kv, kv, attn_mask=am, key_padding_mask=kpm),
        "m(x0, x1, x1, attn_mask=x2, key_padding_mask=x3)",
        [LNE, SNE, ("L", "S"), ("batch_size", "S")], dtypes=["float32"] * 3 + ["bool"],
        feeds=bool_masks({3: ("batch_size", "S")})),
    # unbatched [L, E] with a key_padding_mask [S]; 3-D mask [H, L, S]
    "mha-unbatched": snippet(
        Call(nn.MultiheadAttention(E, H), lambda m, q, kv, kpm, am: m(
            q[0], kv[0], kv[0], key_padding_mask=kpm[0], attn_mask=am[0])),
        [f"m = MultiheadAttention({E}, {H})"],
        "m(x0[0], x1[0], x1[0], key_padding_mask=x2[0], attn_mask=x3[0])",
        [(1, "L", E), (1, "S", E), (1, "S"), (1, H, "L", "S")],
        dtypes=["float32", "float32", "bool", "float32"], feeds=bool_masks({2: (1, "S")}),
        batches=(1,)),
}


# ---- scaled_dot_product_attention against the formula
def sdpa_ref(q, k, v, mask=None, causal=False, scale=None):
    s = q @ k.transpose(-2, -1) * (scale if scale is not None else 1 / math.sqrt(q.size(-1)))
    if causal:
        L, S = s.shape[-2:]
        s = s.masked_fill(~torch.ones(L, S, dtype=torch.bool).tril(), float("-inf"))
    if mask is not None:
        s = s.masked_fill(~mask, float("-inf")) if mask.dtype == torch.bool else s + mask
    return torch.softmax(s, -1) @ v


Q4 = ("batch_size", H, "L", 8)
K4 = ("batch_size", H, "S", 8)
V4 = ("batch_size", H, "S", 6)
SDPA = "F.scaled_dot_product_attention"
CASES.update({
    "sdpa": snippet(Call(None, lambda m, q, k, v: sdpa_ref(q, k, v)), [], f"{SDPA}(x0, x1, x2)",
                    [Q4, K4, V4]),
    "sdpa-3d-scale": snippet(Call(None, lambda m, q, k, v: sdpa_ref(q, k, v, scale=0.3)), [],
                             f"{SDPA}(x0, x1, x2, scale=0.3, dropout_p=0.0)",
                             [("batch_size", "L", 8), ("batch_size", "S", 8),
                              ("batch_size", "S", 8)]),
    # bool mask: True takes part (torch 2's convention for this function)
    "sdpa-bool_mask": snippet(Call(None, lambda m, q, k, v, am: sdpa_ref(q, k, v, am)), [],
                              f"{SDPA}(x0, x1, x2, attn_mask=x3)", [Q4, K4, V4, ("L", "S")],
                              dtypes=["float32"] * 3 + ["bool"],
                              feeds=bool_masks({3: ("L", "S")}, True)),
    "sdpa-float_mask": snippet(Call(None, lambda m, q, k, v, am: sdpa_ref(q, k, v, am)), [],
                               f"{SDPA}(x0, x1, x2, attn_mask=x3)",
                               [Q4, K4, V4, ("batch_size", 1, "L", "S")]),
    # causal with a dynamic length (computed in the graph) and a fixed one (a constant)
    "sdpa-causal-dynamic": snippet(Call(None, lambda m, q, k, v: sdpa_ref(q, k, v, causal=True)),
                                   [], f"{SDPA}(x0, x1, x2, is_causal=True)",
                                   [Q4, ("batch_size", H, "L", 8), ("batch_size", H, "L", 6)]),
    "sdpa-causal-fixed": snippet(Call(None, lambda m, q, k, v: sdpa_ref(q, k, v, causal=True)),
                                 [], f"{SDPA}(x0, x1, x2, is_causal=True)",
                                 [(H, "batch_size", 4, 8), (H, "batch_size", 6, 8),
                                  (H, "batch_size", 6, 8)]),
})


# ---- the Transformer library
def tf(ctor, fn, forward, shapes, **kw):
    return snippet(Call(eval("nn." + ctor), fn), ["m = " + ctor], forward, shapes, **kw)


LAYER = f"{E}, {H}, dim_feedforward=24"
CASES.update({
    "encoder_layer": tf(f"TransformerEncoderLayer({LAYER})", lambda m, x: m(x), "m(x0)", [LNE]),
    "encoder_layer-gelu-norm_first-masks": tf(
        f"TransformerEncoderLayer({LAYER}, activation='gelu', norm_first=True, batch_first=True, "
        f"layer_norm_eps=1e-3)",
        lambda m, x, am, kpm: m(x, src_mask=am, src_key_padding_mask=kpm),
        "m(x0, src_mask=x1, src_key_padding_mask=x2)", [NLE, ("L", "L"), ("batch_size", "L")],
        dtypes=["float32", "float32", "bool"], feeds=bool_masks({2: ("batch_size", "L")})),
    # PyTorch's fast path (batch first, eval, no mask but the padding one)
    "encoder_layer-fast_path-kpm": tf(
        f"TransformerEncoderLayer({LAYER}, batch_first=True)",
        lambda m, x, kpm: m(x, src_key_padding_mask=kpm), "m(x0, src_key_padding_mask=x1)",
        [NLE, ("batch_size", "L")], dtypes=["float32", "bool"],
        feeds=bool_masks({1: ("batch_size", "L")})),
    # a callable activation (a module: no fast path)
    "encoder_layer-callable_activation": tf(
        f"TransformerEncoderLayer({LAYER}, activation=nn.SiLU())", lambda m, x: m(x), "m(x0)",
        [LNE]),
    "decoder_layer-masks": tf(
        f"TransformerDecoderLayer({LAYER})",
        lambda m, t, mem, tm, mkpm: m(t, mem, tgt_mask=tm, memory_key_padding_mask=mkpm),
        "m(x0, x1, tgt_mask=x2, memory_key_padding_mask=x3)",
        [LNE, SNE, ("L", "L"), ("batch_size", "S")], dtypes=["float32"] * 3 + ["bool"],
        feeds=bool_masks({3: ("batch_size", "S")})),
    "decoder_layer-norm_first-gelu-batch_first": tf(
        f"TransformerDecoderLayer({LAYER}, activation=F.gelu, norm_first=True, batch_first=True)",
        lambda m, t, mem, mm: m(t, mem, memory_mask=mm), "m(x0, x1, memory_mask=x2)",
        [NLE, NSE, ("L", "S")], dtypes=["float32", "float32", "bool"],
        feeds=bool_masks({2: ("L", "S")})),
    "encoder-norm-no_nested": tf(
        f"TransformerEncoder(nn.TransformerEncoderLayer({LAYER}, batch_first=True), 2, "
        f"nn.LayerNorm({E}), enable_nested_tensor=False)",
        lambda m, x, kpm: m(x, src_key_padding_mask=kpm), "m(x0, src_key_padding_mask=x1)",
        [NLE, ("batch_size", "L")], dtypes=["float32", "bool"],
        feeds=bool_masks({1: ("batch_size", "L")})),
    "decoder-norm": tf(
        f"TransformerDecoder(nn.TransformerDecoderLayer({LAYER}), 2, nn.LayerNorm({E}))",
        lambda m, t, mem: m(t, mem), "m(x0, x1)", [LNE, SNE]),
    "transformer": tf(
        f"Transformer({E}, {H}, 2, 1, 24)",
        lambda m, s, t, tm: m(s, t, tgt_mask=tm), "m(x0, x1, tgt_mask=x2)",
        [SNE, LNE, ("L", "L")]),
})


def right_padding(rng, i, env):
    """key_padding_mask [N, L] padded at the end, the first sequence whole
    (so that PyTorch's nested-tensor output keeps length L)."""
    if i != 1:
        return None
    n, L = env["batch_size"], env["L"]
    lengths = [L] + [max(1, L - 2 * k - 1) for k in range(n - 1)]
    return np.array([[j >= k for j in range(L)] for k in lengths])


# the nested-tensor fast path of TransformerEncoder: 0 at padded positions
CASES["encoder-nested_tensor"] = tf(
    f"TransformerEncoder(nn.TransformerEncoderLayer({LAYER}, batch_first=True), 2, "
    f"nn.LayerNorm({E}))",
    lambda m, x, kpm: m(x, src_key_padding_mask=kpm), "m(x0, src_key_padding_mask=x1)",
    [NLE, ("batch_size", "L")], dtypes=["float32", "bool"], feeds=right_padding)


@pytest.fixture(scope="module")
def results():
    torch.manual_seed(0)
    return parity.check_snippets(CASES)


@pytest.mark.parametrize("case", list(CASES))
def test_parity(results, case):
    r = results[case]
    if isinstance(r, BaseException):
        raise r
    runs = parity.snippet_runs(CASES[case])
    assert len(r) >= runs
    print(case, "max relative error", max(e for *_, e in r))


def test_nested_tensor_zeros_are_pytorchs():
    """The case above is meaningful: PyTorch's encoder really returns the
    final norm of 0 at padded positions (and differs from the slow path)."""
    torch.manual_seed(0)
    layer = nn.TransformerEncoderLayer(E, H, 24, batch_first=True)
    enc = nn.TransformerEncoder(layer, 1).eval()
    x = torch.randn(2, 4, E)
    kpm = torch.tensor([[False] * 4, [False, False, True, True]])
    with torch.no_grad():
        fast = enc(x, src_key_padding_mask=kpm)
    slow = enc(x, src_key_padding_mask=kpm)
    assert float(fast[1, 2:].abs().max()) == 0.0 and float(slow[1, 2:].abs().max()) > 0.1


# ---- errors
def _convert(tmp_path, module, arch_text):
    torch.save(module.state_dict(), tmp_path / "m.pth")
    (tmp_path / "m.arch").write_text(arch_text)
    return subprocess.run([str(BIN), "convert", str(tmp_path / "m.pth"), "--arch",
                           str(tmp_path / "m.arch"), "-o", str(tmp_path / "m.onnx")],
                          capture_output=True, text=True, timeout=60)


def _arch(init, forward, x="x: [L, batch_size, 16]"):
    return f"model m({x}) -> y:\n    m = {init}\n    forward(x):\n        return {forward}\n"


@pytest.mark.parametrize("init, forward, x, expect", [
    ("MultiheadAttention(32, 4)", "m(x, x, x)[0]", "x: [L, batch_size, 32]",
     "in_proj_weight has shape [48, 16] but MultiheadAttention(32, 4) needs [96, 32]"),
    ("MultiheadAttention(16, 3)", "m(x, x, x)[0]", "x: [L, batch_size, 16]",
     "embed_dim 16 is not divisible by num_heads 3"),
    ("MultiheadAttention(16, 4)", "m(x, x, x)[0]", "x: [L, batch_size, 8]",
     "expects query with 16 features in the last dimension, got 8"),
    ("MultiheadAttention(16, 4)", "m(x, x, x, attn_mask=x.unsqueeze(0))[0]", "x: [L, batch_size, 16]",
     "attn_mask must be 2-D [L, S] or 3-D"),
    ("MultiheadAttention(16, 4)", "F.scaled_dot_product_attention(x, x, x, attn_mask=x, "
     "is_causal=True)", "x: [L, batch_size, 16]", "attn_mask and is_causal=True"),
])
def test_errors(tmp_path, init, forward, x, expect):
    out = tmp_path / "m.onnx"
    res = _convert(tmp_path, Call(nn.MultiheadAttention(16, 4), None), _arch(init, forward, x))
    assert res.returncode != 0 and expect in res.stderr, res.stderr
    assert not out.exists()
