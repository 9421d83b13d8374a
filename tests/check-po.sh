#!/bin/sh
# check-po.sh SRCDIR: every file that marks messages for translation is listed in po/POTFILES, and every
# language in po/LINGUAS translates every message, with nothing fuzzy or obsolete. Prints TAP.
set -u
src=${1:?source dir}
cd "$src" || exit 1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
n=0
fail=0

ok() { n=$((n + 1)); echo "ok $n - $1"; }
notok() { n=$((n + 1)); fail=1; echo "not ok $n - $1"; }

# 1. every source using _() or N_() is in POTFILES, and every POTFILES entry exists
missing=$(grep -rlE '\b(N?_)\("' src tools 2>/dev/null | sort | while read -r f; do
  grep -qx "$f" po/POTFILES || echo "$f"
done)
if [ -z "$missing" ]; then ok "every file with translatable messages is in po/POTFILES"
else notok "files with translatable messages missing from po/POTFILES: $missing"; fi
stale=$(while read -r f; do [ -z "$f" ] || [ -f "$f" ] || echo "$f"; done < po/POTFILES)
if [ -z "$stale" ]; then ok "every po/POTFILES entry exists"
else notok "po/POTFILES names files that do not exist: $stale"; fi

# 2. extract the catalogue and check each language against it
xgettext --from-code=UTF-8 --language=C --keyword=_ --keyword=N_ --keyword=C_:1c,2 --keyword=NC_:1c,2 \
  --keyword=g_dngettext:2,3 --add-comments --files-from=po/POTFILES --output="$tmp/apmatrix.pot" 2>"$tmp/err"
if [ -s "$tmp/apmatrix.pot" ]; then ok "xgettext extracts the catalogue"
else notok "xgettext failed"; sed 's/^/# /' "$tmp/err"; fi
total=$(grep -c '^msgid ' "$tmp/apmatrix.pot" 2>/dev/null || echo 0)
for lang in $(cat po/LINGUAS); do
  if ! msgmerge --quiet --no-fuzzy-matching "po/$lang.po" "$tmp/apmatrix.pot" -o "$tmp/$lang.po" 2>"$tmp/err"; then
    notok "$lang: msgmerge failed"; sed 's/^/# /' "$tmp/err"; continue
  fi
  if ! LC_ALL=C msgfmt --check --statistics -o /dev/null "$tmp/$lang.po" >"$tmp/stats" 2>&1; then
    notok "$lang does not compile"; sed 's/^/# /' "$tmp/stats"; continue
  fi
  stats=$(tail -n 1 "$tmp/stats")
  obsolete=$(grep -c '^#~ msgid' "po/$lang.po" || true)
  case "$stats" in
    *untranslated*|*fuzzy*) notok "$lang is incomplete against the $((total - 1)) messages: $stats"
      msgattrib --untranslated --no-obsolete "$tmp/$lang.po" | grep -A1 '^msgid' | head -40 | sed 's/^/# /' ;;
    *) if [ "$obsolete" -gt 0 ] || [ -n "$(msgattrib --only-obsolete "$tmp/$lang.po" 2>/dev/null | grep '^#~ msgid')" ]; then
         notok "$lang has obsolete messages no source uses any more; run meson compile apmatrix-update-po"
       else ok "$lang translates all $((total - 1)) messages ($stats)"; fi ;;
  esac
done
echo "1..$n"
exit $fail
