#!/bin/sh
# Runs a command in a mount namespace of its own whose /etc/hosts is a copy it may add names to (its path in
# HIVE_TEST_HOSTS): the tunnel tests route <subdomain>.lt.test to 127.0.0.1 without touching the machine's.
set -e
hosts=$(mktemp "${TMPDIR:-/tmp}/hive-hosts.XXXXXX")
trap 'rm -f "$hosts"' EXIT
cat /etc/hosts > "$hosts"
export HIVE_TEST_HOSTS="$hosts"
if [ "$(id -u)" = "0" ]; then ns="unshare -m"; else ns="unshare -rm"; fi
# A test failing exits non-zero as it would outside; unshare says itself when it cannot make the namespace.
$ns sh -c 'mount --bind "$HIVE_TEST_HOSTS" /etc/hosts && exec "$@"' own-hosts "$@"
