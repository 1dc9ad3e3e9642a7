#!/usr/bin/env bash
# Creates benchmarks/.venv: runlet (editable, with the openai extra) plus the peer
# libraries the benchmarks compare against and a profiler. None of these are
# project dependencies; benchmarks/run.py skips a peer that is not installed.
#
#     bash benchmarks/setup.sh && benchmarks/.venv/bin/python benchmarks/run.py
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
python="${PYTHON:-python3}"  # the same interpreter as your dev environment, for fair numbers
venv="$here/.venv"
if [ ! -x "$venv/bin/python" ]; then
    "$python" -m venv "$venv"
fi
"$venv/bin/python" -m pip install --quiet --upgrade pip
"$venv/bin/python" -m pip install --quiet \
    -e "$root[openai]" \
    "pydantic>=2.7" \
    "pydantic-ai-slim[openai]" \
    "openai-agents" \
    "pyinstrument" \
    "psutil"
"$venv/bin/python" -m pip list 2>/dev/null | grep -i -E '^(runlet|openai|openai-agents|pydantic|pydantic-ai-slim|httpx|httpx2|pyinstrument) ' || true
