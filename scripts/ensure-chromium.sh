#!/bin/sh
# Prints the path of a Chromium for the browser tests, installing Debian's package where there is none
# (never a browser download of a test tool's own: the machine reaches only the npm registry and Debian).
set -e
for candidate in "${CHROMIUM_PATH:-}" /usr/bin/chromium /usr/bin/chromium-browser; do
  if [ -n "$candidate" ] && [ -x "$candidate" ]; then echo "$candidate"; exit 0; fi
done
command -v apt-get >/dev/null 2>&1 || { echo "hive: the browser tests need Chromium (set CHROMIUM_PATH)" >&2; exit 1; }
echo "hive: installing chromium from Debian packages (once)..." >&2
if [ "$(id -u)" = "0" ]; then sudo=""; else sudo="sudo"; fi
$sudo apt-get update -qq >&2 && $sudo apt-get install -y -qq chromium >&2
echo /usr/bin/chromium
