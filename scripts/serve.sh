#!/usr/bin/env bash
# Command 1 of README: install what is missing, build the web app in release mode, serve it on 127.0.0.1.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
NEED_BROWSER=0 bash scripts/setup.sh
bash scripts/build-web.sh
exec python3 scripts/serve.py --dir dist --port "${PORT:-8080}"
