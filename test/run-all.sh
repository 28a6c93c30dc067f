#!/usr/bin/env bash
# The project's test command (`npm test`): Python pipeline tests (tiny models), then mocha unit
# and engine tests (the engine runs the real bundled model), then the real-VS-Code tests
# (code-server + chromium). Ends with one "N passed, N failed" line over all layers.
# DC_SKIP_VSCODE=1 skips the last layer (for quick local runs; CI never sets it).
set -uo pipefail
cd "$(dirname "$0")/.."
export ONNXRUNTIME_NODE_INSTALL=skip
PY=/usr/bin/python3
logs=$(mktemp -d)
passed=0
failed=0
status=0

count() { # file, regex for passed, regex for failed
  local p f
  p=$(grep -Eo "$2" "$1" | grep -Eo '[0-9]+' | awk '{s+=$1} END {print s+0}')
  f=$(grep -Eo "$3" "$1" | grep -Eo '[0-9]+' | awk '{s+=$1} END {print s+0}')
  passed=$((passed + p))
  failed=$((failed + f))
}

bash scripts/setup.sh || exit 1
echo "== build"
npm run --silent build || exit 1

echo "== Python pipeline tests"
$PY -m unittest discover -s training/tests -t training -v 2>&1 | tee "$logs/py.log"
[ "${PIPESTATUS[0]}" = 0 ] || status=1
total=$(grep -Eo '^Ran [0-9]+ tests?' "$logs/py.log" | grep -Eo '[0-9]+' || echo 0)
pyfail=$(grep -Eo '(failures|errors)=[0-9]+' "$logs/py.log" | grep -Eo '[0-9]+' | awk '{s+=$1} END {print s+0}')
passed=$((passed + total - pyfail))
failed=$((failed + pyfail))

echo "== unit and engine tests (mocha)"
npx tsc -p tsconfig.test.json || exit 1
npx mocha --timeout 120000 'out/test/unit/**/*.test.js' 'out/test/engine/**/*.test.js' 2>&1 | tee "$logs/mocha.log"
[ "${PIPESTATUS[0]}" = 0 ] || status=1
count "$logs/mocha.log" '[0-9]+ passing' '[0-9]+ failing'

if [ -z "${DC_SKIP_VSCODE:-}" ]; then
  echo "== real VS Code (code-server + chromium)"
  bash test/vscode/run.sh 2>&1 | tee "$logs/vscode.log"
  [ "${PIPESTATUS[0]}" = 0 ] || status=1
  count "$logs/vscode.log" '[0-9]+ passing' '[0-9]+ failing'
  count "$logs/vscode.log" 'browser check: [0-9]+ passed' 'browser check: [0-9]+ failed'
fi

echo "$passed passed, $failed failed"
exit $status
