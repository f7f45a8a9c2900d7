"""The committed stubs in gradd/_proto/ are exactly what gen_proto.py generates from proto/."""
import filecmp
import importlib.util
import os
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
PKG = os.path.dirname(HERE)
PINNED = "1.85.1"  # pyproject.toml [dev]: the grpcio-tools that generated the committed stubs


def test_stubs_are_up_to_date(tmp_path):
    if importlib.util.find_spec("grpc_tools") is None:
        pytest.skip("grpcio-tools not installed (pip install './clients/python[dev]')")
    from importlib.metadata import version
    if version("grpcio-tools") != PINNED:
        pytest.skip(f"grpcio-tools {version('grpcio-tools')} installed; the stubs are pinned "
                    f"to {PINNED} (pip install grpcio-tools=={PINNED})")
    sys.path.insert(0, PKG)
    try:
        import gen_proto
    finally:
        sys.path.remove(PKG)
    gen_proto.generate(str(tmp_path))
    committed = os.path.join(PKG, "gradd", "_proto")
    names = sorted(gen_proto.FILES) + ["__init__.py"]
    match, mismatch, errors = filecmp.cmpfiles(committed, str(tmp_path), names, shallow=False)
    assert not mismatch and not errors, (
        f"stale stubs {mismatch + errors}: run `python clients/python/gen_proto.py`")
