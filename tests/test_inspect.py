"""`pth2onnx inspect` against what PyTorch says about each fixture.

Every build/fixtures/*.expect.json is one parametrized case (see conftest);
its checkpoint is inspected once with `--json [--values]` and the result is
checked field by field, so a failure names the field that is wrong.
"""
import os
import re

import pytest

import pthcraft
from helpers import FIXDIR, check_error_message, compare_values, inspect_json, load_expect, \
    run_tool


def _result(expect_name):
    exp = load_expect(expect_name)
    res = inspect_json(exp)
    assert res.rc == 0, res.describe()
    return exp, res.json


def _chosen_tensors(exp, got):
    """The expected tensor list for the weights_key the tool chose."""
    alts = exp.get("alternatives", {})
    if got.get("weights_key") in alts:
        return alts[got["weights_key"]]
    return exp["tensors"]


# ----------------------------------------------------------- per fixture
def test_exit_status_and_json(expect_name):
    exp = load_expect(expect_name)
    res = inspect_json(exp)
    assert res.rc == 0, res.describe()
    assert isinstance(res.json, dict), res.describe()


def test_container(expect_name):
    exp, got = _result(expect_name)
    assert got.get("format") == exp["format"]
    assert got.get("byteorder") == exp["byteorder"]
    if "archive_name" in exp:
        assert got.get("archive_name") == exp["archive_name"]
    if "version" in exp:
        assert got.get("version") == exp["version"]


def test_weights_selection(expect_name):
    exp, got = _result(expect_name)
    alts = exp.get("alternatives", {})
    wanted = [exp["weights_key"]] + list(alts)
    assert got.get("weights_key") in wanted, f"weights_key {got.get('weights_key')!r}"
    assert got.get("stripped_prefix") == exp["stripped_prefix"]
    others = got.get("other_weight_sets")
    assert isinstance(others, list), f"other_weight_sets = {others!r}"
    assert got["weights_key"] not in others
    for key in exp["other_weight_sets_contains"]:
        assert key in others, f"{key!r} missing from other_weight_sets {others}"
    for key in wanted:  # the choice not taken is offered as an alternative
        if key != got["weights_key"]:
            assert key in others, f"{key!r} missing from other_weight_sets {others}"


def test_top_level(expect_name):
    exp, got = _result(expect_name)
    top = got.get("top_level")
    assert isinstance(top, list) and top, f"top_level = {top!r}"
    summaries = {e.get("key"): e.get("summary") for e in top}
    if "top_keys" in exp:
        assert [e.get("key") for e in top] == exp["top_keys"]
    for key, want in exp.get("top_summary", {}).items():
        assert summaries.get(key) == want, f"summary of {key!r}: {summaries.get(key)!r}"
    for key, want in exp.get("top_summary_contains", {}).items():
        assert want in str(summaries.get(key)), f"summary of {key!r}: {summaries.get(key)!r}"


def test_tensor_names_dtypes_shapes(expect_name):
    exp, got = _result(expect_name)
    want = _chosen_tensors(exp, got)
    tensors = got.get("tensors")
    assert isinstance(tensors, list)
    assert [t.get("name") for t in tensors] == [t["name"] for t in want]
    for g, e in zip(tensors, want):
        field = {k: g.get(k) for k in ("dtype", "shape", "numel", "bytes")}
        assert field == {k: e[k] for k in ("dtype", "shape", "numel", "bytes")}, e["name"]


def test_tensor_values(expect_name):
    exp, got = _result(expect_name)
    want = {t["name"]: t for t in _chosen_tensors(exp, got)}
    problems = []
    for t in got.get("tensors", []):
        e = want.get(t.get("name"))
        if e is None:
            continue  # reported by test_tensor_names_dtypes_shapes
        if "values" not in t:
            problems.append(f"{e['name']}: no values")
            continue
        msg = compare_values(e["name"], e["dtype"], t["values"], e["values"])
        if msg:
            problems.append(msg)
    assert not problems, "\n".join(problems)


def test_totals(expect_name):
    exp, got = _result(expect_name)
    want = _chosen_tensors(exp, got)
    assert got.get("total_numel") == sum(t["numel"] for t in want)
    assert got.get("total_bytes") == sum(t["bytes"] for t in want)


def test_warnings(expect_name):
    exp, got = _result(expect_name)
    warnings = got.get("warnings")
    assert isinstance(warnings, list), f"warnings = {warnings!r}"
    text = "\n".join(map(str, warnings))
    if exp["warnings_empty"]:
        assert warnings == []
    for name in exp.get("warnings_contain_all", []):
        assert name in text, f"{name} not named in warnings {warnings}"
    if exp.get("warnings_contain_any"):
        assert any(n in text for n in exp["warnings_contain_any"]), warnings
    if exp.get("must_not_create"):
        assert not os.path.exists(exp["must_not_create"]), "the pickle was executed!"


def _find(node, cls):
    if node.get("class") == cls:
        yield node
    for c in node.get("children") or []:
        yield from _find(c, cls)


def _check_tree(got, exp, path):
    assert got.get("class") == exp["class"], f"class of {path or '<root>'}"
    names = [c.get("name", "").rsplit(".", 1)[-1] for c in got.get("children") or []]
    assert names == [c["name"] for c in exp["children"]], f"children of {path or '<root>'}"
    for g, e in zip(got["children"], exp["children"]):
        _check_tree(g, e, f"{path}.{e['name']}" if path else e["name"])


def test_modules(expect_name):
    exp, got = _result(expect_name)
    tree = exp.get("modules_expect")
    if tree is None:
        if exp["format"] != "torchscript":
            assert got.get("modules") is None
        return
    mods = got.get("modules")
    assert isinstance(mods, dict), f"modules = {mods!r}"
    assert mods.get("name") == ""
    _check_tree(mods, tree, "")
    convs = list(_find(mods, "torch.nn.modules.conv.Conv2d"))
    assert convs and convs[0].get("repr") == exp["conv1_repr"]


def test_text_mode(expect_name):
    exp = load_expect(expect_name)
    res = run_tool("inspect", FIXDIR / exp["file"], *exp["args"])
    assert res.rc == 0, res.describe()
    assert res.out.strip(), res.describe()


# ----------------------------------------------------------- text mode
def _text(fname, *args):
    res = run_tool("inspect", FIXDIR / fname, *args)
    assert res.rc == 0, res.describe()
    return res.out


def test_text_checkpoint_dict():
    out = _text("ckpt_model_state_dict.pth")
    assert "epoch: 7" in out
    n = len(load_expect("ckpt_model_state_dict.pth")["tensors"])
    assert re.search(rf"\b{n}\b", out), f"tensor count {n} not shown"


def test_text_totals_line():
    exp = load_expect("lenet_zip.pth")
    out = _text("lenet_zip.pth")
    total = sum(t["numel"] for t in exp["tensors"])
    lines = [ln for ln in out.splitlines() if "total" in ln.lower()]
    assert lines, "no totals line"
    digits = [re.sub(r"(?<=\d)[,_' ](?=\d)", "", ln) for ln in lines]
    assert any(re.search(rf"\b{total}\b", d) for d in digits), f"total {total} not in {lines}"
    assert re.search(rf"\b{len(exp['tensors'])}\b", out), "tensor count not shown"


@pytest.mark.parametrize("fname", ["whole_model.pth", "whole_model_legacy.pth"])
def test_text_whole_model_repr(fname):
    out = _text(fname)
    assert load_expect(fname)["conv1_repr"] in out


# ----------------------------------------------------------- misc CLI
def test_usage_error():
    res = run_tool("inspect")
    assert res.rc == 2, res.describe()


def test_unknown_key():
    path = FIXDIR / "two_models.pth"
    res = run_tool("inspect", path, "--json", "--key", "no_such_key")
    assert res.rc > 0, res.describe()
    assert res.err.startswith("pth2onnx: "), res.describe()


# ----------------------------------------------------------- malicious
def _write_evil(path, container, module, marker):
    cmd = f"echo PWNED > {marker}"
    evil = pthcraft.evil_pickle(cmd, module)
    if container == "zip":
        pthcraft.bare_zip_checkpoint(path, evil)
    elif container == "legacy":
        with open(path, "wb") as f:
            f.write(pthcraft.legacy_header() + evil + b"\x80\x02]q\x00.")  # keys: []
    else:  # a bare pickle
        with open(path, "wb") as f:
            f.write(evil)


@pytest.mark.parametrize("json_mode", [False, True], ids=["text", "json"])
@pytest.mark.parametrize("module", ["os", "posix"])
@pytest.mark.parametrize("container", ["zip", "legacy", "pickle"])
def test_malicious_pickle_not_executed(tmp_path, container, module, json_mode):
    marker = tmp_path / "PWNED"
    path = tmp_path / f"evil_{container}.pth"
    _write_evil(path, container, module, marker)
    res = run_tool("inspect", path, *(["--json"] if json_mode else []), timeout=10)
    print(f"observed exit status {res.rc}")  # shown with pytest -rA
    assert not marker.exists(), "os.system was executed!"
    assert res.rc in (0, 4), res.describe()
    assert "os.system" in res.out + res.err or "posix.system" in res.out + res.err, \
        res.describe()
    if res.rc == 4:
        check_error_message(res, path)
    elif json_mode:
        text = "\n".join(map(str, res.json.get("warnings", [])))
        assert f"{module}.system" in text, res.json.get("warnings")
