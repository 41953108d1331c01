#!/usr/bin/env bash
# Installs what the e2e tests need, once, and caches it:
#   - Debian packages: chromium (the browser playwright-core drives), libkrb5-dev (code-server's kerberos module
#     builds from source) and ripgrep (VS Code's search; its npm package would download rg from GitHub);
#   - code-server 4.100.3 (VS Code 1.100.3, the last line that runs on Node 20) from npm, under
#     .cache/code-server/ (ignored by git, about 320 MB).
# code-server's own install scripts download from GitHub, which is not reachable here, so it is installed with
# --ignore-scripts and its native modules are rebuilt here from source, against the local Node.
# Idempotent: a second run only checks the `ready` stamp and the Debian packages, in well under a second.
# SECURE_AI_E2E_CACHE overrides the cache folder.
# Prints the code-server launcher path on its last line of stdout (everything else goes to stderr).
set -euo pipefail
cd "$(dirname "$0")/../.."

VERSION=4.100.3
CACHE="${SECURE_AI_E2E_CACHE:-$PWD/.cache/code-server}"
STAMP="$CACHE/ready"
BIN="$CACHE/node_modules/code-server/out/node/entry.js"
log() { echo "[e2e install] $*" >&2; }

# --- Debian packages -------------------------------------------------------------------------------------------
missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
command -v rg >/dev/null 2>&1 || missing+=(ripgrep)
dpkg-query -W -f='${Status}' libkrb5-dev 2>/dev/null | grep -q 'install ok installed' || missing+=(libkrb5-dev)
if [ ${#missing[@]} -gt 0 ]; then
  log "apt-get install ${missing[*]}"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  aptlog="$(mktemp)"
  if ! { $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"; } >"$aptlog" 2>&1; then
    cat "$aptlog" >&2
    exit 1
  fi
  rm -f "$aptlog"
fi

# --- code-server -----------------------------------------------------------------------------------------------
if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$VERSION node$(node -p process.versions.modules)" ] && [ -f "$BIN" ]; then
  log "code-server $VERSION cached in $CACHE"
  echo "$BIN"
  exit 0
fi

start=$(date +%s)
tmp="$CACHE.partial"
rm -rf "$tmp"
mkdir -p "$tmp"
export npm_config_yes=true npm_config_audit=false npm_config_fund=false npm_config_update_notifier=false
# node-gyp would download the Node headers from nodejs.org; Debian's and NodeSource's Node ship them in /usr/include.
if [ -z "${npm_config_nodedir:-}" ] && [ -f /usr/include/node/node.h ]; then export npm_config_nodedir=/usr; fi
log "npm install --ignore-scripts code-server@$VERSION (into $tmp)"
echo '{ "name": "code-server-cache", "private": true }' >"$tmp/package.json"
(cd "$tmp" && npm install --ignore-scripts --no-save --loglevel=error "code-server@$VERSION" >&2)

vs="$tmp/node_modules/code-server/lib/vscode"
log "VS Code server dependencies"
(cd "$vs" && npm install --omit=dev --ignore-scripts --loglevel=error >&2)
log "rebuilding native modules"
(cd "$vs" && npm rebuild --loglevel=error kerberos node-pty @parcel/watcher @vscode/spdlog @vscode/deviceid native-watchdog >&2)
mkdir -p "$vs/node_modules/@vscode/ripgrep/bin"
cp "$(command -v rg)" "$vs/node_modules/@vscode/ripgrep/bin/rg"
ln -sfn node_modules "$vs/node_modules.asar"
log "built-in extensions' dependencies"
(cd "$vs/extensions" && npm install --omit=dev --ignore-scripts --loglevel=error >&2)
(cd "$tmp" && npm rebuild --loglevel=error argon2 >&2)

rm -rf "$CACHE"
mv "$tmp" "$CACHE"
echo "$VERSION node$(node -p process.versions.modules)" >"$STAMP"
log "code-server $VERSION installed in $(( $(date +%s) - start ))s"
echo "$BIN"
