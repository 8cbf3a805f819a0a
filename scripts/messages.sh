#!/usr/bin/env bash
# The translation catalogues: qudao/locale/{zh_Hans,zh_Hant,en}/LC_MESSAGES/django.po (+ .mo).
# Source strings are English; zh_Hans and zh_Hant are translated in full, en keeps empty msgstr
# (it falls back to the source). Both .po and .mo are committed: a machine without GNU gettext
# still gets the translations.
#
#   scripts/messages.sh            extract the strings of the code and templates, then compile
#   scripts/messages.sh compile    compile only (after editing a .po file)
#   scripts/messages.sh check      extract, compile, and fail if a Chinese catalogue has an
#                                  untranslated or fuzzy message (they are listed)
#
# After extracting, new strings have an empty msgstr (or are marked fuzzy when gettext guessed one
# from a similar string): translate them, remove the fuzzy flags, run `scripts/messages.sh compile`
# and commit the .po and .mo files. qudao/core/tests/test_i18n.py fails on untranslated or fuzzy
# messages, on placeholders or markup that differ from the source, and on a stale .mo.
# Strings marked with N_() (gettext_noop) are extracted too (qudao/core/management/commands/makemessages.py).
# Needs GNU gettext (xgettext, msgmerge, msgfmt, msgattrib): apt-get install gettext.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-.venv/bin/python}"
MODE="${1:-all}"
CHINESE=(zh_Hans zh_Hant)

case "$MODE" in
  all | check | compile) ;;
  *) echo "usage: $0 [compile|check]" >&2; exit 2 ;;
esac

if [ "$MODE" != "compile" ]; then
  "$PYTHON" manage.py makemessages -l zh_Hans -l zh_Hant -l en \
    --ignore=.venv --ignore=node_modules --ignore=benchmarks --ignore=tests --ignore=docs --ignore=var \
    --no-obsolete --add-location=file
fi
"$PYTHON" manage.py compilemessages --locale zh_Hans --locale zh_Hant --locale en --ignore=.venv

if [ "$MODE" = "check" ]; then
  status=0
  for language in "${CHINESE[@]}"; do
    po="qudao/locale/$language/LC_MESSAGES/django.po"
    missing="$(msgattrib --untranslated --no-wrap "$po" | grep -c '^msgid ' || true)"
    fuzzy="$(msgattrib --only-fuzzy --no-wrap "$po" | grep -c '^msgid ' || true)"
    # msgattrib keeps the header entry (msgid "") in its output when it prints anything
    [ "$missing" -gt 0 ] && missing=$((missing - 1))
    [ "$fuzzy" -gt 0 ] && fuzzy=$((fuzzy - 1))
    if [ "$missing" -gt 0 ] || [ "$fuzzy" -gt 0 ]; then
      echo "$po: $missing untranslated, $fuzzy fuzzy:" >&2
      { msgattrib --untranslated --no-wrap "$po"; msgattrib --only-fuzzy --no-wrap "$po"; } |
        grep '^msgid "..*"' | sed 's/^/  /' >&2
      status=1
    fi
  done
  [ "$status" -eq 0 ] && echo "zh_Hans and zh_Hant: every message translated"
  exit "$status"
fi
