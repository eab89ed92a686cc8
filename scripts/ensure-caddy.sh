#!/bin/sh
# The tunnel tests put the real tunnel server behind Debian's caddy (`tls internal`), as it is deployed:
# install it where there is none. Prints its path.
set -e
if command -v caddy >/dev/null 2>&1; then command -v caddy; exit 0; fi
command -v apt-get >/dev/null 2>&1 || { echo "hive: the tunnel tests need caddy (apt-get install caddy)" >&2; exit 1; }
echo "hive: installing caddy from Debian packages (once)..." >&2
if [ "$(id -u)" = "0" ]; then sudo=""; else sudo="sudo"; fi
$sudo apt-get update -qq >&2 && $sudo apt-get install -y -qq caddy >&2
command -v caddy
