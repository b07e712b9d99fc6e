"""Causal masks as PyTorch users write them, against PyTorch (see
parity.py): torch.triu / torch.tril and their tensor methods (diagonal -1,
0, 2; sizes known at conversion time and sizes known only at run time),
the float and bool mask forms (torch.full((n, n), float('-inf')),
torch.ones(n, n).bool()), float('inf') / float('-inf') / float('nan') and
the spellings Python accepts, math.inf / math.nan, and the built-in
library's generate_square_subsequent_mask (function and method of
Transformer) building tgt_mask from tgt.size(1) inside forward.  Opsets 13
and 17, batches 1 and 3, two or more sequence lengths; all snippets share
one ONNX Runtime process (check_snippets)."""
import inspect
import math
import subprocess

import pytest
import torch
import torch.nn as nn

import parity
from helpers import BIN

E, H = 16, 4
SEQ = {"L": (5, 2), "S": (3, 6)}


class Call(nn.Module):
    """fn(m, *inputs) with m registered as `m` (the snippets' name)."""

    def __init__(self, m, fn):
        super().__init__()
        self.m = m if m is not None else nn.Identity()
        self.fn = fn

    def forward(self, *xs):
        return self.fn(self.m, *xs)


def fn(f, forward, shapes, init=(), m=None, **kw):
    return dict(module=Call(m, f), init=list(init), forward=forward, input_shapes=shapes,
                full_shapes=True, **kw)


NLS = ("batch_size", "L", "S")
CASES = {}
# ---- triu / tril: static sizes (a constant mask), run-time sizes (Range)
for d in (-1, 0, 2):
    CASES[f"triu-static-{d}"] = fn(lambda m, x, d=d: torch.triu(x, diagonal=d),
                                   f"torch.triu(x0, diagonal={d})", [("batch_size", 4, 6)])
    CASES[f"tril-static-{d}"] = fn(lambda m, x, d=d: torch.tril(x, d),
                                   f"torch.tril(x0, {d})", [("batch_size", 6, 4)])
    CASES[f"triu-method-dynamic-{d}"] = fn(lambda m, x, d=d: x.triu(d), f"x0.triu({d})", [NLS],
                                           sizes=SEQ)
    CASES[f"tril-method-dynamic-{d}"] = fn(lambda m, x, d=d: x.tril(diagonal=d),
                                           f"x0.tril(diagonal={d})", [NLS], sizes=SEQ)
CASES.update({
    "triu-default-4d": fn(lambda m, x: torch.triu(x), "torch.triu(x0)",
                          [("batch_size", 2, "L", "S")], sizes=SEQ),
    "tril-2d-dynamic-batch": fn(lambda m, x: torch.tril(x, -1), "torch.tril(x0, -1)",
                                [("batch_size", 5)]),
    "triu-int64": fn(lambda m, x: torch.triu(x, 1), "torch.triu(x0, 1)", [NLS],
                     sizes=SEQ, dtypes=["int64"]),
    # the float mask of torch 1.13's generate_square_subsequent_mask, of a
    # run-time size, on attention-like scores
    "full-inf-triu-dynamic": fn(
        lambda m, x: torch.softmax(x @ x.transpose(1, 2) + torch.triu(
            torch.full((x.size(1), x.size(1)), float('-inf')), diagonal=1), -1),
        "torch.softmax(x0 @ x0.transpose(1, 2) + torch.triu(torch.full((x0.size(1), "
        "x0.size(1)), float('-inf')), diagonal=1), -1)", [("batch_size", "L", 8)], sizes=SEQ),
    "full-inf-triu-static": fn(
        lambda m, x: torch.softmax(x + torch.triu(torch.full((5, 5), float('-inf')), 1), -1),
        "torch.softmax(x0 + torch.triu(torch.full((5, 5), float('-inf')), 1), -1)",
        [("batch_size", 5, 5)]),
    # the bool form: True above the diagonal = masked
    "ones-triu-bool-dynamic": fn(
        lambda m, x: torch.softmax(x.masked_fill(
            torch.triu(torch.ones(x.size(1), x.size(1)), diagonal=1).bool(), float('-inf')), -1),
        "torch.softmax(x0.masked_fill(torch.triu(torch.ones(x0.size(1), x0.size(1)), "
        "diagonal=1).bool(), float('-inf')), -1)", [("batch_size", "L", "L")], sizes=SEQ),
    "ones-tril-bool-keep": fn(
        lambda m, x: torch.softmax(x.masked_fill(
            ~torch.tril(torch.ones(x.size(1), x.size(1), dtype=torch.bool)), float('-inf')), -1),
        "torch.softmax(x0.masked_fill(~torch.tril(torch.ones(x0.size(1), x0.size(1), "
        "dtype=torch.bool)), float('-inf')), -1)", [("batch_size", "L", "L")], sizes=SEQ),
    # float('inf') and friends: exp(-inf) = 0 keeps the output finite
    "float-minus-inf": fn(lambda m, x: torch.exp(x.masked_fill(x > 0, float('-inf'))),
                          "torch.exp(x0.masked_fill(x0 > 0, float('-inf')))",
                          [("batch_size", 3, 7)]),
    "float-inf-spellings": fn(
        lambda m, x: torch.exp(-x.masked_fill(x > 0, float('inf'))) +
        torch.exp(x.masked_fill(x < 0.5, float('-inf'))),
        "torch.exp(-x0.masked_fill(x0 > 0, float(' +Infinity '))) + "
        "torch.exp(x0.masked_fill(x0 < 0.5, float('-INF')))", [("batch_size", 3, 7)]),
    "math-inf": fn(lambda m, x: torch.exp(x.masked_fill(x > 0, -math.inf)),
                   "torch.exp(x0.masked_fill(x0 > 0, -math.inf))", [("batch_size", 3, 7)]),
    # NaN where x > 0, then NaN (y != y) -> 7: only a real NaN gives 7
    "float-nan": fn(
        lambda m, x: (lambda y: torch.where(y != y, 7.0, y))(x.masked_fill(x > 0, float('nan'))),
        "torch.where(x0.masked_fill(x0 > 0, float('NaN')) != x0.masked_fill(x0 > 0, "
        "float('NaN')), 7.0, x0)", [("batch_size", 3, 7)]),
    "math-nan-and-float-strings": fn(
        lambda m, x: torch.where(x > 0, 7.0, x) * 1.5 + 2.5e-1,
        "torch.where(x0.masked_fill(x0 > 0, math.nan) != x0.masked_fill(x0 > 0, math.nan), "
        "7.0, x0) * float('1.5') + float(' 2.5e-1 ')", [("batch_size", 3, 7)]),
})

# ---- generate_square_subsequent_mask in forward, of the run-time tgt length
LAYER = f"{E}, {H}, dim_feedforward=24, batch_first=True"
CASES.update({
    "decoder-generate_square_subsequent_mask": fn(
        lambda m, t, mem: m(t, mem, tgt_mask=nn.Transformer.generate_square_subsequent_mask(
            t.size(1))),
        "m(x0, x1, tgt_mask=generate_square_subsequent_mask(x0.size(1)))",
        [("batch_size", "L", E), ("batch_size", "S", E)], sizes=SEQ,
        init=[f"m = TransformerDecoder(TransformerDecoderLayer({LAYER}), 2)"],
        m=nn.TransformerDecoder(nn.TransformerDecoderLayer(E, H, 24, batch_first=True), 2)),
    # the static method through the class, as torch 1.13 users call it
    "decoder-class-attribute-mask": fn(
        lambda m, t, mem: m(t, mem, tgt_mask=nn.Transformer.generate_square_subsequent_mask(
            t.size(1))),
        "m(x0, x1, tgt_mask=nn.Transformer.generate_square_subsequent_mask(x0.size(1)))",
        [("batch_size", "L", E), ("batch_size", "S", E)], sizes=SEQ, opsets=(13,),
        init=[f"m = TransformerDecoder(TransformerDecoderLayer({LAYER}), 1)"],
        m=nn.TransformerDecoder(nn.TransformerDecoderLayer(E, H, 24, batch_first=True), 1)),
    "transformer-method-mask": fn(
        lambda m, s, t: m(s, t, tgt_mask=m.generate_square_subsequent_mask(t.size(1))),
        "m(x0, x1, tgt_mask=m.generate_square_subsequent_mask(x1.size(1)))",
        [("batch_size", "S", E), ("batch_size", "L", E)], sizes=SEQ,
        init=[f"m = Transformer({E}, {H}, 1, 2, 24, batch_first=True)"],
        m=nn.Transformer(E, H, 1, 2, 24, batch_first=True)),
    "transformer-method-mask-static": fn(
        lambda m, s, t: m(s, t, tgt_mask=m.generate_square_subsequent_mask(4)),
        "m(x0, x1, tgt_mask=m.generate_square_subsequent_mask(4))",
        [("batch_size", "S", E), ("batch_size", 4, E)], sizes=SEQ,
        init=[f"m = Transformer({E}, {H}, 1, 1, 24, batch_first=True)"],
        m=nn.Transformer(E, H, 1, 1, 24, batch_first=True)),
})


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
    assert len(r) == runs
    print(case, "max relative error", max(e for *_, e in r))


class Seq2Seq(nn.Module):
    """A user's model: the causal mask built in forward from the method of
    its nn.Transformer, of the run-time target length."""

    def __init__(self):
        super().__init__()
        self.transformer = nn.Transformer(16, 4, 1, 1, 24, batch_first=True)
        self.out = nn.Linear(16, 5)

    def forward(self, src, tgt):
        tgt_mask = self.transformer.generate_square_subsequent_mask(tgt.size(1))
        return self.out(self.transformer(src, tgt, tgt_mask=tgt_mask))


# the class above pasted as it is, and a model line
SEQ2SEQ_ARCH = "import torch.nn as nn\n\n" + inspect.getsource(Seq2Seq) + \
    "\nmodel seq2seq(src: [batch_size, S, 16], tgt: [batch_size, L, 16]) -> y = Seq2Seq()\n"


def test_class_with_method_mask(tmp_path):
    arch = tmp_path / "seq2seq.arch"
    arch.write_text(SEQ2SEQ_ARCH)
    torch.manual_seed(0)
    r = parity.check_model(Seq2Seq(), arch, [("batch_size", "S", 16), ("batch_size", "L", 16)],
                           forms=("state_dict",), opsets=(17,), full_shapes=True,
                           sizes={"S": (3,), "L": (5, 2)})
    assert len(r) == 4
    print("seq2seq max relative error", max(e for *_, e in r))


def test_masks_are_pytorchs():
    """The references mean what the cases say: torch 1.13's mask is
    triu(full(-inf), 1), and the NaN case really sees NaN."""
    m = nn.Transformer.generate_square_subsequent_mask(3)
    assert torch.equal(m, torch.triu(torch.full((3, 3), float('-inf')), diagonal=1))
    assert float('nan') != float('nan') and float(' +Infinity ') == math.inf


# ---- errors
def _convert(tmp_path, forward, x="x: [batch_size, 4, 4]"):
    torch.save(nn.Identity().state_dict(), tmp_path / "m.pth")
    (tmp_path / "m.arch").write_text(f"model m({x}) -> y:\n    forward(x):\n"
                                     f"        return {forward}\n")
    return subprocess.run([str(BIN), "convert", str(tmp_path / "m.pth"), "--arch",
                           str(tmp_path / "m.arch"), "-o", str(tmp_path / "m.onnx")],
                          capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("forward, x, expect", [
    ("x.masked_fill(x > 0, float('infinite'))", "x: [batch_size, 4, 4]",
     "could not convert string to float: 'infinite'"),
    ("x.masked_fill(x > 0, float('0x10'))", "x: [batch_size, 4, 4]",
     "could not convert string to float: '0x10'"),
    ("x.masked_fill(x > 0, float(None))", "x: [batch_size, 4, 4]",
     "float() needs a number or a string, got None"),
    ("torch.triu(x)", "x: [batch_size]", "triu: input must have at least 2 dimensions, got a "
     "1-D tensor"),
    ("x.tril(1.5)", "x: [batch_size, 4, 4]", "diagonal"),
    ("Transformer.forward(x, x)", "x: [batch_size, 4, 4]", "class Transformer has no attribute 'forward'"),
])
def test_errors(tmp_path, forward, x, expect):
    res = _convert(tmp_path, forward, x)
    assert res.returncode != 0 and expect in res.stderr, res.stderr
    assert ":3:" in res.stderr  # the line of the call
    assert not (tmp_path / "m.onnx").exists()
