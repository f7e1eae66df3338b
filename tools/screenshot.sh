#!/usr/bin/env bash
# Renders an HTML file in headless Chromium and writes a full-page PNG screenshot.
# Usage: tools/screenshot.sh page.html out.png [width] [height]
set -eu
page=$1; png=$2; width=${3:-1100}; height=${4:-9000}
if ! command -v chromium >/dev/null 2>&1 || ! fc-list :lang=zh | grep -q "Noto"; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -qq --no-install-recommends chromium fonts-noto-cjk >/dev/null
  fi
fi
profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT
chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
  --disable-background-networking --disable-component-update --disable-sync \
  --user-data-dir="$profile" --hide-scrollbars --window-size="$width,$height" \
  --screenshot="$(realpath -m "$png")" "file://$(realpath "$page")" 2>/dev/null
echo "screenshot: $png"
