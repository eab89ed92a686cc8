#!/bin/sh
# Prints the path of a working bun, installing it with npm where there is none.
# Used by the Makefile so `make run` / `make test` work on a machine with only Node and npm.
set -e
root=$(cd "$(dirname "$0")/.." && pwd)
works() { [ -n "$1" ] && "$1" --version >/dev/null 2>&1; }

for candidate in "$(command -v bun 2>/dev/null || true)" "$HOME/.bun/bin/bun" "$root/.tools/node_modules/.bin/bun"; do
  if works "$candidate"; then echo "$candidate"; exit 0; fi
done

command -v npm >/dev/null 2>&1 || { echo "hive: bun is missing and so is npm; install Node.js (with npm) first" >&2; exit 1; }
echo "hive: installing bun with npm (once)..." >&2
if npm install -g bun >&2; then
  bun=$(command -v bun 2>/dev/null || echo "$(npm prefix -g)/bin/bun")
  # The package's postinstall puts the real binary in place; run it if npm skipped scripts.
  works "$bun" || node "$(npm root -g)/bun/install.js" >&2 || true
  if works "$bun"; then echo "$bun"; exit 0; fi
fi
echo "hive: global install unavailable; installing bun into $root/.tools" >&2
npm install --prefix "$root/.tools" --no-save bun >&2
bun="$root/.tools/node_modules/.bin/bun"
works "$bun" || node "$root/.tools/node_modules/bun/install.js" >&2
works "$bun" || { echo "hive: could not install bun" >&2; exit 1; }
echo "$bun"
