#!/usr/bin/env bash
# The project's test command (`npm test`): setup, build, lint (eslint, the webview's types), Python
# pipeline tests (tiny models), mocha unit and engine tests (the engine runs the real bundled
# model), then the real-VS-Code tests (code-server + chromium). A failed lint fails its layer.
# Ends with one line over every layer: tests passed/failed/skipped, each
# failed layer by name (one that failed before reporting a failing test counts as one failure),
# each skipped layer with its reason; exits 1 exactly when that line counts a failure.
# DC_SKIP_VSCODE=1 skips the last layer (for quick local runs; CI never sets it).
set -uo pipefail
cd "$(dirname "$0")/.."
export ONNXRUNTIME_NODE_INSTALL=skip
logs=$(mktemp -d)
passed=0
failed=0
skipped=0
failures=()
skips=()
blocked="" # why the remaining layers cannot run

sum() { # regex, file: the sum of the numbers in the matches
  { grep -Eo "$1" "$2" || true; } | grep -Eo '[0-9]+' | awk '{s+=$1} END {print s+0}'
}

# Test counts from a layer's log, as "passed failed skipped".
count_none() { echo 0 0 0; }
count_unittest() {
  local ran bad skip
  ran=$(sum '^Ran [0-9]+ tests?' "$1")
  bad=$(sum '(failures|errors)=[0-9]+' "$1")
  skip=$(sum 'skipped=[0-9]+' "$1")
  echo $((ran - bad - skip)) "$bad" "$skip"
}
count_mocha() { echo "$(sum '[0-9]+ passing' "$1")" "$(sum '[0-9]+ failing' "$1")" "$(sum '[0-9]+ pending' "$1")"; }
count_vscode() {
  read -r p f s < <(count_mocha "$1")
  echo $((p + $(sum 'browser check: [0-9]+ passed' "$1"))) $((f + $(sum 'browser check: [0-9]+ failed' "$1"))) "$s"
}

# layer NAME COUNTER CMD...: runs CMD unless an earlier layer blocks it, and adds up its tests.
layer() {
  local name=$1 counter=$2 log="$logs/$1.log" t0=$SECONDS rc p f s
  shift 2
  if [ -n "$blocked" ]; then
    echo "== $name: skipped ($blocked)"
    skips+=("$name ($blocked)")
    return 1
  fi
  echo "== $name"
  "$@" 2>&1 | tee "$log"
  rc=${PIPESTATUS[0]}
  read -r p f s < <("$counter" "$log")
  if [ "$rc" != 0 ] && [ "$f" = 0 ]; then
    f=1
    failures+=("$name (exit $rc before any failing test was reported)")
  elif [ "$rc" = 0 ] && [ "$counter" != count_none ] && [ "$p" = 0 ]; then
    f=1
    failures+=("$name (ran no tests)")
  elif [ "$f" != 0 ]; then
    failures+=("$name ($f)")
  fi
  passed=$((passed + p))
  failed=$((failed + f))
  skipped=$((skipped + s))
  echo "== $name: $p passed, $f failed, $s skipped in $((SECONDS - t0)) s (exit $rc)"
  [ "$f" = 0 ]
}

layer setup count_none bash scripts/setup.sh || blocked="setup failed"
layer build count_none npm run --silent build || blocked=${blocked:-build failed}
layer lint count_none npm run --silent lint
layer python count_unittest .venv/bin/python -m unittest discover -s training/tests -t training -v
layer mocha count_mocha bash -c "rm -rf out && npx tsc -p tsconfig.test.json && npx mocha --timeout 120000 'out/test/unit/**/*.test.js' 'out/test/engine/**/*.test.js'"
if [ -n "${DC_SKIP_VSCODE:-}" ]; then
  skips+=("vscode (DC_SKIP_VSCODE=$DC_SKIP_VSCODE)")
else
  [ "$blocked" = "build failed" ] && blocked="" # it builds and packages on its own
  layer vscode count_vscode bash test/vscode/run.sh
fi

join() { # the arguments, comma-separated, or "none"
  [ $# = 0 ] && { echo none; return; }
  local s
  s=$(printf '%s, ' "$@")
  echo "${s%, }"
}
echo "== summary: $passed passed, $failed failed, $skipped skipped tests; failed layers: $(join "${failures[@]}"); skipped layers: $(join "${skips[@]}")"
[ "$failed" = 0 ]
