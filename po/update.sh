#!/bin/sh
# po/update.sh [NEW.py]: re-extract the messages and bring po/de.po up to date (see po/update-po.py).
set -eu
cd "$(dirname "$0")/.."
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
xgettext --from-code=UTF-8 --language=C --keyword=_ --keyword=N_ --keyword=C_:1c,2 --keyword=NC_:1c,2 \
  --keyword=g_dngettext:2,3 --add-comments --files-from=po/POTFILES --output="$tmp"
for lang in $(cat po/LINGUAS); do
  python3 po/update-po.py "$tmp" "po/$lang.po" "$@"
done
