#!/usr/bin/env bash
# Runs every test of the project on a fresh machine (Rust toolchain, Python 3.11 + pip,
# Node 20 + npm): formatting, lints, the Rust suites (unit, gradient checker, gRPC integration,
# conformance), then the clients' suites where present.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== cargo fmt --check"
cargo fmt --check
echo "== cargo clippy"
cargo clippy --all-targets --quiet -- -D warnings
echo "== cargo test"
cargo test --quiet 2>&1 | tee /tmp/gradd-cargo-test.log
echo "== conformance (gradd conformance over gRPC)"
cargo run --quiet -- conformance ../shared/conformance/tf-gradienttape.json

if [ -f clients/python/pyproject.toml ]; then
  echo "== python client"
  cargo build --release --quiet
  python3 -m venv .venv
  .venv/bin/pip install --quiet --upgrade pip
  .venv/bin/pip install --quiet ./clients/python pytest
  GRADD_BIN="$PWD/target/release/gradd" .venv/bin/python -m pytest -q clients/python/tests
fi
if [ -f clients/node/package.json ]; then
  echo "== node client"
  cargo build --release --quiet
  (cd clients/node && npm ci --silent && GRADD_BIN="$PWD/../../target/release/gradd" npm test)
fi
