/**
 * The schema documents what netd does: its `default`s are the normalizer's, and the address
 * and CIDR fields carry a `format` for editors (netd itself reports those errors semantically).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../helpers/cli.js';
import { DEFAULTS } from '../../src/desired/normalize.js';
import { loadDesiredState } from '../../src/desired/validate.js';
import { tempFiles } from '../helpers/cli.js';

type Prop = { default?: unknown; format?: string; items?: { format?: string } };
const schema = JSON.parse(readFileSync(join(ROOT, 'schemas/netd.schema.json'), 'utf8')) as {
  $id: string;
  $defs: Record<string, { properties: Record<string, Prop> }>;
};
const prop = (def: string, name: string): Prop => schema.$defs[def]!.properties[name]!;

test('schema defaults are the ones netd applies', async () => {
  assert.match(schema.$id, /^https:\/\//);
  const cases: [string, string, unknown][] = [
    ['network', 'mtu', DEFAULTS.mtu],
    ['network', 'subnetLen', DEFAULTS.subnetLen],
    ['network', 'backend', DEFAULTS.backend],
    ['network', 'vni', DEFAULTS.vni],
    ['network', 'port', DEFAULTS.vxlanPort],
    ['cluster', 'leaseTtl', DEFAULTS.leaseTtl],
  ];
  for (const [def, name, want] of cases) assert.equal(prop(def, name).default, want, `${def}.${name}`);
  // The booleans and the driver: what a network declared with nothing else becomes.
  const files = tempFiles({ 'n.yaml': 'version: 1\nnetworks:\n  n: {}\n' });
  const r = await loadDesiredState([files.path('n.yaml')]);
  assert.ok(r.ok);
  const n = r.state.networks[0]!;
  for (const k of ['driver', 'internal', 'masquerade', 'icc', 'adopt'] as const) assert.equal(prop('network', k).default, n[k], `network.${k}`);
});

test('address and CIDR fields carry a format for editors', () => {
  const cases: [string, string, string][] = [
    ['network', 'subnet', 'ipv4-cidr'],
    ['network', 'gateway', 'ipv4'],
    ['ipv6', 'subnet', 'ipv6-cidr'],
    ['attachment', 'ipv4', 'ipv4'],
    ['attachment', 'ipv6', 'ipv6'],
    ['addressPool', 'base', 'ipv4-cidr'],
  ];
  for (const [def, name, format] of cases) assert.equal(prop(def, name).format, format, `${def}.${name}`);
  assert.equal(prop('network', 'reserved').items?.format, 'ipv4');
});
