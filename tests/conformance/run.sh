#!/usr/bin/env bash
# Third-party conformance: holds `moveforce sandbox` against jsforce (npm) and
# simple-salesforce (PyPI), clients nobody on this team wrote.
#
#   tests/conformance/run.sh [jsforce] [simple_salesforce]     (default: both)
#
# Builds the binary, installs the clients when missing (jsforce/node_modules via `npm ci`,
# .venv via pip; both gitignored), starts a sandbox per run on a free loopback port (jsforce
# over http and again over https; simple-salesforce, which only speaks https, with --tls),
# runs the suites, stops the servers, prints how long each step took, and exits non-zero if
# a suite failed. Needs cargo, node >= 18 with npm, and python3 >= 3.9 with venv.
set -euo pipefail

HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
WORK="$HERE/.work"
TARGET="${CARGO_TARGET_DIR:-$ROOT/target}"
BIN="$TARGET/debug/moveforce"
PAGE_SIZE=200

SUITES=("$@")
if [ ${#SUITES[@]} -eq 0 ]; then
  SUITES=(jsforce simple_salesforce)
fi
for suite in "${SUITES[@]}"; do
  case "$suite" in
    jsforce | simple_salesforce) ;;
    *) echo "unknown suite: $suite (jsforce, simple_salesforce)" >&2; exit 2 ;;
  esac
done

now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f s", b - a }'; }
TIMINGS=()

SERVER_PIDS=()
stop_servers() {
  local pid
  for pid in "${SERVER_PIDS[@]}"; do
    kill "$pid" 2>/dev/null || true
  done
  for pid in "${SERVER_PIDS[@]}"; do
    wait "$pid" 2>/dev/null || true
  done
  SERVER_PIDS=()
}
trap stop_servers EXIT

mkdir -p "$WORK"

# ------------------------------------------------------------------ build
t=$(now)
(cd "$ROOT" && cargo build --quiet --bin moveforce)
TIMINGS+=("build moveforce: $(since "$t")")

# ------------------------------------------------------------------ start a sandbox
# start_sandbox NAME ARGS... → sets SANDBOX_URL from the banner the sandbox prints.
start_sandbox() {
  local name="$1"
  shift
  local out="$WORK/$name.out"
  : >"$out"
  MOVEFORCE_DATA_DIR="$WORK/$name-data" "$BIN" sandbox --port 0 --query-page-size "$PAGE_SIZE" "$@" \
    >"$out" 2>&1 &
  SERVER_PIDS+=("$!")
  local pid=$!
  local i
  for i in $(seq 1 100); do
    SANDBOX_URL="$(grep -o 'listening on https\?://[^ ]*' "$out" | head -1 | sed 's/listening on //')"
    if [ -n "$SANDBOX_URL" ]; then
      return 0
    fi
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "the $name sandbox exited:" >&2
      cat "$out" >&2
      return 1
    fi
    sleep 0.1
  done
  echo "the $name sandbox did not start in 10 s:" >&2
  cat "$out" >&2
  return 1
}

FAILED=()

# ------------------------------------------------------------------ jsforce
run_jsforce() {
  local dir="$HERE/jsforce"
  command -v node >/dev/null || { echo "jsforce suite: node is not installed" >&2; return 1; }
  local t
  t=$(now)
  if [ ! -f "$dir/node_modules/jsforce/package.json" ]; then
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
  fi
  TIMINGS+=("jsforce install: $(since "$t")")
  start_sandbox jsforce || return 1
  t=$(now)
  local status=0
  (cd "$dir" && SANDBOX_URL="$SANDBOX_URL" node conformance.mjs) || status=$?
  TIMINGS+=("jsforce suite (http): $(since "$t")")
  # The same walk over https, trusting the certificate the sandbox wrote.
  local cert="$WORK/jsforce-cert.pem"
  rm -f "$cert"
  start_sandbox jsforce-tls --tls --cert-out "$cert" || return 1
  t=$(now)
  (cd "$dir" && NODE_EXTRA_CA_CERTS="$cert" SANDBOX_URL="$SANDBOX_URL" node conformance.mjs) || status=$?
  TIMINGS+=("jsforce suite (https): $(since "$t")")
  return $status
}

# ------------------------------------------------------------------ simple-salesforce
run_simple_salesforce() {
  local dir="$HERE/simple_salesforce"
  local venv="$HERE/.venv"
  local python=""
  local candidate
  for candidate in python3.11 python3 python; do
    if command -v "$candidate" >/dev/null; then
      python="$candidate"
      break
    fi
  done
  [ -n "$python" ] || { echo "simple-salesforce suite: python3 is not installed" >&2; return 1; }
  local t
  t=$(now)
  if [ ! -x "$venv/bin/python" ]; then
    "$python" -m venv "$venv"
  fi
  local wanted
  wanted="$(grep -i '^simple-salesforce==' "$dir/requirements.txt" | cut -d= -f3)"
  if [ "$("$venv/bin/python" -c 'import importlib.metadata as m; print(m.version("simple-salesforce"))' 2>/dev/null)" != "$wanted" ]; then
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$dir/requirements.txt"
  fi
  TIMINGS+=("simple-salesforce install: $(since "$t")")
  local cert="$WORK/sandbox-cert.pem"
  rm -f "$cert"
  start_sandbox simple_salesforce --tls --cert-out "$cert" || return 1
  t=$(now)
  local status=0
  "$venv/bin/python" "$dir/conformance.py" --url "$SANDBOX_URL" --cert "$cert" || status=$?
  TIMINGS+=("simple-salesforce suite: $(since "$t")")
  return $status
}

for suite in "${SUITES[@]}"; do
  echo "== $suite"
  if ! "run_$suite"; then
    FAILED+=("$suite")
  fi
  stop_servers
done

echo "== timings"
for line in "${TIMINGS[@]}"; do
  echo "  $line"
done
if [ ${#FAILED[@]} -gt 0 ]; then
  echo "conformance FAILED: ${FAILED[*]}"
  exit 1
fi
echo "conformance passed: ${SUITES[*]}"
