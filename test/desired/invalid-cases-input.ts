/** Invalid inputs for YAML features, empty and partially invalid documents (issue 10); merged into CASES. */
import type { InvalidCase } from './invalid-cases.js';

const V = 'version: 1\n';
const NET = 'networks:\n  n: {subnet: 10.88.0.0/24}\n'; // lines 2-3 after V
const OVERLAP = `${V}networks:\n  a: {subnet: 10.88.0.0/16}\n  b: {subnet: 10.88.1.0/24, mtuu: 1400}\n`;
const TYPE_AND_REF = `${V}networks:\n  a: {mtu: "x"}\n  n: {subnet: 10.88.0.0/24}\ncontainers:\n  c: {}\nattachments:\n  - {container: d, network: n}\n  - {container: c, network: a}\n`;

export const INPUT_CASES: InvalidCase[] = [
  {
    name: 'nesting thousands of levels deep',
    yaml: `version: 1\nx: ${'['.repeat(20000)}${']'.repeat(20000)}\n`,
    fragment: 'yaml: the document nests too deeply',
    at: '1:1',
  },
  // ---- tags: only the YAML 1.2 core schema's (!!str, !!int, …); nothing else is resolved
  { name: 'tag !!js/function', yaml: `${V}networks:\n  n: !!js/function "function () {}"\n`, fragment: 'yaml: unknown tag "!!js/function"', at: '3:6' },
  { name: 'local tag', yaml: `${V}containers:\n  c: {hostname: !shell web}\n`, fragment: 'yaml: unknown tag "!shell"', at: '3:17' },
  { name: 'YAML 1.1 tag !!binary', yaml: `${V}networks:\n  n: {subnet: !!binary MTAuMC4wLjAvMjQ=}\n`, fragment: 'unknown tag "!!binary"', at: '3:15' },
  { name: 'YAML 1.1 tag !!set', yaml: `${V}networks: !!set {n}\n`, fragment: 'unknown tag "!!set"', at: '2:11' },
  { name: 'tag from a %TAG directive', yaml: `%TAG !e! tag:example.com,2000:\n---\n${V}networks: !e!x {}\n`, fragment: 'unknown tag "!e!x"', at: '4:11' },
  { name: 'core tag that does not fit', yaml: `${V}networks:\n  n: {mtu: !!int "15x"}\n`, fragment: 'the value does not fit its tag "!!int"', at: '3:12' },
  // ---- directives
  { name: '%YAML 1.1', yaml: `%YAML 1.1\n---\n${V}networks:\n  n: {internal: yes}\n`, fragment: 'yaml: %YAML 1.1 is not supported, only 1.2', at: '1:1' },
  { name: '%YAML 1.1 before a later document', yaml: `${V}...\n%YAML 1.1\n---\nnetworks: {}\n`, fragment: '%YAML 1.1 is not supported', at: '3:1' },
  { name: '%YAML 1.3', yaml: `%YAML 1.3\n---\n${V}`, fragment: 'yaml: unsupported YAML version 1.3', at: '1:7' },
  { name: 'unknown directive', yaml: `%FOO bar\n---\n${V}`, fragment: 'yaml: unknown directive %FOO', at: '1:1' },
  {
    name: 'aliases that add a million values',
    yaml: `${V}networks:\n  n0: {labels: &l {${Array.from({ length: 2000 }, (_, i) => `k${i}: v`).join(', ')}}}\n${Array.from({ length: 500 }, (_, i) => `  n${i + 1}: {labels: *l}\n`).join('')}`,
    fragment: 'aliases add more than 1000000 values: refusing a possible resource-exhaustion document',
    at: '4:16',
  },
  // ---- keys
  { name: 'alias key repeats a key', yaml: `${V}networks:\n  &k a: {}\n  *k : {}\n`, fragment: 'duplicate key "a"', at: '4:3' },
  { name: 'alias key repeats version', yaml: `&v version: 1\n*v : 2\n`, fragment: 'duplicate key "version"', at: '2:1' },
  {
    name: 'error under an alias key points at it',
    yaml: `${V}networks:\n  a: {labels: {&k team: web}}\n  b: {labels: {*k : 5}}\n`,
    fragment: 'networks.b.labels.team: must be a string',
    at: '4:21',
  },
  { name: 'list as a key', yaml: `${V}networks:\n  ? [a, b]\n  : {}\n`, fragment: 'a mapping key must be a plain value, not a list', at: '3:5' },
  { name: 'merge key is not a merge', yaml: `${V}networks:\n  a: &b {subnet: 10.88.0.0/24}\n  c:\n    <<: *b\n`, fragment: 'unknown field "<<"', at: '5:5' },
  // ---- control characters are shown escaped
  { name: 'escape in an unknown key', yaml: `${V}networks:\n  n:\n    "sub\\e[31mnet": x\n`, fragment: 'unknown field "sub\\x1b[31mnet"', at: '4:5' },
  { name: 'escape in a value', yaml: `${V}networks:\n  n: {subnet: "10.0.0.0/8\\e[2J"}\n`, fragment: '"10.0.0.0/8\\x1b[2J" is not an IPv4 CIDR', at: '3:15' },
  { name: 'newline in a value', yaml: `${V}cluster:\n  etcd: {endpoints: ["http://a\\nb"]}\n`, fragment: '"http://a\\nb" is not a valid uri', at: '3:22' },
  // ---- schema errors do not hide semantic ones: each case asserts one of the errors
  { name: 'misspelled field beside an overlap: the field', yaml: OVERLAP, fragment: 'unknown field "mtuu"', at: '4:29' },
  { name: 'misspelled field beside an overlap: the overlap', yaml: OVERLAP, fragment: 'overlaps network "a"', at: '4:15' },
  { name: 'wrong type beside an undeclared container: the type', yaml: TYPE_AND_REF, fragment: 'must be an integer', at: '3:12' },
  { name: 'wrong type beside an undeclared container: the container', yaml: TYPE_AND_REF, fragment: 'container "d" is not declared', at: '8:17' },
  {
    name: 'attachment after a cut one keeps its place',
    yaml: `${V}${NET}containers:\n  c: {}\nattachments:\n  - {containr: c, network: n}\n  - {container: c, network: n, ipv4: 10.88.0.1}\n`,
    fragment: 'is the gateway of network "n"',
    at: '8:38',
  },
  { name: 'version 2 beside a bad subnet', yaml: 'version: 2\nnetworks:\n  n: {subnet: 10.88.0.7/24}\n', fragment: 'has host bits set', at: '3:15' },
  { name: 'no version beside a bad subnet', yaml: 'networks:\n  n: {subnet: 10.88.0.7/24}\n', fragment: 'has host bits set', at: '2:15' },
  {
    name: 'unknown top-level field beside a bad subnet',
    yaml: `${V}netwrks: {}\nnetworks:\n  n: {subnet: 10.88.0.7/24}\n`,
    fragment: 'has host bits set',
    at: '4:15',
  },
  {
    name: 'bad network name beside a bad gateway',
    yaml: `${V}networks:\n  Front: {}\n  n: {subnet: 10.88.0.0/24, gateway: 10.88.0.0}\n`,
    fragment: 'is the network address',
    at: '4:38',
  },
  {
    name: 'yaml error in one document, a bad subnet in the next',
    yaml: `${V}networks:\n  a: !foo {}\n---\n${V}networks:\n  n: {subnet: 10.88.0.7/24}\n`,
    fragment: 'has host bits set',
    at: '7:15',
  },
  { name: 'escape in a duplicate key', yaml: `${V}networks:\n  "a\\eb": {}\n  "a\\eb": {}\n`, fragment: 'duplicate key "a\\u001bb"', at: '4:3' },
];
