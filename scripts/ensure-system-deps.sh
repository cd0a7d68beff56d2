#!/usr/bin/env bash
# Makes sure the system programs the project needs at run/test time are installed (idempotent).
#   - espeak-ng: the LOCAL STAND-IN voice used by the OpenAI emulator's TTS/STT and the simulated
#     callee (src/speech-synthesis/espeak.ts). Production speech comes from the OpenAI API.
# Installs missing ones with apt-get when running as root on Debian/Ubuntu; otherwise prints how to
# install them and exits 1. Quiet when everything is already there.
set -euo pipefail

missing=()
command -v espeak-ng >/dev/null 2>&1 || missing+=(espeak-ng)

if [[ ${#missing[@]} -eq 0 ]]; then
  exit 0
fi

if [[ "$(id -u)" -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing system packages: ${missing[*]} (apt-get)..." >&2
  export DEBIAN_FRONTEND=noninteractive
  if apt-get update -qq >&2 && apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2; then
    for program in "${missing[@]}"; do
      command -v "$program" >/dev/null 2>&1 || { echo "apt-get finished but '$program' is still not on PATH" >&2; exit 1; }
    done
    exit 0
  fi
  echo "apt-get could not install: ${missing[*]}" >&2
fi

cat >&2 <<EOF
Missing system program(s): ${missing[*]}
They are needed by the local OpenAI emulator's speech (a stand-in voice, not the OpenAI API) and
the simulated callee's voice. Install them, then run again:
  Debian/Ubuntu:  sudo apt-get update && sudo apt-get install -y espeak-ng
  Fedora:         sudo dnf install -y espeak-ng
  macOS:          brew install espeak-ng
EOF
exit 1
