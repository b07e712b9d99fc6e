"""Helpers shared by the pth2onnx tests: paths, running the binary, fixture
generation, and exact value comparison."""
import functools
import json
import math
import os
import struct
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
GEN_DIR = ROOT / "tests" / "fixtures"
FIXDIR = Path(os.environ.get("PTH2ONNX_FIXTURES", ROOT / "build" / "fixtures"))
# make test / make asan say which build to test through P2O_BUILD
BUILD = ROOT / os.environ.get("P2O_BUILD", "build")
BIN = Path(os.environ.get("PTH2ONNX", BUILD / "pth2onnx"))
# the interpreter that has torch (Debian's); the tests themselves need no torch
TORCH_PYTHON = os.environ.get("TORCH_PYTHON", "/usr/bin/python3")

sys.path.insert(0, str(GEN_DIR))  # for pthcraft


# ----------------------------------------------------------------- fixtures
def fixtures_stale():
    stamp = FIXDIR / ".stamp"
    if not stamp.exists():
        return True
    newest = max(p.stat().st_mtime for p in GEN_DIR.glob("*.py"))
    return stamp.stat().st_mtime < newest


def ensure_fixtures():
    """Run make_fixtures.py when build/fixtures/.stamp is missing or older
    than any generator source."""
    if fixtures_stale():
        subprocess.run([TORCH_PYTHON, str(GEN_DIR / "make_fixtures.py"), str(FIXDIR)],
                       check=True, timeout=600)
    return FIXDIR


def expect_names():
    ensure_fixtures()
    return sorted(p.name[: -len(".expect.json")] for p in FIXDIR.glob("*.expect.json"))


@functools.lru_cache(maxsize=None)
def load_expect(name):
    with open(FIXDIR / (name + ".expect.json")) as f:
        return json.load(f)


# ------------------------------------------------------------------ running
class Result:
    def __init__(self, argv, proc):
        self.argv = argv
        self.rc = proc.returncode
        self.out = proc.stdout.decode("utf-8", "replace")
        self.err = proc.stderr.decode("utf-8", "replace")
        self._json = None

    @property
    def json(self):
        if self._json is None:
            assert self.rc == 0, f"exit {self.rc}; stderr:\n{self.err[-2000:]}"
            try:
                self._json = json.loads(self.out)
            except ValueError as e:
                raise AssertionError(f"stdout is not JSON ({e}): {self.out[:500]!r}")
        return self._json

    def describe(self):
        return (f"$ {' '.join(self.argv)}\nexit {self.rc}\n--- stdout\n{self.out[:1500]}"
                f"\n--- stderr\n{self.err[:1500]}")


def require_binary():
    if not BIN.exists():
        pytest.fail(f"{BIN} does not exist (build it first)", pytrace=False)


def run_tool(*args, timeout=120):
    require_binary()
    argv = [str(BIN)] + [str(a) for a in args]
    proc = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          stdin=subprocess.DEVNULL, timeout=timeout)
    return Result(argv, proc)


_cache = {}


def inspect_json(exp):
    """`inspect F --json [--values] [args]` for an expectation, run once."""
    with_values = any(t["values"] is not None for t in exp["tensors"])
    args = ["inspect", FIXDIR / exp["file"], "--json"] + (["--values"] if with_values else [])
    args += exp["args"]
    key = tuple(str(a) for a in args)
    if key not in _cache:
        _cache[key] = run_tool(*args)
    return _cache[key]


# ------------------------------------------------------------------- values
FLOAT_KINDS = {"float64", "float32", "float16", "bfloat16"}
INT_KINDS = {"int64", "int32", "int16", "int8", "uint8", "qint8", "quint8", "qint32"}
COMPLEX_PART = {"complex64": "float32", "complex128": "float64"}


def _to_f32(x):
    return struct.unpack("<f", struct.pack("<f", x))[0]


def _to_f16(x):
    return struct.unpack("<e", struct.pack("<e", x))[0]


def _to_bf16(x):
    bits = struct.unpack("<I", struct.pack("<f", x))[0]
    bits = (bits + 0x7FFF + ((bits >> 16) & 1)) & 0xFFFF0000  # nearest-even
    return struct.unpack("<f", struct.pack("<I", bits))[0]


ROUND = {"float64": float, "float32": _to_f32, "float16": _to_f16, "bfloat16": _to_bf16}


def float_matches(kind, got, exp):
    """Exact: the printed number must round-trip to the tensor's value."""
    if isinstance(exp, str):                     # "nan", "inf", "-inf"
        return got == exp
    if isinstance(got, bool) or not isinstance(got, (int, float)):
        return False
    if isinstance(got, float) and not math.isfinite(got):
        return False
    try:
        return ROUND[kind](float(got)) == exp
    except (OverflowError, struct.error):
        return False


def value_matches(dtype, got, exp):
    if dtype in FLOAT_KINDS:
        return float_matches(dtype, got, exp)
    if dtype in COMPLEX_PART:
        return (isinstance(got, list) and len(got) == 2
                and all(float_matches(COMPLEX_PART[dtype], g, e) for g, e in zip(got, exp)))
    if dtype == "bool":
        return got is exp
    if dtype in INT_KINDS:
        return type(got) is int and got == exp
    return got == exp


def compare_values(tensor_name, dtype, got, exp):
    """None if equal, otherwise a short description of the mismatch."""
    if not isinstance(got, list):
        return f"{tensor_name}: values is {type(got).__name__}, not a list"
    if len(got) != len(exp):
        return f"{tensor_name}: {len(got)} values, expected {len(exp)}"
    bad = [i for i, (g, e) in enumerate(zip(got, exp)) if not value_matches(dtype, g, e)]
    if not bad:
        return None
    i = bad[0]
    return (f"{tensor_name} ({dtype}): {len(bad)}/{len(exp)} values differ; first at "
            f"[{i}]: got {got[i]!r}, expected {exp[i]!r}")


# ------------------------------------------------------------------ errors
def check_error_message(res, path):
    """stderr carries one `pth2onnx: ...` line naming the file."""
    lines = [ln for ln in res.err.splitlines() if ln.strip()]
    msgs = [ln for ln in lines if ln.startswith("pth2onnx: ")]
    assert msgs, f"no line starting with 'pth2onnx: ' on stderr\n{res.describe()}"
    assert len(msgs) == 1, f"{len(msgs)} error lines, expected one\n{res.describe()}"
    assert str(path) in msgs[0], f"error line does not name {path}\n{res.describe()}"
    assert len(lines) <= 3, f"stderr is {len(lines)} lines, expected one\n{res.describe()}"
