"""The Python conformance runner over the shared conformance file, against the real server."""
import os

import pytest

from gradd import conformance

from conftest import CONFORMANCE

pytestmark = pytest.mark.skipif(not os.path.exists(CONFORMANCE),
                                reason=f"{CONFORMANCE} not found (set GRADD_CONFORMANCE)")


@pytest.mark.parametrize("prefix", ["seed/", "tape/", "error/"])
def test_conformance_prefix(addr, prefix, capsys):
    passed, failures = conformance.run([CONFORMANCE], addr, prefix)
    assert passed > 0
    assert not failures, "\n".join(f"{n}: {m}" for n, m in failures)


def test_conformance_whole_file(addr):
    passed, failures = conformance.run([CONFORMANCE], addr)
    print(f"{passed} passed, {len(failures)} failed")
    assert not failures, f"{len(failures)} cases failed:\n" + "\n".join(
        f"{n}: {m}" for n, m in failures)


def test_conformance_cli(addr, capsys):
    rc = conformance.main([CONFORMANCE, "--addr", addr, "--filter", "seed/"])
    out = capsys.readouterr().out.strip().splitlines()
    assert out[-1] == "5 passed, 0 failed"
    assert rc == 0
