#!/usr/bin/env bash
# Makes sure the system programs the project needs at run/test time are installed (idempotent).
#   - espeak-ng: the LOCAL STAND-IN voice used by the OpenAI emulator's TTS/STT and the simulated
#     callee (src/speech-synthesis/espeak.ts). Production speech comes from the OpenAI API.
#   - with --test: SIPp (sip-tester) and baresip (baresip-core), the real SIP peers of the SIP
#     trunk tests (test/telephony/sip).
# Installs missing ones with apt-get when running as root on Debian/Ubuntu; otherwise prints how to
# install them and exits 1. Quiet when everything is already there.
set -euo pipefail

missing=()
need() { # program package
  command -v "$1" >/dev/null 2>&1 || missing+=("$2")
}
need espeak-ng espeak-ng
if [[ "${1:-}" == "--test" ]]; then
  need sipp sip-tester
  need baresip baresip-core
fi

if [[ ${#missing[@]} -eq 0 ]]; then
  exit 0
fi

if [[ "$(id -u)" -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing system packages: ${missing[*]} (apt-get)..." >&2
  export DEBIAN_FRONTEND=noninteractive
  if apt-get update -qq >&2 && apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2; then
    exit 0
  fi
  echo "apt-get could not install: ${missing[*]}" >&2
fi

cat >&2 <<EOF
Missing system package(s): ${missing[*]}
espeak-ng is the local OpenAI emulator's stand-in voice (not the OpenAI API) and the simulated
callee's voice; sip-tester and baresip-core are the SIP peers of the tests. Install them, then run again:
  Debian/Ubuntu:  sudo apt-get update && sudo apt-get install -y ${missing[*]}
  Fedora:         sudo dnf install -y espeak-ng
  macOS:          brew install espeak-ng
EOF
exit 1
