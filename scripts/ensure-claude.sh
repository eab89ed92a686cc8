#!/bin/sh
# Prints the path of the Claude Code CLI the Claude Code tests drive, installing the pinned version from npm
# into .tools/ on first use (the version whose real hook payloads are in the fixtures). CLAUDE_PATH overrides.
set -e
VERSION=2.1.197
if [ -n "${CLAUDE_PATH:-}" ] && [ -x "$CLAUDE_PATH" ]; then echo "$CLAUDE_PATH"; exit 0; fi
dir="$(cd "$(dirname "$0")/.." && pwd)/.tools/claude-code-$VERSION"
cli="$dir/node_modules/@anthropic-ai/claude-code/bin/claude.exe"
if [ ! -x "$cli" ]; then
  echo "hive: installing @anthropic-ai/claude-code@$VERSION from npm into $dir (once)..." >&2
  mkdir -p "$dir"
  npm install --prefix "$dir" --no-save --no-audit --no-fund --loglevel=error "@anthropic-ai/claude-code@$VERSION" >&2
fi
echo "$cli"
