#!/usr/bin/env bash
# Install real PPQ (0.6.6 and 0.6.5.1) on CPU as a test referee, in a venv outside the repo.
# PPQ is never a dependency of the project: only scripts/reference/run_refs.py uses it, to write
# the fixtures under tests/reference/. Idempotent: each step is skipped when already done, and an
# existing READY venv is never rebuilt (other tools may be using it).
#
#   VENV=/work/venv-ppq scripts/reference/setup_referee.sh
set -euo pipefail
VENV=${VENV:-/work/venv-ppq}
HERE=$(cd "$(dirname "$0")" && pwd)
SHIM=${SHIM:-$HERE/../../../shared/reference/tools/shim}
[ -f "$SHIM/ppq_compat.py" ] || SHIM=$(cd "$HERE/../.." && cd ../shared/reference/tools/shim 2>/dev/null && pwd || true)
[ -f "$SHIM/ppq_compat.py" ] || { echo "setup_referee: ppq_compat.py shim not found (set SHIM=)" >&2; exit 1; }
PPQ065_DIR=${PPQ065_DIR:-$VENV/ppq065}
SC=$VENV/sitecustomize

if [ -f "$VENV/READY" ]; then
  echo "setup_referee: $VENV is READY; nothing to do"
  exit 0
fi

[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
PY=$VENV/bin/python
if ! "$PY" -c 'import sys; sys.path.insert(0, "'"$SHIM"'"); import ppq_compat, ppq' >/dev/null 2>&1; then
  "$VENV/bin/pip" install onnx onnxruntime numpy torch tqdm protobuf ppq==0.6.6
fi

# PPQ 0.6.5.1 lives in its own folder, put first on sys.path by run_refs.py when the classic profile runs.
if [ ! -f "$PPQ065_DIR/ppq/__init__.py" ]; then
  mkdir -p "$SC" && printf 'import ppq_compat\n' > "$SC/sitecustomize.py"
  PYTHONPATH=$SC:$SHIM PROTOCOL_BUFFERS_PYTHON_IMPLEMENTATION=python \
    "$VENV/bin/pip" install --no-deps --no-build-isolation --target "$PPQ065_DIR" ppq==0.6.5.1
fi

# Smoke test: both versions import with the shim, and report their version.
export PYTHONHASHSEED=0
"$PY" -c 'import sys; sys.path.insert(0, "'"$SHIM"'"); import ppq_compat, ppq; print("ppq", ppq.__version__ if hasattr(ppq, "__version__") else "0.6.6", ppq.__file__)'
"$PY" -c 'import sys; sys.path[:0] = ["'"$PPQ065_DIR"'", "'"$SHIM"'"]; import ppq_compat, ppq; print("ppq", ppq.__file__)'
touch "$VENV/READY"
echo "setup_referee: $VENV READY"
