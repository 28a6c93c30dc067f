#!/usr/bin/env bash
# Try the extension in a real VS Code in the browser: builds the .vsix, installs it into a fresh
# local code-server on 127.0.0.1 and prints the address. Ctrl+C stops it.
# Usage: scripts/try-in-browser.sh [FOLDER]   (default: a copy of the sample Python file)
# Env: PORT (default 8080), DC_TOOLS (where code-server is installed once).
set -euo pipefail
cd "$(dirname "$0")/.."
source test/vscode/tools.sh

PORT=${PORT:-8080}
ensure_tools
build_vsix
RUN=$(mktemp -d /tmp/dc-try-XXXXXX)
FOLDER=${1:-}
if [ -z "$FOLDER" ]; then
  FOLDER="$RUN/workspace"
  mkdir -p "$FOLDER" && cp test/vscode/fixtures/*.py "$FOLDER/"
fi
FOLDER=$(cd "$FOLDER" && pwd)
export XDG_CONFIG_HOME="$RUN/xdg/config" XDG_DATA_HOME="$RUN/xdg/data" XDG_CACHE_HOME="$RUN/xdg/cache"
printf 'bind-addr: 127.0.0.1:%s\nauth: none\ncert: false\n' "$PORT" > "$RUN/config.yaml"
mkdir -p "$RUN/udd/User"
printf '{ "workbench.startupEditor": "none", "telemetry.telemetryLevel": "off", "update.mode": "none", "security.workspace.trust.enabled": false, "chat.disableAIFeatures": true }\n' > "$RUN/udd/User/settings.json"
ARGS=(--config "$RUN/config.yaml" --user-data-dir "$RUN/udd" --extensions-dir "$RUN/exts" --auth none
  --bind-addr "127.0.0.1:$PORT" --disable-telemetry --disable-update-check --disable-workspace-trust)
"$CODE_SERVER" "${ARGS[@]}" --install-extension "$VSIX" >/dev/null
echo
echo "Diffusion Coder is running in VS Code at: http://127.0.0.1:$PORT/?folder=$FOLDER"
echo "(open it in a browser; Ctrl+C stops the server; state in $RUN)"
exec "$CODE_SERVER" "${ARGS[@]}" "$FOLDER"
