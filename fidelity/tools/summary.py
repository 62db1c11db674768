#!/usr/bin/env python3
"""Print a compact per-step summary of a golden JSON file (for humans).

usage: summary.py golden/linux-<ver>.json [scenario ...]
"""
import json
import sys

KEYS = ['errno', 'signal', 'data', 'refcount', 'mapcount', 'pflags', 'faults', 'vm_open', 'vm_close',
        'maps', 'freed', 'rel_refcount', 'gup_ret', 'held_refcount', 'after_refcount', 'held_is_drv',
        'moved', 'vmflags', 'perms', 'rss_kb', 'range_rss_kb', 'locked_kb', 'vmlck_kb', 'maps_entries',
        'pm_present', 'pm_is_drv', 'pm_kpagecount', 'pm_kpageflags', 'kpagecount', 'kpageflags',
        'drv_byte1', 'child_status',
        'before_refcount', 'before_pflags', 'after_pflags', 'after_reserved', 'after_inbuddy', 'probe_reused',
        'flags', 'errno_name', 'value', 'lines']


def short(v):
    if isinstance(v, list):
        if v and all(x == v[0] for x in v) and len(v) > 2:
            return '%s*%d' % (json.dumps(v[0]), len(v))
        return json.dumps(v, separators=(',', ':'))
    return json.dumps(v)


def main():
    d = json.load(open(sys.argv[1]))
    want = set(sys.argv[2:])
    print('kernel', d['kernel'], 'source', d['source'])
    for sc in d['scenarios']:
        if want and sc['name'] not in want:
            continue
        print('== %s: %s' % (sc['name'], sc['description']))
        for st in sc['steps']:
            o = st['obs']
            parts = []
            for k in KEYS:
                if k in o:
                    parts.append('%s=%s' % (k, short(o[k])))
            for k in sorted(o):
                if k not in KEYS and k not in ('dmesg', 'pfn', 'pm_pfn', 'held_pfn', 'held_mapcount', 'held_pflags',
                                               'before_pfn', 'after_pfn', 'before_mapcount', 'after_mapcount',
                                               'before_kpagecount', 'mapped', 'last_fault_pgoff', 'mmap_calls',
                                               'size_kb', 'anon_kb', 'shared_kb', 'private_kb', 'pm_file', 'pm_excl'):
                    parts.append('%s=%s' % (k, short(o[k])))
            dm = o.get('dmesg')
            if dm:
                heads = [l for l in dm if l.startswith('BUG') or 'dumped because' in l or 'WARNING' in l
                         or 'flags:' in l]
                parts.append('dmesg=%d lines %s' % (len(dm), heads[:6]))
            print('  %-16s %s' % (st['step'], '  '.join(parts)))


if __name__ == '__main__':
    main()
