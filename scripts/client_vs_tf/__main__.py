"""Differential test of the Python client's TensorFlow-shaped API against real TensorFlow.

Every snippet below is a small function taking a module `tf`. It runs twice in this process,
once with `tf = tensorflow` and once with `tf = gradd`, and what a user observes is compared:
values (np.allclose with float32/float64 tolerances), shapes, dtypes (by name), None-ness,
Python/numpy types of results, printed str/repr of tensors, variables, shapes and dtypes
(after replacing gradd's documented `gradd.` prefix with `tf.`), stdout printed by the
snippet, and the class name of a raised exception (gradd's classes are named like tf.errors,
so `InvalidArgumentError` matches `InvalidArgumentError`; a ValueError in TF against a gradd
InvalidArgumentError is a difference).

Documented differences that are normalized before comparing (reported as "match (doc)"):
  - the `gradd.Tensor` / `gradd.Variable` / `gradd.float32` prefix instead of `tf.`;
  - tf.Variable names: TF appends the output index (`'w:0'`), gradd keeps the name as given
    (pinned by clients/python/tests/test_api.py).

Needs TensorFlow (the benchmark venv) and a gradd server:

    /tmp/gradd serve --addr 127.0.0.1:50091 &
    .venv-bench/bin/python scripts/client_vs_tf --addr 127.0.0.1:50091 [-v] [-k SUBSTR]
        [--json OUT.json]

Differences judged not to be gradd bugs are listed in KNOWN (printed as "known (...)"); the
rest print as DIFF with the minimal repro (REAL) they reduce to. Exit status: 0 when no
snippet prints DIFF, 1 otherwise.
"""
import argparse
import contextlib
import io
import json
import os
import re
import sys
import traceback
import warnings
import numpy as np

from snip_common import *  # noqa: F401,F403,E402
# The snippet modules register their cases, in this order.
# (Prefixed: a module named like a package TensorFlow imports, `keras`, would shadow it.)
import snip_seed, snip_operators, snip_creation, snip_protocol  # noqa: E401,F401,E402
import snip_variables, snip_math_ops, snip_math_more, snip_tape, snip_tape_more  # noqa: E401,F401,E402
import snip_keras, snip_errors, snip_guide  # noqa: E401,F401,E402
import snip_indexing  # noqa: E401,F401,E402
import snip_training  # noqa: E401,F401,E402


KNOWN = {
    # gradd lacks it (not claimed by the READMEs; raises a clear error)
    "matmul_linalg": ("lacking", "no tf.linalg module"),
    "err_unknown_dtype": ("lacking", "complex dtypes"),
    "more_int_bitwise": ("lacking", "no bitwise ops: &, |, ^, ~ on integers raise NotImplementedError"),
    "shape_gather_gradient_type": ("doc", "gather's gradient is dense, TF returns IndexedSlices"),
    # gradd is more lenient than TF
    "op_pos_float32": ("lenient", "unary + works (TF: TypeError)"),
    "op_pos_float64": ("lenient", "unary + works (TF: TypeError)"),
    "create_constant_integral_float_to_int": ("lenient", "tf.constant([1.0], dtype=int32) accepted"),
    "format_variable_spec": ("lenient", "format spec on a Variable works (TF: TypeError)"),
    "var_assign_dtype_mismatch": ("lenient", "assigning an int32 tensor to a float variable casts"),
    "tape_jacobian_no_pfor": ("lenient", "experimental_use_pfor=False needs no persistent tape"),
    "tape_reset_persistent": ("lenient", "reset() outside the with block allowed"),
    "tape_source_python_float": ("lenient", "a Python float source gives None (TF: AttributeError)"),
    "guide_numpy_target": ("lenient", "a numpy target gives None (TF: AttributeError)"),
    "tape_target_python_float": ("lenient", "a Python float target gives None (TF: AttributeError)"),
    "dense_list_input": ("lenient", "Dense accepts a nested Python list (Keras 3 refuses)"),
    # TF's own quirk: nest.flatten of output_gradients silently misuses the values
    "tape_output_gradients_list": ("tf-quirk", "TF flattens nested lists in output_gradients; gradd raises ValueError"),
    "tape_output_gradients_python_list": ("tf-quirk", "TF uses only the first number of a list; gradd raises ValueError"),
    "tape_output_gradients_nested_list_2d": ("tf-quirk", "TF returns a scalar garbage gradient; gradd raises ValueError"),
    # documented design
    "err_deferred_try_except": ("doc", "errors surface when the batch runs (client README)"),
    "var_assign_return_repr": ("cosmetic", "TF's assign returns an 'UnreadVariable' (repr name)"),
}

# The differences judged to be gradd bugs, by minimal repro (written to /tmp/client_repro/ by
# the session that added this script; the names say what each is). Fixed ones are removed from
# this list and pinned by clients/python/tests/test_tf_compat.py: 01-20 (re-entered tapes,
# numpy operand dtypes, Dense casts/build/initializers/input checks, int truediv, <=/>= with NaN, format,
# binary functions on lists, batch_jacobian zeros and shape checks, failed assigns, second
# gradient RuntimeError, convert_to_tensor(variable), TensorShape slices, the Enum, index and
# assign exception classes, TypeError for Python values that do not fit).
REAL = {}


def _repro_of(name):
    for repro, prefixes in REAL.items():
        if any(name.startswith(p) for p in prefixes):
            return repro
    return None


# =============================================================================================
# Harness

def _normalize_text(s):
    s = s.replace("gradd.Tensor", "tf.Tensor").replace("gradd.Variable", "tf.Variable")
    s = re.sub(r"\bgradd\.(float32|float64|int32|int64|bool|double)\b", r"tf.\1", s)
    return s


def _normalize_var_names(s):
    # documented: TF's tf.Variable names carry ':0'
    s = re.sub(r"^([\w/.-]+):0$", r"\1", s)
    return re.sub(r"'([\w/.-]+):0'", r"'\1'", s)


def _tensor_kind(x, mod):
    if isinstance(x, mod.Variable):
        return "variable"
    if isinstance(x, mod.Tensor):
        return "tensor"
    if hasattr(x, "assign") and hasattr(x, "numpy"):
        return "keras_variable"
    return type(x).__name__


def observe(x, mod, depth=0):
    """A JSON-able description of what a user sees of `x`."""
    if x is None:
        return {"t": "None"}
    if isinstance(x, Meta):
        v = x.x
        return {"t": "meta", "shape": list(v.shape), "dtype": getattr(v.dtype, "name", str(v.dtype))}
    if isinstance(x, NoRepr):
        o = observe(x.x, mod, depth)
        o.pop("str", None)
        o.pop("repr", None)
        if o.get("kind") == "keras_variable":
            o["kind"] = "variable"
        return o
    if isinstance(x, bool):
        return {"t": "bool", "v": x}
    if isinstance(x, int):
        return {"t": "int", "v": x}
    if isinstance(x, float):
        return {"t": "float", "v": x}
    if isinstance(x, str):
        return {"t": "str", "v": _normalize_text(x)}
    if isinstance(x, np.ndarray):
        return {"t": "ndarray", "dtype": str(x.dtype), "shape": list(x.shape), "v": x}
    if isinstance(x, np.generic):
        return {"t": "npscalar", "type": type(x).__name__, "v": np.asarray(x)}
    if isinstance(x, (list, tuple)) and not hasattr(x, "as_list"):
        return {"t": type(x).__name__, "items": [observe(v, mod, depth + 1) for v in x]}
    if isinstance(x, dict):
        return {"t": "dict", "items": {str(k): observe(v, mod, depth + 1) for k, v in sorted(x.items())}}
    if hasattr(x, "as_list"):  # TensorShape
        return {"t": "shape", "v": list(x.as_list()), "str": str(x), "repr": _normalize_text(repr(x))}
    if hasattr(x, "numpy") and hasattr(x, "dtype") and hasattr(x, "shape"):
        kind = _tensor_kind(x, mod)
        o = {"t": "tensor", "kind": kind, "dtype": getattr(x.dtype, "name", str(x.dtype)),
             "shape": list(x.shape), "v": np.asarray(x.numpy())}
        if kind in ("tensor", "variable"):
            o["str"] = _normalize_text(str(x))
            o["repr"] = _normalize_text(repr(x))
        return o
    if type(x).__name__ == "DType" or (hasattr(x, "as_numpy_dtype") and hasattr(x, "name")):
        return {"t": "dtype", "name": x.name}
    return {"t": "other", "type": type(x).__name__, "str": _normalize_text(str(x))[:200]}


_NUM = re.compile(r"[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?|nan|inf")


def _tol(dtype):
    if "float64" in str(dtype):
        return dict(rtol=1e-9, atol=1e-12)
    return dict(rtol=2e-5, atol=2e-6)


def _values_close(a, b, dtype):
    a = np.asarray(a)
    b = np.asarray(b)
    if a.shape != b.shape:
        return False
    if a.dtype.kind in "fc" or b.dtype.kind in "fc":
        return bool(np.allclose(a.astype(np.float64), b.astype(np.float64), equal_nan=True, **_tol(dtype)))
    return bool(np.array_equal(a, b))


def _text_compare(a, b):
    """'exact', 'doc' (equal after documented normalizations), 'approx' (numbers within
    float32 tolerance) or None (different)."""
    if a == b:
        return "exact"
    na, nb = _normalize_var_names(a), _normalize_var_names(b)
    if na == nb:
        return "doc"
    ta, tb = _NUM.split(na), _NUM.split(nb)
    if [" ".join(t.split()) for t in ta] != [" ".join(t.split()) for t in tb]:
        return None
    xa = [float(v) for v in _NUM.findall(na)]
    xb = [float(v) for v in _NUM.findall(nb)]
    if len(xa) != len(xb):
        return None
    if np.allclose(xa, xb, rtol=1e-4, atol=1e-5, equal_nan=True):
        return "approx"
    return None


def compare(a, b, path="$"):
    """Returns (diffs, notes): lists of strings."""
    diffs, notes = [], []
    if a.get("t") != b.get("t"):
        return [f"{path}: TF {_short(a)} vs gradd {_short(b)}"], notes
    t = a["t"]
    if t in ("list", "tuple"):
        if len(a["items"]) != len(b["items"]):
            return [f"{path}: {t} of {len(a['items'])} vs {len(b['items'])}"], notes
        for i, (x, y) in enumerate(zip(a["items"], b["items"])):
            d, n = compare(x, y, f"{path}[{i}]")
            diffs += d
            notes += n
        return diffs, notes
    if t == "dict":
        if sorted(a["items"]) != sorted(b["items"]):
            return [f"{path}: keys {sorted(a['items'])} vs {sorted(b['items'])}"], notes
        for k in a["items"]:
            d, n = compare(a["items"][k], b["items"][k], f"{path}[{k!r}]")
            diffs += d
            notes += n
        return diffs, notes
    for key in ("kind", "dtype", "shape", "type", "name"):
        if key in a or key in b:
            if a.get(key) != b.get(key):
                diffs.append(f"{path}.{key}: TF {a.get(key)!r} vs gradd {b.get(key)!r}")
    if "v" in a or "v" in b:
        va, vb = a.get("v"), b.get("v")
        if isinstance(va, (np.ndarray, np.generic)) or isinstance(vb, (np.ndarray, np.generic)):
            if not _values_close(va, vb, a.get("dtype", "")):
                diffs.append(f"{path}.value: TF {_arr(va)} vs gradd {_arr(vb)}")
        elif isinstance(va, float) and isinstance(vb, float):
            if not _values_close(va, vb, "float32"):
                diffs.append(f"{path}.value: TF {va!r} vs gradd {vb!r}")
        elif t == "str":
            r = _text_compare(va, vb)
            if r is None:
                diffs.append(f"{path}: TF {va!r} vs gradd {vb!r}")
            elif r == "doc":
                notes.append("doc")
        elif va != vb:
            diffs.append(f"{path}.value: TF {va!r} vs gradd {vb!r}")
    for key in ("str", "repr"):
        if key in a and key in b:
            r = _text_compare(a[key], b[key])
            if r is None:
                diffs.append(f"{path}.{key}: TF {a[key]!r} vs gradd {b[key]!r}")
            elif r == "doc":
                notes.append("doc")
    return diffs, notes


def _arr(v):
    s = np.array2string(np.asarray(v), precision=8, threshold=20)
    return s if len(s) < 300 else s[:300] + "..."


def _short(o):
    if o.get("t") == "raise":
        return f"raises {o['type']}({o['msg'][:160]!r})"
    if o.get("t") == "tensor":
        return f"tensor {o['dtype']} {o['shape']} {_arr(o['v'])}"
    if o.get("t") == "other":
        return f"{o['type']} {o['str'][:100]!r}"
    return json.dumps({k: v for k, v in o.items() if k != "v"}, default=str)[:200] + (
        f" v={o['v']!r}" if "v" in o and not isinstance(o["v"], np.ndarray) else "")


def run_one(fn, mod, flush=None):
    out = io.StringIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with contextlib.redirect_stdout(out):
            try:
                r = fn(mod)
                if flush is not None:
                    flush()
                obs = observe(r, mod)
            except Exception as e:  # noqa: BLE001 - what a user sees
                obs = {"t": "raise", "type": type(e).__name__,
                       "mro": [c.__name__ for c in type(e).__mro__], "msg": str(e).strip().splitlines()[0] if str(e).strip() else ""}
    return obs, out.getvalue()


def compare_run(tf_res, gd_res):
    (a, out_a), (b, out_b) = tf_res, gd_res
    notes = []
    if a["t"] == "raise" or b["t"] == "raise":
        if a["t"] == "raise" and b["t"] == "raise":
            # gradd's class mirrors TF's by name (tf.errors.X -> gradd.X); a builtin class
            # must be the same or a base of gradd's.
            if a["type"] == b["type"] or a["type"] in b["mro"]:
                diffs = []
            else:
                diffs = [f"exception: TF {a['type']}({a['msg'][:160]!r}) vs gradd {b['type']}({b['msg'][:160]!r})"]
        else:
            diffs = [f"result: TF {_short(a)} vs gradd {_short(b)}"]
    else:
        diffs, notes = compare(a, b)
    if out_a != out_b:
        r = _text_compare(_normalize_text(out_a), _normalize_text(out_b))
        if r is None:
            diffs.append(f"stdout: TF {out_a!r} vs gradd {out_b!r}")
        elif r == "doc" or _normalize_text(out_b) != out_b:
            notes.append("doc")
    elif "gradd." in out_b:
        notes.append("doc")
    return diffs, notes


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--addr", default=os.environ.get("GRADD_ADDR", "127.0.0.1:50051"))
    ap.add_argument("-k", "--filter", action="append", default=[],
                    help="run only snippets whose name contains this (repeatable)")
    ap.add_argument("-v", "--verbose", action="store_true", help="print every snippet")
    ap.add_argument("--json", help="write per-snippet results here")
    ap.add_argument("--list", action="store_true", help="list snippet names and exit")
    args = ap.parse_args()
    if args.list:
        for n, _ in CASES:
            print(n)
        return 0
    os.environ["GRADD_ADDR"] = args.addr
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import tensorflow
    tensorflow.get_logger().setLevel("ERROR")
    import gradd
    try:
        (gradd.constant(1.0) * 2).numpy()
    except gradd.GraddError as e:
        raise SystemExit(f"no gradd server on {args.addr}: {e}")

    names = [n for n, _ in CASES]
    dup = {n for n in names if names.count(n) > 1}
    if dup:
        raise SystemExit(f"duplicate snippet names: {sorted(dup)}")
    selected = [(n, f) for n, f in CASES if not args.filter or any(s in n for s in args.filter)]
    n_match = n_doc = 0
    differing, known = [], []
    records = []
    for name, fn in selected:
        tf_res = run_one(fn, tensorflow)
        gd_res = run_one(fn, gradd, flush=gradd.flush)
        try:
            diffs, notes = compare_run(tf_res, gd_res)
        except Exception:  # noqa: BLE001 - a harness bug must not hide the other snippets
            diffs, notes = [f"harness error: {traceback.format_exc().splitlines()[-1]}"], []
        status = "DIFF" if diffs else ("match (doc)" if notes else "match")
        if diffs and name in KNOWN:
            status = f"known ({KNOWN[name][0]}: {KNOWN[name][1]})"
            known.append(name)
        elif diffs:
            differing.append((name, diffs))
        elif notes:
            n_doc += 1
        else:
            n_match += 1
        records.append({"name": name, "status": status, "diffs": diffs,
                        "tf": json.loads(json.dumps(tf_res[0], default=_jsonable)),
                        "gradd": json.loads(json.dumps(gd_res[0], default=_jsonable))})
        if args.verbose or diffs:
            repro = _repro_of(name) if status == "DIFF" else None
            print(f"{status:12s} {name}" + (f"   [repro {repro}]" if repro else "")
                  if not status.startswith("known") else f"{name}: {status}")
            if status == "DIFF" or args.verbose:
                for d in diffs:
                    print(f"    - {d}")
    unused = sorted(set(KNOWN) - {n for n, _ in CASES})
    if unused:
        print(f"KNOWN entries without a snippet: {unused}")
    unexplained = [n for n, _ in differing if _repro_of(n) is None]
    if unexplained:
        print(f"DIFF without a repro in REAL (new?): {unexplained}")
    print(f"\n{len(selected)} snippets: {n_match + n_doc} match ({n_doc} after the documented "
          f"normalizations), {len(differing) + len(known)} differ: {len(known)} known "
          f"(lacking/lenient/documented/TF quirk), {len(differing)} real (DIFF; see REAL)")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(records, f, indent=1)
    return 1 if differing else 0


def _jsonable(v):
    if isinstance(v, (np.ndarray, np.generic)):
        return np.asarray(v).tolist() if np.asarray(v).size < 200 else f"<array {np.shape(v)}>"
    return str(v)


if __name__ == "__main__":
    sys.exit(main())
