#!/usr/bin/env python3
"""Regenerates the gRPC stubs in gradd/_proto/ from ../../proto/gradd/v1/gradd.proto.

Usage: python clients/python/gen_proto.py [OUT_DIR]

The stubs are committed so that `pip install ./clients/python` needs no protoc. protoc emits
`from gradd.v1 import gradd_pb2`, which would resolve inside this package (`gradd`), so the
generated modules are flattened into `gradd/_proto/` and the import is made relative.
The output depends on the grpcio-tools version: use the one pinned in pyproject.toml ([dev]).
"""
import os
import shutil
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
PROTO_ROOT = os.path.normpath(os.path.join(HERE, "..", "..", "proto"))
PROTO_FILE = "gradd/v1/gradd.proto"
DEFAULT_OUT = os.path.join(HERE, "gradd", "_proto")
FILES = ("gradd_pb2.py", "gradd_pb2.pyi", "gradd_pb2_grpc.py")
INIT = '"""Generated gRPC stubs for gradd.v1 (see gen_proto.py). Do not edit."""\n'


def generate(out_dir: str) -> None:
    from grpc_tools import protoc  # imported late: only needed to regenerate

    with tempfile.TemporaryDirectory() as tmp:
        include = os.path.join(os.path.dirname(protoc.__file__), "_proto")
        rc = protoc.main([
            "grpc_tools.protoc",
            f"-I{PROTO_ROOT}",
            f"-I{include}",
            f"--python_out={tmp}",
            f"--pyi_out={tmp}",
            f"--grpc_python_out={tmp}",
            PROTO_FILE,
        ])
        if rc != 0:
            raise SystemExit(f"protoc failed with exit code {rc}")
        os.makedirs(out_dir, exist_ok=True)
        for name in FILES:
            with open(os.path.join(tmp, "gradd", "v1", name)) as f:
                text = f.read()
            text = text.replace(
                "from gradd.v1 import gradd_pb2 as", "from . import gradd_pb2 as")
            text = text.replace("'gradd.v1.gradd_pb2'", "'gradd._proto.gradd_pb2'")
            with open(os.path.join(out_dir, name), "w") as f:
                f.write(text)
        with open(os.path.join(out_dir, "__init__.py"), "w") as f:
            f.write(INIT)


if __name__ == "__main__":
    out = sys.argv[1] if len(sys.argv) > 1 else DEFAULT_OUT
    generate(out)
    print(f"generated {', '.join(FILES)} in {out}")
