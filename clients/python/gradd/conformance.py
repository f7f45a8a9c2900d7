"""Replays conformance programs (gradient-conformance/1 JSON) through the raw gRPC stubs.

    python -m gradd.conformance FILE... [--addr HOST:PORT] [--filter PREFIX] [-v]

Each case runs in a fresh session. A step with `expect_error` must fail with that status code,
and the session must stay usable. Shapes and dtypes compare exactly, values with
|got - want| <= atol + rtol*|want| (NaN equals NaN; an infinity must match exactly), a null
expectation means "no gradient".
The last line is `N passed, M failed`; the exit status is non-zero if any case failed.
"""
import argparse
import json
import os
import sys

import grpc
import numpy as np

from . import _dtypes, _wire
from ._proto import gradd_pb2 as pb
from ._proto import gradd_pb2_grpc as pb_grpc

_UNCONNECTED = {None: pb.UNCONNECTED_NONE, "none": pb.UNCONNECTED_NONE,
                "zero": pb.UNCONNECTED_ZERO}
_MODES = {None: pb.ASSIGN_MODE_ASSIGN, "assign": pb.ASSIGN_MODE_ASSIGN,
          "add": pb.ASSIGN_MODE_ADD, "sub": pb.ASSIGN_MODE_SUB}


class CaseFailure(Exception):
    pass


def tensor_to_proto(t):
    dtype = _dtypes.as_dtype(t["dtype"])
    arr = np.array(t["values"], dtype=np.float64 if dtype.is_floating else None)
    arr = arr.astype(dtype.as_numpy_dtype).reshape(t["shape"])
    return _wire.to_proto(arr, dtype)


def attr_to_proto(v):
    a = pb.AttrValue()
    if isinstance(v, bool):
        a.b = v
    elif isinstance(v, int):
        a.i = v
    elif isinstance(v, float):
        a.f = v
    elif isinstance(v, str):
        a.s = v
    elif isinstance(v, list) and all(isinstance(x, int) and not isinstance(x, bool) for x in v):
        a.ints.values.extend(v)
    else:
        raise CaseFailure(f"unsupported attr value {v!r}")
    return a


def step_to_proto(s):
    """One JSON step -> (pb.Step, expectation kind)."""
    if "variable" in s:
        return pb.Step(variable=pb.VariableStep(ref=s["variable"], value=tensor_to_proto(s["value"]),
                                                trainable=s.get("trainable", True)))
    if "constant" in s:
        return pb.Step(constant=pb.ConstantStep(ref=s["constant"], value=tensor_to_proto(s["value"])))
    if "tape" in s:
        return pb.Step(tape=pb.TapeStep(tape=s["tape"], persistent=s.get("persistent", False),
                                        watch_accessed_variables=s.get("watch_accessed_variables", True)))
    if "watch" in s:
        return pb.Step(watch=pb.WatchStep(tape=s["watch"], refs=s["refs"]))
    if "op" in s:
        return pb.Step(op=pb.OpStep(op=s["op"], inputs=s.get("inputs", []),
                                    outputs=s.get("outputs", []),
                                    attrs={k: attr_to_proto(v) for k, v in s.get("attrs", {}).items()}))
    for kind in ("stop", "pause", "resume", "reset", "watched_variables"):
        if kind in s:
            return pb.Step(**{kind: pb.TapeRef(tape=s[kind])})
    if "gradient" in s:
        return pb.Step(gradient=pb.GradientStep(
            tape=s["gradient"], targets=s["targets"], sources=s["sources"],
            output_gradients=[tensor_to_proto(t) for t in s.get("output_gradients") or []],
            unconnected=_UNCONNECTED[s.get("unconnected")], outputs=s.get("outputs", []),
            fetch=True))
    if "jacobian" in s:
        return pb.Step(jacobian=pb.JacobianStep(
            tape=s["jacobian"], target=s["target"], sources=s["sources"],
            unconnected=_UNCONNECTED[s.get("unconnected")], outputs=s.get("outputs", []),
            fetch=True))
    if "batch_jacobian" in s:
        return pb.Step(batch_jacobian=pb.BatchJacobianStep(
            tape=s["batch_jacobian"], target=s["target"], source=s["source"],
            output=s.get("output", ""), fetch=True))
    if "fetch" in s:
        return pb.Step(fetch=pb.FetchStep(refs=s["fetch"]))
    if "assign" in s:
        step = pb.AssignStep(variable=s["assign"], mode=_MODES[s.get("mode")])
        if "source" in s:
            step.from_ref = s["source"]
        else:
            step.value.CopyFrom(tensor_to_proto(s["value"]))
        return pb.Step(assign=step)
    if "release" in s:
        return pb.Step(release=pb.ReleaseStep(refs=s.get("release") or [], tapes=s.get("tapes", [])))
    raise CaseFailure(f"unknown step {sorted(s)}")


def compare(got, want, rtol, atol, what):
    """Raises CaseFailure unless the pb.Value `got` matches the JSON tensor (or null) `want`."""
    if want is None:
        if not got.none:
            raise CaseFailure(f"{what}: expected no gradient (None), got a tensor of shape "
                              f"{list(got.tensor.shape)}")
        return
    if got.none:
        raise CaseFailure(f"{what}: expected a tensor, got no gradient (None)")
    t = got.tensor
    dtype = _dtypes.from_enum(t.dtype)
    if dtype.name != want["dtype"]:
        raise CaseFailure(f"{what}: dtype {dtype.name}, want {want['dtype']}")
    if list(t.shape) != list(want["shape"]):
        raise CaseFailure(f"{what}: shape {list(t.shape)}, want {want['shape']}")
    g = _wire.decode(t)[2]
    if g is None:
        raise CaseFailure(f"{what}: no values returned")
    w = np.array(want["values"], dtype=np.float64 if dtype.is_floating else None).reshape(want["shape"])
    if dtype.is_floating:
        g64 = g.astype(np.float64)
        nan_ok = np.isnan(g64) & np.isnan(w)
        with np.errstate(invalid="ignore"):
            # An infinite expectation is met exactly (its tolerance would be infinite).
            near = (np.abs(g64 - w) <= atol + rtol * np.abs(w)) & np.isfinite(w)
            ok = near | nan_ok | (g64 == w)
    else:
        ok = g == w.astype(g.dtype)
    if not np.all(ok):
        bad = np.argwhere(~ok) if ok.ndim else [()]
        i = tuple(bad[0])
        raise CaseFailure(f"{what}: {int(np.size(ok) - np.count_nonzero(ok))} of {np.size(ok)} "
                          f"values differ; first at {list(i)}: got {g[i]!r}, want {w[i]!r}")


def check_result(s, res, rtol, atol, label):
    if "expect" not in s:
        return
    want = s["expect"]
    if "watched_variables" in s:
        if list(res.variables) != list(want):
            raise CaseFailure(f"{label}: watched_variables {list(res.variables)}, want {want}")
        return
    if "batch_jacobian" in s:
        want = [want]
    if len(res.values) != len(want):
        raise CaseFailure(f"{label}: {len(res.values)} values, want {len(want)}")
    for j, (g, w) in enumerate(zip(res.values, want)):
        compare(g, w, rtol, atol, f"{label} value {j}")


def _kind(s):
    for k in ("variable", "constant", "tape", "watch", "op", "stop", "pause", "resume", "reset",
              "gradient", "jacobian", "batch_jacobian", "fetch", "watched_variables", "assign",
              "release"):
        if k in s:
            return k if k != "op" else f"op {s['op']}"
    return "?"


def run_case(stub, case, timeout=60.0):
    """Runs one case in a fresh session. Raises CaseFailure on the first mismatch.

    Steps are sent in Runs that end at each step expecting an error, so that a failing step is
    the last of its Run and the results of the steps before it are all checked."""
    rtol, atol = case.get("rtol", 1e-4), case.get("atol", 1e-5)
    sid = stub.CreateSession(pb.CreateSessionRequest(), timeout=timeout).session_id
    try:
        steps = case["steps"]
        start = 0
        while start < len(steps):
            end = start
            while end < len(steps) and "expect_error" not in steps[end]:
                end += 1
            batch = steps[start:end]
            if batch:
                req = pb.RunRequest(session_id=sid, steps=[step_to_proto(s) for s in batch])
                try:
                    resp = stub.Run(req, timeout=timeout)
                except grpc.RpcError as e:
                    raise CaseFailure(f"unexpected {e.code().name}: {e.details()}") from None
                if len(resp.results) != len(batch):
                    raise CaseFailure(f"{len(resp.results)} results for {len(batch)} steps")
                for k, (s, r) in enumerate(zip(batch, resp.results)):
                    check_result(s, r, rtol, atol, f"step {start + k} ({_kind(s)})")
            if end < len(steps):
                s = steps[end]
                want = s["expect_error"]
                try:
                    stub.Run(pb.RunRequest(session_id=sid, steps=[step_to_proto(s)]), timeout=timeout)
                except grpc.RpcError as e:
                    if e.code().name != want:
                        raise CaseFailure(f"step {end} ({_kind(s)}): expected {want}, got "
                                          f"{e.code().name}: {e.details()}") from None
                    if not (e.details() or "").startswith("step 0 ("):
                        raise CaseFailure(f"step {end} ({_kind(s)}): status message does not "
                                          f"start with 'step 0 (': {e.details()!r}")
                else:
                    raise CaseFailure(f"step {end} ({_kind(s)}): expected {want}, but it succeeded")
            start = end + 1
    finally:
        try:
            stub.DeleteSession(pb.DeleteSessionRequest(session_id=sid), timeout=timeout)
        except grpc.RpcError:
            pass


def load_cases(paths, prefix=None):
    cases = []
    for p in paths:
        with open(p) as f:
            doc = json.load(f)
        if doc.get("format") != "gradient-conformance/1":
            raise SystemExit(f"{p}: unknown format {doc.get('format')!r}")
        cases += [c for c in doc["cases"] if prefix is None or c["name"].startswith(prefix)]
    return cases


def run(paths, addr, prefix=None, verbose=False, out=sys.stdout):
    """Runs the cases; returns (passed, failures) with failures as [(name, message)]."""
    cases = load_cases(paths, prefix)
    channel = grpc.insecure_channel(addr)
    stub = pb_grpc.GraddStub(channel)
    passed, failures = 0, []
    try:
        for case in cases:
            try:
                run_case(stub, case)
            except CaseFailure as e:
                failures.append((case["name"], str(e)))
                print(f"FAIL {case['name']}: {e}", file=out)
            except grpc.RpcError as e:
                failures.append((case["name"], f"{e.code().name}: {e.details()}"))
                print(f"FAIL {case['name']}: {e.code().name}: {e.details()}", file=out)
            else:
                passed += 1
                if verbose:
                    print(f"ok   {case['name']}", file=out)
    finally:
        channel.close()
    return passed, failures


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python -m gradd.conformance", description=__doc__.split("\n")[0])
    ap.add_argument("files", nargs="+", help="conformance JSON files")
    ap.add_argument("--addr", default=os.environ.get("GRADD_ADDR", "localhost:50051"))
    ap.add_argument("--filter", default=None, help="only cases whose name starts with PREFIX")
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args(argv)
    passed, failures = run(args.files, args.addr, args.filter, args.verbose)
    print(f"{passed} passed, {len(failures)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
