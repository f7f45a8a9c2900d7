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
  .venv/bin/pip install --quiet './clients/python[dev]'
  GRADD_BIN="$PWD/target/release/gradd" .venv/bin/python -m pytest -q clients/python/tests
fi
if [ -f clients/node/package.json ]; then
  echo "== node client"
  cargo build --release --quiet
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  GRADD_LOG=warn ./target/release/gradd serve --addr "127.0.0.1:$port" &
  server=$!
  trap 'kill $server 2>/dev/null || true' EXIT
  # Ready when a gRPC channel connects (no fixed sleep).
  .venv/bin/python -c "import grpc,sys; grpc.channel_ready_future(grpc.insecure_channel(sys.argv[1])).result(timeout=60)" "127.0.0.1:$port"
  (cd clients/node && npm ci --silent --no-audit --no-fund && GRADD_ADDR="127.0.0.1:$port" npm test)
fi
