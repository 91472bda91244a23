import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Records } from '../../src/controller/records.js';

type R = { id: string; name: string; group: string };
const recs = (): Records<R, 'name' | 'group'> => new Records<R, 'name' | 'group'>({ name: (r) => r.name, group: (r) => r.group });
const ids = (xs: R[]): string[] => xs.map((x) => x.id);

const cases: { name: string; run: (r: Records<R, 'name' | 'group'>) => void; by: ['name' | 'group', string]; want: string[] }[] = [
  {
    name: 'groups in first-set order',
    run: (r) => void r.set('b', { id: 'b', name: 'x', group: 'g' }).set('a', { id: 'a', name: 'x', group: 'g' }),
    by: ['name', 'x'],
    want: ['b', 'a'],
  },
  {
    name: 'a re-set record keeps its place',
    run: (r) => {
      r.set('b', { id: 'b', name: 'x', group: 'g' }).set('a', { id: 'a', name: 'x', group: 'g' });
      r.by('name', 'x'); // indexed before the change too
      r.set('b', { id: 'b', name: 'x', group: 'h' });
    },
    by: ['name', 'x'],
    want: ['b', 'a'],
  },
  {
    name: 'a changed key moves the record',
    run: (r) => {
      r.set('a', { id: 'a', name: 'x', group: 'g' });
      r.by('group', 'g');
      r.set('a', { id: 'a', name: 'x', group: 'h' });
    },
    by: ['group', 'g'],
    want: [],
  },
  {
    name: 'deleted records leave their groups',
    run: (r) => {
      r.set('a', { id: 'a', name: 'x', group: 'g' }).set('b', { id: 'b', name: 'x', group: 'g' });
      r.by('name', 'x');
      r.delete('a');
    },
    by: ['name', 'x'],
    want: ['b'],
  },
  {
    name: 'clear empties the index',
    run: (r) => {
      r.set('a', { id: 'a', name: 'x', group: 'g' });
      r.by('name', 'x');
      r.clear();
      r.set('c', { id: 'c', name: 'y', group: 'g' });
    },
    by: ['group', 'g'],
    want: ['c'],
  },
];

for (const c of cases) {
  test(`Records: ${c.name}`, () => {
    const r = recs();
    c.run(r);
    assert.deepEqual(ids(r.by(...c.by)), c.want);
    // The index agrees with a scan of the map.
    for (const key of ['name', 'group'] as const)
      for (const v of new Set([...r.values()].map((x) => x[key])))
        assert.deepEqual(ids(r.by(key, v)).sort(), ids([...r.values()].filter((x) => x[key] === v)).sort());
  });
}
