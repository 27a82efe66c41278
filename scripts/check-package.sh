#!/usr/bin/env bash
# Checks the package as a user gets it: npm pack, npm install -g into a fresh prefix, then the
# commands from an empty folder: --help, validate (timed: median of 5), cercapec-client --help,
# and serve --demo answering a lookup. Several minutes where better-sqlite3 compiles from
# source (no prebuilt binary offline). Usage: scripts/check-package.sh [work dir]
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
work="${1:-$(mktemp -d /tmp/cercapec-package-XXXXXX)}"
mkdir -p "$work/pack" "$work/empty" "$work/data"
server=''
cleanup() { if [ -n "$server" ]; then kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; fi; }
trap cleanup EXIT

(cd "$repo" && npm pack --silent --pack-destination "$work/pack" >/dev/null)
tarball="$(ls "$work"/pack/cercapec-*.tgz)"
if tar tzf "$tarball" | grep -E '^package/(src|test|scripts)/|\.ts$'; then echo "the tarball ships sources" >&2; exit 1; fi
npm install -g --silent --no-audit --no-fund --prefix "$work/prefix" "$tarball"
if [ -e "$work/prefix/lib/node_modules/cercapec/node_modules/tsx" ]; then echo "tsx was installed: it must be a dev dependency" >&2; exit 1; fi
bin="$work/prefix/bin"
cd "$work/empty"

"$bin/cercapec" --help | grep -q '^  validate '
[ "$("$bin/cercapec" validate 82003050109)" = "$(printf '82003050109\tvalid\tcf11')" ]
"$bin/cercapec-client" --help | grep -q 'lookup'

times=()
for _ in 1 2 3 4 5; do
  start=$(date +%s%N); "$bin/cercapec" validate 82003050109 >/dev/null; end=$(date +%s%N)
  times+=($(( (end - start) / 1000000 )))
done
echo "cercapec validate 82003050109: $(printf '%s\n' "${times[@]}" | sort -n | sed -n 3p) ms (median of 5: ${times[*]})"

CERCAPEC_DATA_DIR="$work/data" CERCAPEC_LOG_LEVEL=info "$bin/cercapec" serve --demo --port 0 >"$work/serve.log" 2>&1 &
server=$!
url=''
for _ in $(seq 1 600); do
  url="$(grep 'cercapec started' "$work/serve.log" | grep -o 'http://127\.0\.0\.1:[0-9]*' | head -1 || true)"
  [ -n "$url" ] && break
  kill -0 "$server" 2>/dev/null || { cat "$work/serve.log" >&2; exit 1; }
  sleep 0.1
done
[ -n "$url" ] || { echo "serve --demo did not start" >&2; cat "$work/serve.log" >&2; exit 1; }
key=cp_demo_chiave_di_prova_pubblica
token="$(curl -sf -d key=$key -d cf=82003050109 "$url/index_ws.php" | sed -n 's/^OK|//p')"
answer=''
for _ in $(seq 1 300); do
  answer="$(curl -sf "$url/index_ws.php?key=$key&token=$token")"
  case "$answer" in WAIT*) sleep 0.1 ;; *) break ;; esac
done
[ "$answer" = 'OK|protocollo@pec.comune.rezzoaglio.ge.it|pec trovata' ] || { echo "answer: $answer" >&2; exit 1; }
for path in / /admin/assets/uPlot.iife.min.js /docs/; do curl -sf -o /dev/null "$url$path"; done
echo "package OK: serve --demo at $url answered $answer"
