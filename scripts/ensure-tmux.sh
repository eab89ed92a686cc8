#!/bin/sh
# The tests type into a real tmux pane (POST /api/sessions/:id/input): install Debian's tmux where there is none.
set -e
command -v tmux >/dev/null 2>&1 && exit 0
command -v apt-get >/dev/null 2>&1 || { echo "hive: the tests need tmux (apt-get install tmux, brew install tmux)" >&2; exit 1; }
echo "hive: installing tmux from Debian packages (once)..." >&2
if [ "$(id -u)" = "0" ]; then sudo=""; else sudo="sudo"; fi
$sudo apt-get update -qq >&2 && $sudo apt-get install -y -qq tmux >&2
