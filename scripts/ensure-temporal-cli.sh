#!/usr/bin/env bash
# Prints the path of a Temporal CLI (dev server) binary, building it offline-capable if needed.
# Order: $TEMPORAL_CLI, `temporal` on PATH, a cached `go install` of v1.5.1, else "sdk-download"
# (the Temporal SDK then downloads the server itself, which needs internet).
set -euo pipefail
VERSION="v1.5.1" # newest CLI tag whose go.mod has no replace directive (go install refuses those)
CACHE_DIR="${TEMPORAL_CLI_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/voice-caller}/temporal-cli-$VERSION"

if [[ -n "${TEMPORAL_CLI:-}" ]]; then
  [[ -x "$TEMPORAL_CLI" ]] || { echo "TEMPORAL_CLI=$TEMPORAL_CLI is not an executable file" >&2; exit 1; }
  echo "$TEMPORAL_CLI"; exit 0
fi
if command -v temporal >/dev/null 2>&1; then command -v temporal; exit 0; fi
if [[ -x "$CACHE_DIR/temporal" ]]; then echo "$CACHE_DIR/temporal"; exit 0; fi
if command -v go >/dev/null 2>&1; then
  echo "Building the Temporal CLI $VERSION with Go into $CACHE_DIR (first run only, a few minutes)..." >&2
  mkdir -p "$CACHE_DIR"
  GOBIN="$CACHE_DIR" GOFLAGS=-mod=mod go install "github.com/temporalio/cli/cmd/temporal@$VERSION" >&2
  echo "$CACHE_DIR/temporal"; exit 0
fi
echo "No Temporal CLI and no Go toolchain: falling back to the SDK's own download (needs internet)." >&2
echo "sdk-download"
