#!/usr/bin/env bash
# The minimum supported Rust version the README states: Cargo.toml's `rust-version` says the same,
# no dependency of the library asks for a newer compiler, and the library builds on that compiler.
set -euo pipefail
cd "$(dirname "$0")/.."

msrv=$(sed -n 's/^rust-version = "\(.*\)"/\1/p' Cargo.toml)
if ! grep -q "minimum supported Rust version is $msrv\b" README.md; then
  echo "README.md does not state the minimum supported Rust version of Cargo.toml ($msrv)" >&2
  exit 1
fi

# Every crate the library builds with (all features, normal dependencies) accepts the MSRV.
cargo metadata --format-version 1 --locked --all-features | python3 -c '
import json, sys
msrv = tuple(int(part) for part in sys.argv[1].split("."))
meta = json.load(sys.stdin)
packages = {p["id"]: p for p in meta["packages"]}
nodes = {n["id"]: n for n in meta["resolve"]["nodes"]}
roots = [p["id"] for p in meta["packages"] if p["name"] in ("tool-runtime", "tool-runtime-macros")]
seen, todo = set(), list(roots)
while todo:
    node = nodes[todo.pop()]
    for dep in node["deps"]:
        if any(kind["kind"] in (None, "build") for kind in dep["dep_kinds"]) and dep["pkg"] not in seen:
            seen.add(dep["pkg"]); todo.append(dep["pkg"])
newer = []
for pkg in sorted(seen):
    wanted = packages[pkg].get("rust_version")
    if wanted and tuple(int(part) for part in wanted.split(".")[:2]) > msrv[:2]:
        package = packages[pkg]
        newer.append(package["name"] + " " + package["version"] + " needs Rust " + wanted)
if newer:
    sys.exit("dependencies newer than the MSRV " + sys.argv[1] + ":\n  " + "\n  ".join(newer))
print(f"{len(seen)} dependencies accept Rust {sys.argv[1]}")
' "$msrv"

# The library itself, built by that compiler (its own target directory: another toolchain; its
# lints are the pinned toolchain's to report).
if rustup toolchain install "$msrv" --profile minimal >/dev/null 2>&1; then
  CARGO_TARGET_DIR=target/msrv RUSTFLAGS="--cap-lints allow" cargo +"$msrv" check --locked --quiet \
    -p tool-runtime -p tool-runtime-macros --all-features --lib
  echo "the library builds on Rust $msrv"
else
  echo "Rust $msrv cannot be installed here: the dependencies were checked, not the build" >&2
fi
