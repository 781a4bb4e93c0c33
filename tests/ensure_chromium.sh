#!/usr/bin/env bash
# Install Debian's chromium for the report's browser test when it is missing and we can
# (root with apt-get). Otherwise the browser test skips with a visible reason.
command -v chromium >/dev/null 2>&1 && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing Debian's chromium for the browser test..."
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
    || echo "Could not install chromium; the browser test will be skipped." >&2
fi
exit 0
