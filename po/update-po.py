#!/usr/bin/env python3
"""update-po.py POT PO [NEW.py]

Rewrites the catalogue PO for the messages of POT (made with `xgettext`, see tests/check-po.sh), keeping the
translations PO already has and taking new ones from NEW.py, a Python dict literal {msgid: msgstr}. Messages
no source uses any more are dropped. Prints every message still untranslated.
"""
import ast
import re
import sys


def parse(path):
    blocks, block, key = [], None, None
    with open(path, encoding='utf-8') as f:
        lines = f.read().split('\n')
    for line in lines + ['']:
        if not line.strip() or line.startswith('#~'):
            if block and block['msgid'] is not None:
                blocks.append(block)
            block, key = None, None
            continue
        block = block or {'flags': [], 'msgid': None, 'msgstr': None}
        if line.startswith('#'):
            if line.startswith('#,') or line.startswith('#.'):
                block['flags'].append(line)
            continue
        m = re.match(r'^(msgid|msgstr) "(.*)"$', line)
        if m:
            key = m.group(1)
            block[key] = m.group(2)
            continue
        m = re.match(r'^"(.*)"$', line)
        if m and key:
            block[key] += m.group(1)
    return blocks


def escape(s):
    return s.replace('\\', '\\\\').replace('"', '\\"').replace('\n', '\\n').replace('\t', '\\t')


def unescape(s):
    return ast.literal_eval('"' + s + '"')


HEADER = ('Project-Id-Version: apmatrix\\n'
          'Report-Msgid-Bugs-To: apmatrix\\n'
          'PO-Revision-Date: 2026-11-23 00:00+0000\\n'
          'Last-Translator: apmatrix developers\\n'
          'Language-Team: German\\n'
          'Language: de\\n'
          'MIME-Version: 1.0\\n'
          'Content-Type: text/plain; charset=UTF-8\\n'
          'Content-Transfer-Encoding: 8bit\\n'
          'Plural-Forms: nplurals=2; plural=(n != 1);\\n')


def main():
    pot, po = sys.argv[1], sys.argv[2]
    new = {}
    if len(sys.argv) > 3:
        with open(sys.argv[3], encoding='utf-8') as f:
            new = ast.literal_eval(f.read())
    old = {}
    try:
        old = {b['msgid']: b['msgstr'] for b in parse(po) if b['msgid'] and b['msgstr']}
    except FileNotFoundError:
        pass
    out, missing = ['# German translation of apmatrix.\nmsgid ""\nmsgstr "%s"\n' % HEADER], []
    for b in parse(pot):
        mid = b['msgid']
        if mid == '':
            continue
        text = unescape(mid)
        if text in new:
            msgstr = escape(new[text])
        else:
            msgstr = old.get(mid, '')
        if not msgstr:
            missing.append(text)
        flags = ''.join(f + '\n' for f in b['flags'])
        out.append('%smsgid "%s"\nmsgstr "%s"\n' % (flags, mid, msgstr))
    with open(po, 'w', encoding='utf-8') as f:
        f.write('\n'.join(out))
    for m in missing:
        print('untranslated:', repr(m))
    return 1 if missing else 0


if __name__ == '__main__':
    sys.exit(main())
