#!/usr/bin/env bash
# Debian packages the project needs besides PyPI ones, installed when missing.
#   scripts/system_packages.sh            fonts-noto-cjk (Noto Sans CJK SC, OFL: the Chinese font of charts and reports)
#   scripts/system_packages.sh --tests    also fonts-wqy-microhei (free TrueType CJK font the PDF reader tests write with)
#   scripts/system_packages.sh --browser  also chromium (headless screenshots in tests/test_browser.py)
# As root with apt-get it installs them; otherwise it names what to install and exits 1 (fonts) or warns (chromium).
set -euo pipefail
fonts=() optional=()
[ -f /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc ] || [ -n "${ANALYSIS_CJK_FONT:-}" ] || fonts+=(fonts-noto-cjk)
for arg in "$@"; do
  case "$arg" in
    --tests) [ -f /usr/share/fonts/truetype/wqy/wqy-microhei.ttc ] || fonts+=(fonts-wqy-microhei) ;;
    --browser) command -v chromium >/dev/null 2>&1 || optional+=(chromium) ;;
    *) echo "usage: $0 [--tests] [--browser]" >&2; exit 2 ;;
  esac
done
missing=("${fonts[@]}" "${optional[@]}")
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 &&
   { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y "${missing[@]}"; } >/tmp/system-packages.log 2>&1; then
  echo "installed ${missing[*]}"
  exit 0
fi
if [ ${#fonts[@]} -gt 0 ]; then
  echo "error: missing Debian package(s) ${fonts[*]}: install them (sudo apt-get install ${fonts[*]}), or set ANALYSIS_CJK_FONT to a Noto Sans CJK SC font file (log: /tmp/system-packages.log)" >&2
  exit 1
fi
echo "warning: could not install ${optional[*]} (log: /tmp/system-packages.log); tests/test_browser.py will be skipped" >&2
