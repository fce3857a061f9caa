#!/usr/bin/env bash
# Install the Debian/Ubuntu packages biaoge needs, only those missing.
# Usage: scripts/system-packages.sh [run|test]
#   run  - CJK fonts (AR PL UMing 宋体, WenQuanYi Micro Hei 黑体, Noto CJK fallback)
#          and HarfBuzz's subsetter (PDF rendering)
#   test - the above plus chromium (browser tests), LibreOffice Calc
#          (recalculates Excel formulas in tests), poppler-utils (pdftotext, pdftoppm),
#          zbar-tools (zbarimg reads the printed QR codes) and nodejs/npm (axe-core).
set -euo pipefail
want=(fonts-arphic-uming fonts-wqy-microhei fonts-noto-cjk libharfbuzz-subset0)
if [ "${1:-run}" = test ]; then
  want+=(chromium libreoffice-calc-nogui poppler-utils zbar-tools nodejs npm)
fi
missing=()
for p in "${want[@]}"; do
  if [ "$p" = npm ] && command -v npm >/dev/null 2>&1; then continue; fi
  if [ "$p" = nodejs ] && command -v node >/dev/null 2>&1; then continue; fi
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if ! command -v apt-get >/dev/null 2>&1; then
  echo "biaoge: missing system packages: ${missing[*]} (no apt-get here; install them by hand)" >&2
  exit 1
fi
sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
echo "biaoge: installing system packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
