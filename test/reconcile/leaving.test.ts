/**
 * Which namespaces are read as links only (reconcile/snapshot.ts leavingNamespaces), purely:
 * those whose only fate is deletion — netd created them, every record naming them goes, and no
 * container that stays declares them. An adopted namespace, a host-network container, and a
 * namespace a staying container shares are read whole.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { leavingNamespaces, type Intent } from '../../src/reconcile/snapshot.js';
import { loadDesiredState } from '../../src/desired/validate.js';
import type { RecordedState } from '../../src/plan/types.js';
import type { SandboxRecord } from '../../src/state/records.js';

const sandbox = (container: string, netns: SandboxRecord['netns'], more: Partial<SandboxRecord> = {}): SandboxRecord => ({
  hostname: container,
  id: container.padEnd(64, '0'),
  container,
  netns,
  created: netns.kind === 'named',
  state: 'ready',
  ...more,
});
const named = (name: string): SandboxRecord['netns'] => ({ kind: 'named', name });

const RECORDED: SandboxRecord[] = [
  sandbox('web', named('web')),
  sandbox('api', named('api')),
  sandbox('db', named('db-ns'), { created: false }),
  sandbox('path', { kind: 'path', path: '/run/netns/other' }, { created: false }),
  sandbox('edge', named('edge'), { hostNetwork: true, created: false }),
  // What an interrupted replace leaves: the old record, deleting, and its successor, same namespace.
  sandbox('cache', named('cache'), { id: 'c'.repeat(64), state: 'deleting' }),
  sandbox('cache', named('cache'), { id: 'd'.repeat(64) }),
];

interface Case {
  readonly name: string;
  readonly yaml: string;
  readonly intent?: Intent;
  readonly want: string[];
}

const cases: Case[] = [
  { name: 'apply of nothing: every namespace netd created goes', yaml: 'version: 1\n', want: ['api', 'cache', 'web'] },
  { name: 'apply: a declared container keeps its namespace whole', yaml: 'version: 1\ncontainers:\n  web: {}\n', want: ['api', 'cache'] },
  {
    name: 'apply: a new container declaring a leaving namespace keeps it whole',
    yaml: 'version: 1\ncontainers:\n  web2: { netns: api }\n',
    want: ['cache', 'web'],
  },
  { name: 'apply: a declared name keeps both records of an interrupted replace whole', yaml: 'version: 1\ncontainers:\n  cache: {}\n', want: ['api', 'web'] },
  {
    name: 'delete: the declared containers go',
    yaml: 'version: 1\ncontainers:\n  web: {}\n  db: { netns: db-ns, adopt: true }\n',
    intent: 'delete',
    want: ['web'],
  },
  { name: 'delete of nothing: nothing goes', yaml: 'version: 1\n', intent: 'delete', want: [] },
];

for (const tc of cases) {
  test(`leaving namespaces: ${tc.name}`, async () => {
    const r = await loadDesiredState(['-'], { stdin: tc.yaml });
    assert.ok(r.ok, JSON.stringify(!r.ok && r.errors));
    const recorded: RecordedState = { networks: [], sandboxes: RECORDED, endpoints: [], allocations: [], revisions: new Map() };
    assert.deepEqual([...leavingNamespaces(r.state, recorded, tc.intent)].sort(), tc.want);
  });
}
