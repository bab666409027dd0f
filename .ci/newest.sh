#!/usr/bin/env bash
# The workspace against the newest versions of its dependencies that Cargo.toml allows — what a
# new user's `cargo add` resolves, where the repository's Cargo.lock pins older ones — linted
# with warnings denied, so that a deprecation or a break upstream is seen here before users see
# it. Runs on a scratch copy (the lock file of the repository stays as it is), with a target
# directory of its own, kept between runs.
set -euo pipefail
cd "$(dirname "$0")/.."

scratch=target/newest
rm -rf "$scratch/src"
mkdir -p "$scratch/src"
git ls-files -co --exclude-standard -z | tar --null -cf - -T - | tar -xf - -C "$scratch/src"
cd "$scratch/src"
cargo update 2>&1 | grep -E '^\s+(Updating|Adding|Removing) ' || echo "the lock file already has the newest versions"
CARGO_TARGET_DIR=../target cargo clippy --workspace --all-targets --all-features --quiet -- -D warnings
echo "newest compatible dependencies: clippy clean"
