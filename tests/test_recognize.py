"""Recognising a checkpoint's architecture among the built-ins: convert
and inspect without --arch."""
import subprocess

import torch
import torchvision

from helpers import BIN, FIXDIR, run_tool
from test_convert import TheModelClass, TwoHeads


def _run(*args):
    return subprocess.run([str(BIN), *map(str, args)], capture_output=True, text=True, timeout=120)


def test_fine_tuned_resnet50_is_recognised(tmp_path):
    torch.manual_seed(0)
    ckpt = tmp_path / "r50.pth"
    torch.save({"epoch": 3, "state_dict": torchvision.models.resnet50(num_classes=2).state_dict()},
               ckpt)
    res = _run("convert", ckpt, "-o", tmp_path / "r50.onnx")
    assert res.returncode == 0, res.stderr
    assert "recognised as built-in resnet50 (samples/resnet.arch) with 2 classes" in res.stderr


def test_inspect_reports_the_architecture():
    for name in ("resnet50.pth", "resnet50_legacy.pth"):
        res = run_tool("inspect", FIXDIR / name, "--json")
        assert res.rc == 0, res.describe()
        arch = res.json["architecture"]
        assert arch["recognised"] == "resnet50" and arch["matches"][0]["classes"] == 1000
        # resnet101 shares the first layers: it is a candidate, with problems
        assert any(c["name"] == "resnet101" and c["problems"] > 0 for c in arch["closest"])


def test_lenet_is_recognised_from_a_dataparallel_checkpoint(tmp_path):
    torch.manual_seed(0)
    ckpt = tmp_path / "dp.pth"
    torch.save(torch.nn.DataParallel(TheModelClass()).state_dict(), ckpt)
    res = _run("inspect", ckpt)
    assert "architecture: recognised as built-in TheModelClass" in res.stdout


def test_unknown_model_lists_the_closest_and_how_to_describe_it(tmp_path):
    torch.manual_seed(0)
    ckpt = tmp_path / "two.pth"
    torch.save(TwoHeads().state_dict(), ckpt)
    out = tmp_path / "two.onnx"
    res = _run("convert", ckpt, "-o", out)
    assert res.returncode == 5, res.stderr
    assert "no built-in architecture fits these weights" in res.stderr
    assert "closest:" in res.stderr and "docs/arch-language.md" in res.stderr
    assert not out.exists()
