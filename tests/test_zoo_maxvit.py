"""Parity of the built-in MaxViT (samples/maxvit.arch) with torchvision
0.14's torchvision/models/maxvit.py: random-init models
(torch.manual_seed(0); check_model randomizes the batch-norm statistics and
constant-initialised parameters), saved as a state_dict, converted at
opset 17 (and 13 for the small model), run by ONNX Runtime at batch 1 and
3.

maxvit_t only builds for 221..224-pixel inputs (every block's input must be
divisible by its partition size, 7), and at 224 the check takes about a
minute on two busy cores; `make test` checks it once (1000 classes,
without onnx.checker), and every option through a small torchvision
MaxVit(...) (partition size 2, 64x64 input, 16..128 channels, opsets 13
and 17): the description's file with one more model line.  It also
checks that the partition layout follows the input (--input) as
torchvision's constructor computes it from input_size, that maxvit_t
itself binds (recognised without --arch, fine-tuned to 2 classes), and
that inputs torchvision rejects (not divisible by the partition size; not
square, where torchvision's grid attention fails) fail cleanly.
P2O_ZOO=all (`make zoo`) also checks maxvit_t with onnx.checker, with 2
classes, and at 448x448 (torchvision's maxvit_t(input_size=(448, 448))).
"""
import os
import subprocess

import pytest
import torch
import torchvision
from torchvision.models.maxvit import MaxVit

import parity
from helpers import BIN, ROOT

ALL = os.environ.get("P2O_ZOO") == "all"
ARCH = ROOT / "samples" / "maxvit.arch"

# a small MaxVit: every kind of layer of maxvit_t (projection with and
# without pooling, window and grid partitions, p = 1 in the last block)
SMALL = dict(stem_channels=16, partition_size=2, block_channels=[16, 32, 64, 128],
             block_layers=[1, 2, 1, 1], head_dim=8, stochastic_depth_prob=0.2)
# two blocks on a non-square input: grid partitions of 8 and 4 rows
TWO_BLOCKS = dict(stem_channels=16, partition_size=2, block_channels=[16, 32],
                  block_layers=[1, 2], head_dim=8, stochastic_depth_prob=0.1)


def small_arch(tmp_path, name, config, input_size):
    """samples/maxvit.arch plus a model line for MaxVit(config), as the
    --arch argument FILE:MODEL."""
    args = ", ".join(f"{k}={v!r}" for k, v in config.items())
    arch = tmp_path / f"{name}.arch"
    arch.write_text(ARCH.read_text() + f"\n\nmodel {name}(input: [batch_size, 3, "
                    f"{input_size[0]}, {input_size[1]}]) -> output = MaxVit("
                    f"input_size={tuple(input_size)!r}, {args})\n")
    return f"{arch}:{name}"


def report(name, rows):
    print(name, "max relative error", max(e for *_, e in rows))


def test_small_maxvit(tmp_path):
    torch.manual_seed(0)
    model = MaxVit(input_size=(64, 64), num_classes=10, **SMALL)
    arch = small_arch(tmp_path, "maxvit_small", SMALL, (64, 64))
    rows = parity.check_model(model, arch, (3, 64, 64), forms=("state_dict",),
                              opsets=(13, 17))
    assert len(rows) == 4  # opsets 13 and 17, batch 1 and 3
    report("maxvit_small", rows)


def test_partition_layout_follows_the_input(tmp_path):
    """Described for 64x64, converted for 128x128 (--input): the same as
    torchvision's MaxVit(input_size=(128, 128)), whose grid partitions are
    16 and 8 rows and columns (8 and 4 at 64x64)."""
    torch.manual_seed(0)
    model = MaxVit(input_size=(128, 128), num_classes=5, **TWO_BLOCKS)
    arch = small_arch(tmp_path, "maxvit_two", TWO_BLOCKS, (64, 64))
    rows = parity.check_model(model, arch, (3, 128, 128), forms=("state_dict",),
                              opsets=(17,), extra=("--input", "input:batch_size,3,128,128"))
    assert len(rows) == 2
    report("maxvit_two 128x128", rows)


@pytest.mark.parametrize("size, message", [
    # torchvision's constructor raises ValueError
    ((60, 60), "is not divisible by partition size 2"),
    # torchvision builds it, and fails in forward at the same place
    ((64, 96), "Add: shapes cannot be broadcast together"),
])
def test_input_torchvision_rejects_fails_cleanly(tmp_path, size, message):
    torch.manual_seed(0)
    ckpt = tmp_path / "w.pth"
    torch.save(MaxVit(input_size=(64, 64), num_classes=5, **TWO_BLOCKS).state_dict(), ckpt)
    try:
        with torch.no_grad():
            MaxVit(input_size=size, num_classes=5, **TWO_BLOCKS).eval()(torch.zeros(1, 3, *size))
        raise AssertionError("torchvision accepts " + str(size))
    except (ValueError, RuntimeError):
        pass
    out = tmp_path / "out.onnx"
    arch = small_arch(tmp_path, "maxvit", TWO_BLOCKS, (64, 64))
    res = parity.convert(ckpt, arch, out, "--input", f"input:1,3,{size[0]},{size[1]}")
    assert res.returncode != 0
    assert message in res.stderr, res.stderr
    assert not out.exists()


def test_fine_tuned_maxvit_t_is_recognised(tmp_path):
    torch.manual_seed(0)
    ckpt = tmp_path / "w.pth"
    torch.save(torchvision.models.maxvit_t(num_classes=2).state_dict(), ckpt)
    res = subprocess.run([str(BIN), "convert", str(ckpt), "-o", str(tmp_path / "w.onnx")],
                         capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    assert "recognised as built-in maxvit_t (samples/maxvit.arch) with 2 classes" in res.stderr


@pytest.mark.parametrize("num_classes", [1000] + ([2] if ALL else []))
def test_maxvit_t(num_classes):
    torch.manual_seed(0)
    model = torchvision.models.maxvit_t(num_classes=num_classes)
    rows = parity.check_model(model, "maxvit_t", (3, 224, 224), forms=("state_dict",),
                              opsets=(17,), checker=ALL)
    assert len(rows) == 2
    report(f"maxvit_t ({num_classes} classes)", rows)


if ALL:
    def test_maxvit_t_at_448():
        """The built-in maxvit_t converted for 448x448 (--input) is
        torchvision's maxvit_t(input_size=(448, 448)); batch 1 only (slow)."""
        torch.manual_seed(0)
        model = torchvision.models.maxvit_t(input_size=(448, 448))
        rows = parity.check_model(model, "maxvit_t", (3, 448, 448), forms=("state_dict",),
                                  opsets=(17,), batches=(1,),
                                  extra=("--input", "input:batch_size,3,448,448"))
        assert len(rows) == 1
        report("maxvit_t 448x448", rows)
