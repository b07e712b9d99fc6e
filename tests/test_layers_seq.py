"""Sequence layers against PyTorch (see parity.py): Embedding, EmbeddingBag
and their functional forms; RNN (tanh, relu), LSTM, GRU with 1 and 2
layers, bidirectional or not, batch_first or not, with and without bias and
initial states.  The sequence length is symbolic: one ONNX file per opset
runs at two lengths and batches 1 and 3."""
import itertools
import subprocess

import numpy as np
import onnx
import onnx.numpy_helper
import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

import parity
from helpers import BIN

SEQ = {"seq_len": (5, 2)}
IN, HID = 8, 16


class Recurrent(nn.Module):
    """layer(x, hx) with its outputs flattened: (output, h_n[, c_n])."""

    def __init__(self, layer):
        super().__init__()
        self.layer = layer

    def forward(self, x, *states):
        if not states:
            hx = None
        else:
            hx = tuple(states) if isinstance(self.layer, nn.LSTM) else states[0]
        out, h = self.layer(x, hx)
        return (out, *h) if isinstance(h, tuple) else (out, h)


# Six settings of (two layers, bidirectional, batch_first, no bias, initial
# states) that contain every pair of values of every two options; each kind
# of layer gets them in a different arrangement.
PAIRWISE = [(0, 0, 0, 0, 0), (0, 0, 0, 0, 1), (0, 1, 1, 1, 0), (1, 0, 1, 1, 0),
            (1, 1, 0, 1, 1), (1, 1, 1, 0, 1)]
ARRANGE = {"LSTM": lambda r: r,
           "GRU": lambda r: tuple(1 - v for v in r),
           "RNN": lambda r: r[1:] + r[:1],
           "RNN-relu": lambda r: tuple(1 - v for v in r[1:] + r[:1])}
CASES = [(kind, *ARRANGE[kind](row)) for kind in ARRANGE for row in PAIRWISE]


def _ids(case):
    kind, two, bi, bf, nobias, states = case
    return (f"{kind}-{'2' if two else '1'}layer{'-bidir' if bi else ''}"
            f"{'-batch_first' if bf else ''}{'-nobias' if nobias else ''}"
            f"{'-hx' if states else ''}")


@pytest.mark.parametrize("case", CASES, ids=[_ids(c) for c in CASES])
def test_recurrent(case):
    kind, two, bi, bf, nobias, states = case
    layers, dirs = 2 if two else 1, 2 if bi else 1
    typ = kind.split("-")[0]
    args = (f"{IN}, {HID}, num_layers={layers}, bias={not nobias}, batch_first={bool(bf)}, "
            f"dropout={0.25 if two else 0.0}, bidirectional={bool(bi)}")
    if kind == "RNN-relu":
        args += ", nonlinearity='relu'"
    module = Recurrent(eval(f"nn.{typ}({args})"))
    x = ("batch_size", "seq_len", IN) if bf else ("seq_len", "batch_size", IN)
    h = (layers * dirs, "batch_size", HID)
    shapes = [x] + [h] * ((2 if typ == "LSTM" else 1) if states else 0)
    call = {0: "layer(x0)", 1: "layer(x0, x1)", 2: "layer(x0, (x1, x2))"}[len(shapes) - 1]
    forward = f"(lambda r: (r[0], r[1][0], r[1][1]))({call})" if typ == "LSTM" else call
    report = parity.check_snippet(module, [f"layer = {typ}({args})"], forward, shapes,
                                  sizes=SEQ, full_shapes=True)
    assert len(report) == 2 * 2 * 2 * (3 if typ == "LSTM" else 2)
    print(_ids(case), "max relative error", max(e for *_, e in report))


def test_lstm_unbatched_and_sizes_from_the_weights():
    """A 2-D input [seq, input] (the sequence is the symbolic dimension);
    input_size and hidden_size left out: the weights say them."""
    module = Recurrent(nn.LSTM(IN, HID, num_layers=2, bidirectional=True))
    parity.check_snippet(module, ["layer = nn.LSTM(num_layers=2, bidirectional=True)"],
                         "(lambda r: (r[0], r[1][0], r[1][1]))(layer(x0))",
                         [("seq_len", IN)], sizes=SEQ, full_shapes=True, batches=(1,))
    module = Recurrent(nn.GRU(IN, HID))
    parity.check_snippet(module, [f"layer = GRU({IN}, {HID})"], "layer(x0, x1)",
                         [("seq_len", IN), (1, HID)], sizes=SEQ, full_shapes=True,
                         batches=(1,))


class Double(nn.Module):
    """A float64 LSTM: its weights are read element by element, not copied."""

    def __init__(self, layer):
        super().__init__()
        self.layer = layer.double()

    def forward(self, x):
        out, (h, c) = self.layer(x.double())
        return out.float(), h.float(), c.float()


def test_lstm_float64_weights():
    parity.check_snippet(Double(nn.LSTM(IN, HID, bidirectional=True)),
                         [f"layer = LSTM({IN}, {HID}, bidirectional=True)"],
                         "(lambda r: (r[0], r[1][0], r[1][1]))(layer(x0))",
                         [("seq_len", "batch_size", IN)], sizes=SEQ, full_shapes=True,
                         opsets=(17,))


LSTM_ARCH = """
class Tagger(nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(20, 8, padding_idx=0)
        self.lstm = nn.LSTM(8, 16, num_layers=2, batch_first=True, bidirectional=True)
        self.gru = nn.GRU(32, 8, batch_first=True)
        self.head = nn.Linear(8, 5)

    def forward(self, tokens):
        out, (h, c) = self.lstm(self.emb(tokens))
        y = self.gru(out)[0]
        return self.head(y), h, c

model tagger(tokens: int64[batch_size, seq_len]) -> (logits, h, c) = Tagger()
"""


class Tagger(nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(20, 8, padding_idx=0)
        self.lstm = nn.LSTM(8, 16, num_layers=2, batch_first=True, bidirectional=True)
        self.gru = nn.GRU(32, 8, batch_first=True)
        self.head = nn.Linear(8, 5)

    def forward(self, tokens):
        out, (h, c) = self.lstm(self.emb(tokens))
        y = self.gru(out)[0]
        return self.head(y), h, c


def test_tagger_unpacks_and_indexes_outputs(tmp_path):
    """`out, (h, c) = lstm(x)` and `gru(x)[0]` in a whole model fed int64
    tokens; the outputs keep the symbolic batch and sequence."""
    arch = tmp_path / "tagger.arch"
    arch.write_text(LSTM_ARCH)
    model = Tagger()
    with torch.no_grad():
        model.emb.weight[0] = torch.randn(8)  # the padding row is whatever it holds
    parity.check_model(model, arch, [("batch_size", "seq_len")], forms=("state_dict",),
                       dtypes=["int64"], high=20, sizes=SEQ, full_shapes=True)
    torch.save(model.state_dict(), tmp_path / "t.pth")
    res = parity.convert(tmp_path / "t.pth", arch, tmp_path / "t.onnx")
    assert res.returncode == 0, res.stderr
    g = onnx.load(str(tmp_path / "t.onnx")).graph
    dims = {o.name: [d.dim_value or d.dim_param for d in o.type.tensor_type.shape.dim]
            for o in g.output}
    assert dims == {"logits": ["batch_size", "seq_len", 5], "h": [4, "batch_size", 16],
                    "c": [4, "batch_size", 16]}
    assert [n.op_type for n in g.node].count("LSTM") == 2
    # W, R, B are one initializer each per layer, gates reordered when written
    w = {i.name: i for i in g.initializer}
    assert list(w["lstm.W_l0"].dims) == [2, 64, 8] and list(w["lstm.B_l1"].dims) == [2, 128]
    sd = model.state_dict()
    W = onnx.numpy_helper.to_array(w["lstm.W_l0"])
    ifgo = sd["lstm.weight_ih_l0_reverse"].numpy().reshape(4, 16, 8)
    np.testing.assert_array_equal(W[1], ifgo[[0, 3, 1, 2]].reshape(64, 8))
    R = onnx.numpy_helper.to_array(w["gru.R_l0"])
    rzn = sd["gru.weight_hh_l0"].numpy().reshape(3, 8, 8)
    np.testing.assert_array_equal(R[0], rzn[[1, 0, 2]].reshape(24, 8))


# ---- Embedding ------------------------------------------------------------

class Lookup(nn.Module):
    def __init__(self, layer, functional=False):
        super().__init__()
        self.layer = layer
        self.functional = functional

    def forward(self, x):
        if self.functional:
            return F.embedding(x, self.layer.weight)
        return self.layer(x)


def _padded(layer, pad):
    with torch.no_grad():
        layer.weight[pad] = torch.randn(layer.weight.shape[1])
    return layer


@pytest.mark.parametrize("pad, init, forward, dtype, shape", [
    (0, "Embedding(10, 4, padding_idx=0)", "layer(x0)", "int64", ("seq_len",)),
    (-1, "Embedding(10, 4, padding_idx=-1)", "layer(x0)", "int32", (2, "seq_len")),
    (None, "Embedding()", "layer(x0)", "int64", ()),
    (None, "Embedding(10, 4)", "F.embedding(x0, layer.weight)", "int64", ("seq_len",)),
])
def test_embedding(pad, init, forward, dtype, shape):
    """padding_idx only matters in training: PyTorch's eval output is a
    plain lookup, here of a padding row that is not zero."""
    layer = nn.Embedding(10, 4, padding_idx=pad)
    if pad is not None:
        _padded(layer, pad)
    module = Lookup(layer, functional=forward.startswith("F."))
    report = parity.check_snippet(module, [f"layer = {init}"], forward, [shape],
                                  dtypes=[dtype], sizes=SEQ)
    print(init, "max relative error", max(e for *_, e in report))


class Bag(nn.Module):
    def __init__(self, layer, functional=False, weighted=False):
        super().__init__()
        self.layer = layer
        self.functional = functional
        self.weighted = weighted

    def forward(self, x, *rest):
        if self.weighted:
            return self.layer(x, *rest[:-1], per_sample_weights=rest[-1])
        if not self.functional:
            return self.layer(x, *rest)
        l = self.layer
        offsets = rest[0] if rest else None
        return F.embedding_bag(x, l.weight, offsets, mode=l.mode, padding_idx=l.padding_idx,
                               include_last_offset=l.include_last_offset)


def _with_empty_bag(pad):
    """2-D tokens where the first bag is all padding (an empty bag)."""
    def feeds(rng, i, sizes):
        if i == 0:
            x = rng.integers(0, 4, size=(sizes["batch_size"], sizes["seq_len"]))
            x[0] = pad
            return x.astype(np.int64)
        return None
    return feeds


@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
@pytest.mark.parametrize("pad", [None, 1])
def test_embedding_bag_2d(mode, pad):
    layer = nn.EmbeddingBag(10, 4, mode=mode, padding_idx=pad)
    if pad is not None:
        _padded(layer, pad)
    init = f"layer = EmbeddingBag(10, 4, mode='{mode}', padding_idx={pad})"
    report = parity.check_snippet(Bag(layer), [init], "layer(x0)", [("seq_len",)],
                                  dtypes=["int64"], sizes=SEQ,
                                  feeds=_with_empty_bag(pad) if pad is not None else None)
    print(mode, pad, "max relative error", max(e for *_, e in report))


@pytest.mark.parametrize("pad", [None, 2])
def test_embedding_bag_per_sample_weights(pad):
    layer = nn.EmbeddingBag(10, 4, mode="sum", padding_idx=pad)
    if pad is not None:
        _padded(layer, pad)
    parity.check_snippet(Bag(layer, weighted=True),
                         [f"layer = EmbeddingBag(mode='sum', padding_idx={pad})"],
                         "layer(x0, per_sample_weights=x1)", [("seq_len",), ("seq_len",)],
                         dtypes=["int64", "float32"], sizes=SEQ, high=4)


def _offsets(last):
    """Sorted offsets [bags] into N indices, with an empty bag in the middle."""
    def feeds(rng, i, sizes):
        if i != 1:
            return None
        bags, n = sizes["batch_size"], sizes["n"]
        cuts = np.sort(rng.integers(0, n + 1, size=bags))
        cuts[0] = 0
        if bags > 2:
            cuts[2] = cuts[1]
        return (np.append(cuts, n) if last else cuts).astype(np.int64)
    return feeds


@pytest.mark.parametrize("mode, last, pad, form", [
    ("sum", False, None, "layer"), ("mean", True, None, "layer"), ("max", False, None, "layer"),
    ("sum", True, 0, "layer"), ("mean", False, 0, "functional"), ("max", True, 0, "functional"),
    ("sum", False, 0, "weighted"),
])
def test_embedding_bag_offsets(mode, last, pad, form):
    layer = nn.EmbeddingBag(10, 4, mode=mode, padding_idx=pad, include_last_offset=last)
    if pad is not None:
        _padded(layer, pad)
    init = (f"layer = EmbeddingBag(10, 4, mode='{mode}', padding_idx={pad}, "
            f"include_last_offset={last})")
    forward = {"layer": "layer(x0, x1)", "weighted": "layer(x0, x1, x2)",
               "functional": f"F.embedding_bag(x0, layer.weight, x1, mode='{mode}', "
                             f"padding_idx={pad}, include_last_offset={last})"}[form]
    shapes = [("n",), ("bags",)] + ([("n",)] if form == "weighted" else [])
    # N = 7 or 3 indices; `batch_size` bags, whose offsets (one more with
    # include_last_offset) feeds makes: "bags" is their declared length
    dtypes = ["int64", "int64", "float32"][:len(shapes)]
    module = Bag(layer, form == "functional", form == "weighted")
    report = parity.check_snippet(module, [init], forward, shapes, dtypes=dtypes,
                                  sizes={"n": (7, 3), "bags": (0,)}, high=4,
                                  feeds=_offsets(last), full_shapes=True)
    print(mode, last, pad, "max relative error", max(e for *_, e in report))


# ---- errors ---------------------------------------------------------------

def _convert(tmp_path, module, arch_text):
    torch.save(module.state_dict(), tmp_path / "m.pth")
    (tmp_path / "m.arch").write_text(arch_text)
    return parity.convert(tmp_path / "m.pth", tmp_path / "m.arch", tmp_path / "m.onnx")


@pytest.mark.parametrize("module, init, decl, forward, message", [
    (nn.Embedding(10, 4, max_norm=1.0), "Embedding(10, 4, max_norm=1.0)", "int64[batch_size]",
     "layer(x)", "max_norm is not supported"),
    (nn.Embedding(10, 4), "Embedding(10, 4)", "[batch_size]", "layer(x)",
     "expects integer indices"),
    (nn.LSTM(8, 16), "LSTM(8, 16, proj_size=4)", "[3, batch_size, 8]", "layer(x)[0]",
     "proj_size=4 is not supported"),
    (nn.LSTM(8, 16), "LSTM(8, 16)", "[3, batch_size, 8]", "layer(x, x)[0]",
     "LSTM's hx must be a tuple (h0, c0)"),
    (nn.GRU(8, 16), "GRU(8, 16)", "[3, batch_size, 7]", "layer(x)[0]",
     "expects a float input [seq, batch, 8]"),
    (nn.RNN(8, 16), "RNN(8, 16, nonlinearity='gelu')", "[3, batch_size, 8]", "layer(x)[0]",
     "nonlinearity must be 'tanh' or 'relu'"),
    (nn.EmbeddingBag(10, 4), "EmbeddingBag(10, 4, mode='max')", "int64[batch_size, 3]",
     "layer(x, per_sample_weights=x)", "per_sample_weights needs mode='sum'"),
])
def test_errors_point_at_the_layer(tmp_path, module, init, decl, forward, message):
    class M(nn.Module):
        def __init__(self):
            super().__init__()
            self.layer = module
    text = (f"model m(x: {decl}) -> y:\n    layer = {init}\n"
            f"    forward(x):\n        return {forward}\n")
    res = _convert(tmp_path, M(), text)
    assert res.returncode != 0 and message in res.stderr, res.stderr
    assert "m.arch:" in res.stderr


def test_recurrent_weights_of_the_wrong_size(tmp_path):
    """A hidden_size that the weights contradict names the key."""
    class M(nn.Module):
        def __init__(self):
            super().__init__()
            self.layer = nn.GRU(8, 16, num_layers=2)
    res = _convert(tmp_path, M(), "model m(x: [3, batch_size, 8]) -> y:\n"
                   "    layer = GRU(8, 12, num_layers=2)\n    forward(x):\n"
                   "        return layer(x)[0]\n")
    assert res.returncode == 6, res.stderr
    assert "layer.weight_ih_l0 has shape [48, 8] but GRU(8, 12, num_layers=2) needs [36, 8]" \
        in res.stderr
    res = _convert(tmp_path, M(), "model m(x: [3, batch_size, 8]) -> y:\n"
                   "    layer = GRU(8, 16)\n    forward(x):\n        return layer(x)[0]\n")
    assert res.returncode == 6 and "unexpected key layer.weight_ih_l1" in res.stderr
