#!/usr/bin/env python3
"""Convert dkfid OBS lines into the golden JSON format (see fidelity/README.md).

usage: obs2json.py INPUT.log OUTPUT.json [--source qemu|host] [--kernel VER]

Input lines (anything else, e.g. kernel console noise, is ignored):
  META <key> <json>            kernel / arch / source / ...
  DESC <scenario> <json-string>
  OBS <scenario> <step> <key> <json-value>
  END                          the program finished (required)
"""
import json
import re
import sys

LINE = re.compile(r'^(META|DESC|OBS|END)\b ?(.*)$')


def render(out):
    """JSON text with one line per step (stable, diff-friendly)."""
    def j(v):
        return json.dumps(v, ensure_ascii=True, separators=(', ', ': '))
    lines = ['{']
    for k in ('kernel', 'source', 'arch'):
        lines.append(' %s: %s,' % (j(k), j(out[k])))
    lines.append(' "scenarios": [')
    for i, sc in enumerate(out['scenarios']):
        lines.append('  {"name": %s, "description": %s, "steps": [' % (j(sc['name']), j(sc['description'])))
        for k, st in enumerate(sc['steps']):
            sep = ',' if k + 1 < len(sc['steps']) else ''
            lines.append('   {"step": %s, "obs": %s}%s' % (j(st['step']), j(st['obs']), sep))
        lines.append('  ]}' + (',' if i + 1 < len(out['scenarios']) else ''))
    lines.append(' ]')
    lines.append('}')
    text = '\n'.join(lines) + '\n'
    assert json.loads(text) == out
    return text


def main(argv):
    args = [a for a in argv[1:] if not a.startswith('--')]
    opts = {}
    it = iter(argv[1:])
    for a in it:
        if a.startswith('--'):
            opts[a[2:]] = next(it)
            if opts[a[2:]] in args:
                args.remove(opts[a[2:]])
    if len(args) != 2:
        sys.stderr.write(__doc__)
        return 2
    src, dst = args
    meta = {}
    scenarios = []          # ordered
    by_name = {}
    ended = False
    with open(src, 'r', encoding='utf-8', errors='replace') as f:
        for raw in f:
            line = raw.rstrip('\r\n').lstrip('\r')
            m = LINE.match(line)
            if not m:
                continue
            kind, rest = m.group(1), m.group(2)
            if kind == 'END':
                ended = True
                continue
            if kind == 'META':
                key, _, val = rest.partition(' ')
                meta[key] = json.loads(val)
                continue
            if kind == 'DESC':
                name, _, val = rest.partition(' ')
                sc = by_name.get(name)
                if sc is None:
                    sc = {'name': name, 'description': '', 'steps': [], '_steps': {}}
                    by_name[name] = sc
                    scenarios.append(sc)
                sc['description'] = json.loads(val)
                continue
            parts = rest.split(' ', 3)
            if len(parts) != 4:
                raise SystemExit('bad OBS line: %r' % line)
            name, step, key, val = parts
            sc = by_name.get(name)
            if sc is None:
                sc = {'name': name, 'description': '', 'steps': [], '_steps': {}}
                by_name[name] = sc
                scenarios.append(sc)
            st = sc['_steps'].get(step)
            if st is None:
                st = {'step': step, 'obs': {}}
                sc['_steps'][step] = st
                sc['steps'].append(st)
            st['obs'][key] = json.loads(val)
    if not ended:
        raise SystemExit('%s: no END line: the test program did not finish' % src)
    for sc in scenarios:
        del sc['_steps']
    out = {
        'kernel': opts.get('kernel', meta.get('kernel', 'unknown')),
        'source': opts.get('source', meta.get('source', 'unknown')),
        'arch': meta.get('arch', 'x86_64'),
        'scenarios': scenarios,
    }
    with open(dst, 'w', encoding='utf-8') as f:
        f.write(render(out))
    nsteps = sum(len(s['steps']) for s in scenarios)
    print('%s: %d scenarios, %d steps' % (dst, len(scenarios), nsteps))
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
