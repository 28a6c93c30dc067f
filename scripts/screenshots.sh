#!/usr/bin/env bash
# `npm run screenshots`: refreshes the README's screenshots (docs/screenshots) from a passing run
# of the real-VS-Code tests, which otherwise leave theirs in the ignored test-results/screenshots.
set -euo pipefail
cd "$(dirname "$0")/.."
rm -rf test-results/screenshots
bash test/vscode/run.sh
for f in ghost-text.png panel.png inline-denoise.png; do
  [ -s "test-results/screenshots/$f" ] || { echo "the run saved no $f" >&2; exit 1; }
  cp "test-results/screenshots/$f" "docs/screenshots/$f"
done
echo "docs/screenshots updated: ghost-text.png, panel.png, inline-denoise.png"
