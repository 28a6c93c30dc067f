#!/usr/bin/env bash
# Real-VS-Code tests: installs code-server and chromium once (test/vscode/tools.sh), builds,
# packages the .vsix, installs it into fresh code-servers, runs the extension-host suites, then
# the browser check (ghost text, Tab, stale suggestions, panel, latencies, screenshots).
# Exits non-zero on any failure. Figures: test-results/vscode.json.
set -euo pipefail
cd "$(dirname "$0")/../.."
source test/vscode/tools.sh

ensure_tools --chromium
echo "== package, compile tests"
build_vsix
npx tsc -p tsconfig.test.json
ls -l "$VSIX"
echo "== real VS Code: extension-host suites, then the browser check"
DC_CODE_SERVER="$CODE_SERVER" DC_VSIX="$VSIX" node out/test/vscode/harness.js
