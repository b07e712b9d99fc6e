"""Parity of torch.einsum (converters/einsum.c -> ONNX Einsum) with
PyTorch: each equation form through parity.check_snippets (empty
state_dict, inputs [batch_size, ...] unless whole shapes are given,
onnx.checker, ONNX Runtime at batch 1 and 3, opsets 13 and 17, max
relative error <= 1e-4), and the forms that are not supported, which fail
at the call site with a message.
"""
import subprocess

import pytest
import torch

import parity
from helpers import BIN


class Einsum(torch.nn.Module):
    """The PyTorch reference: torch.einsum(equation, *xs), with the
    operands as one list when as_list, or cast to int64 when long."""

    def __init__(self, equation, as_list=False, long=False):
        super().__init__()
        self.equation, self.as_list, self.long = equation, as_list, long

    def forward(self, *xs):
        if self.long:
            xs = [(x * 3).long() for x in xs]
        return torch.einsum(self.equation, list(xs)) if self.as_list else \
            torch.einsum(self.equation, *xs)


def case(equation, *shapes, as_list=False, long=False, full_shapes=False):
    args = ", ".join(f"x{i}" if not long else f"(x{i} * 3).long()" for i in range(len(shapes)))
    if as_list:
        args = "[" + args + "]"
    return dict(module=Einsum(equation, as_list, long), init=[],
                forward=f"torch.einsum({equation!r}, {args})", input_shapes=list(shapes),
                full_shapes=full_shapes)


CASES = {
    # MaxViT's attention (torchvision/models/maxvit.py): spaces, upper case
    "maxvit_scores": case("B G H I D, B G H J D -> B G H I J", (2, 3, 5, 4), (2, 3, 6, 4)),
    "maxvit_values": case("B G H I J, B G H J D -> B G H I D", (2, 3, 5, 6), (2, 3, 6, 4)),
    "batched_matmul": case("bij,bjk->bik", (3, 4), (4, 5)),
    "matmul_whole_shapes": case("ij,jk->ik", (3, 4), (4, 5), full_shapes=True),
    "implicit_output": case("bij,bjk", (3, 4), (4, 5)),
    "implicit_transpose": case("ji", (3, 4), full_shapes=True),
    "implicit_upper_first": case("bA", (3, 4), full_shapes=True),
    "permute": case("bijk->bkij", (2, 3, 4)),
    "sum_all": case("bij->", (3, 4)),
    "sum_rows": case("bij->bi", (3, 4)),
    "outer": case("bi,bj->bij", (3,), (4,)),
    "dot": case("bi,bi->b", (5,), (5,)),
    "diagonal": case("bii->bi", (4, 4)),
    "trace": case("bii->b", (4, 4)),
    "three_operands": case("bij,bjk,bkl->bil", (2, 3), (3, 4), (4, 2)),
    "operand_list": case("bij,bjk->bik", (3, 4), (4, 5), as_list=True),
    "int64": case("bij,bjk->bik", (3, 4), (4, 5), long=True),
}


@pytest.fixture(scope="module")
def results():
    return parity.check_snippets(CASES)


@pytest.mark.parametrize("name", list(CASES))
def test_parity(results, name):
    rows = results[name]
    if isinstance(rows, BaseException):
        raise rows
    assert len(rows) == 4  # opsets 13 and 17, batch 1 and 3
    print(name, "max relative error", max(r[-1] for r in rows))


@pytest.mark.parametrize("forward, shapes, message", [
    ("torch.einsum('b...,b...->b', x0, x1)", [(3, 4), (3, 4)], "ellipsis"),
    ("torch.einsum('bij,bij->bij', x0, x1)", [(3, 1), (1, 4)], "broadcasting"),
    ("torch.einsum('bij,bjk->bik', x0)", [(3, 4)], "more terms than the 1 operands"),
    ("torch.einsum('bij->bi', x0, x0)", [(3, 4)], "1 terms for 2 operands"),
    ("torch.einsum('bijk->bi', x0)", [(3, 4)], "more labels than the 3 dimensions"),
    ("torch.einsum('bi,bjk->bik', x0, x1)", [(3, 4), (4, 5)], "term 0"),
    ("torch.einsum('bij->bik', x0)", [(3, 4)], "occurs in no operand"),
    ("torch.einsum('bij->bii', x0)", [(3, 4)], "occurs twice"),
    ("torch.einsum('bi+->b', x0)", [(3, 4)], "unexpected '+'"),
    ("torch.einsum(x0, [0, 1], x1, [1, 2])", [(3, 4), (4, 5)], "equation"),
    ("torch.einsum('bi,bi->b', x0, [0, 1])", [(3,)], "not a tensor"),
    ("torch.einsum('bi,bi->b', x0 > 0, x0 > 0)", [(3,)], "bool"),
])
def test_errors(tmp_path, forward, shapes, message):
    arch = tmp_path / "bad.arch"
    arch.write_text(parity.snippet_arch([], forward, shapes))
    ckpt = tmp_path / "empty.pth"
    torch.save({}, ckpt)
    res = subprocess.run([str(BIN), "convert", str(ckpt), "--arch", str(arch), "-o",
                          str(tmp_path / "bad.onnx"), "-q"], capture_output=True, text=True,
                         timeout=60)
    assert res.returncode != 0
    assert message in res.stderr, res.stderr
    assert "bad.arch:" in res.stderr  # at the call site
