/** Invalid inputs for the name, address and identity rules (issue 10); merged into CASES. */
import type { InvalidCase } from './invalid-cases.js';

const V = 'version: 1\n';
const NET = 'networks:\n  n: {subnet: 10.88.0.0/24}\n'; // lines 2-3 after V
const C = 'containers:\n  c: {}\n'; // lines 4-5 after V and NET
const netns = (ns: string): string => `${V}containers:\n  c: {netns: ${JSON.stringify(ns)}}\n`; // value at 3:14
const iface = (name: string): string => `${V}${NET}${C}attachments:\n  - {container: c, network: n, interface: ${JSON.stringify(name)}}\n`; // 7:43
const bridge = (name: string): string => `${V}networks:\n  n: {bridge: ${JSON.stringify(name)}}\n`; // 3:15
const subnet = (s: string): string => `${V}networks:\n  n: {subnet: ${JSON.stringify(s)}}\n`; // 3:15
const subnet6 = (s: string): string => `${V}networks:\n  n:\n    ipv6: {subnet: ${JSON.stringify(s)}}\n`; // 4:20
const pool = (base: string, size = 24): string => `${V}addressPools:\n  - {base: ${JSON.stringify(base)}, size: ${size}}\n`; // 3:12
const hostIp = (ip: string): string =>
  `${V}${NET}${C}attachments:\n  - {container: c, network: n, ports: [{hostPort: 80, containerPort: 80, hostIp: ${JSON.stringify(ip)}}]}\n`; // 7:82
/** A second extra host after a valid one: its value at 4:33. */
const extraHost = (h: string): string => `${V}containers:\n  c:\n    extraHosts: ["db:10.0.0.7", ${JSON.stringify(h)}]\n`;
const dnsOption = (o: string): string => `${V}containers:\n  c:\n    dns: {options: [rotate, ${JSON.stringify(o)}]}\n`; // 4:29
/** Network n with `count` containers c0… attached without an address; the attachments from line 4 + count + 2. */
const dyn = (net: string, count: number): string =>
  `${V}networks:\n  n: ${net}\ncontainers:\n${Array.from({ length: count }, (_, i) => `  c${i}: {}\n`).join('')}attachments:\n${Array.from({ length: count }, (_, i) => `  - {container: c${i}, network: n}\n`).join('')}`;
const HOMOGLYPH_E = '\u0435'; // Cyrillic small ie, drawn like "e"

export const RULE_CASES: InvalidCase[] = [
  {
    name: 'nameserver in the multicast range',
    yaml: `${V}containers:\n  c: {dns: {nameservers: [224.0.0.251]}}\n`,
    fragment: '224.0.0.251 is in the multicast range 224.0.0.0/4: not a resolver',
    at: '3:27',
  },
  {
    name: 'nameserver 0.0.0.0',
    yaml: `${V}containers:\n  c: {dns: {nameservers: [1.1.1.1, 0.0.0.0]}}\n`,
    fragment: '0.0.0.0 is the unspecified address: not a resolver',
    at: '3:36',
  },
  {
    name: 'nameserver written IPv4-mapped',
    yaml: `${V}containers:\n  c: {dns: {nameservers: ["::ffff:1.1.1.1"]}}\n`,
    fragment: 'is an IPv4-mapped IPv6 address: write 1.1.1.1',
    at: '3:27',
  },
  // ---- one rule set for names (src/kernel/names.ts)
  { name: 'netns with a space', yaml: netns('a b'), fragment: '"a b" contains a space', at: '3:14' },
  { name: 'netns with #', yaml: netns('a#b'), fragment: 'contains "#"', at: '3:14' },
  { name: 'netns with leading -', yaml: netns('-x'), fragment: 'must start with an ASCII letter, a digit or "_"', at: '3:14' },
  { name: 'netns with leading .', yaml: netns('.x'), fragment: 'must start with an ASCII letter, a digit or "_"', at: '3:14' },
  { name: 'netns non-ASCII', yaml: netns('café'), fragment: '"é" (U+00E9)', at: '3:14' },
  { name: 'netns homoglyph', yaml: netns(`w${HOMOGLYPH_E}b`), fragment: '(U+0435): namespace names are ASCII letters', at: '3:14' },
  { name: 'netns /run/netns name with leading -', yaml: netns('/run/netns/-x'), fragment: 'must start with', at: '3:14' },
  { name: 'netns too long', yaml: netns('x'.repeat(256)), fragment: 'is 256 bytes, at most 255 allowed', at: '3:14' },
  { name: 'interface kernel template', yaml: iface('eth%d'), fragment: '"eth%d" contains "%"', at: '7:43' },
  { name: 'interface with @', yaml: iface('eth0@x'), fragment: 'contains "@"', at: '7:43' },
  { name: 'interface non-ASCII', yaml: iface('ethé'), fragment: '(U+00E9): interface names are ASCII', at: '7:43' },
  { name: 'bridge non-ASCII', yaml: bridge('brü'), fragment: '"ü" (U+00FC)', at: '3:15' },
  { name: 'bridge homoglyph', yaml: bridge(`br${HOMOGLYPH_E}`), fragment: '(U+0435)', at: '3:15' },
  { name: 'bridge kernel template', yaml: bridge('br%d'), fragment: 'contains "%"', at: '3:15' },
  { name: 'bridge named all', yaml: bridge('all'), fragment: '"all" is reserved by the kernel (it names the sysctl settings of every interface', at: '3:15' },
  { name: 'interface named default', yaml: iface('default'), fragment: '"default" is reserved by the kernel', at: '7:43' },
  {
    name: 'publicInterface template',
    yaml: `${V}cluster:\n  etcd: {endpoints: ["http://127.0.0.1:2379"]}\n  publicInterface: "eth%d"\n`,
    fragment: 'contains "%"',
    at: '4:20',
  },
  // ---- address sanity (src/desired/cidr.ts specialRange)
  { name: 'subnet loopback', yaml: subnet('127.0.0.0/24'), fragment: 'is in the loopback range 127.0.0.0/8', at: '3:15' },
  { name: 'subnet spanning loopback', yaml: subnet('96.0.0.0/3'), fragment: 'loopback range 127.0.0.0/8', at: '3:15' },
  { name: 'subnet multicast', yaml: subnet('224.1.0.0/16'), fragment: 'multicast range 224.0.0.0/4', at: '3:15' },
  { name: 'subnet this-network', yaml: subnet('0.1.0.0/16'), fragment: '"this network" range 0.0.0.0/8', at: '3:15' },
  { name: 'subnet class E', yaml: subnet('240.0.0.0/24'), fragment: 'reserved range 240.0.0.0/4', at: '3:15' },
  { name: 'subnet link-local', yaml: subnet('169.254.1.0/24'), fragment: 'link-local range 169.254.0.0/16', at: '3:15' },
  { name: 'ipv6 subnet link-local', yaml: subnet6('fe80::/64'), fragment: 'link-local range fe80::/10', at: '4:20' },
  { name: 'ipv6 subnet multicast', yaml: subnet6('ff05::/64'), fragment: 'multicast range ff00::/8', at: '4:20' },
  { name: 'ipv6 subnet IPv4-mapped', yaml: subnet6('::ffff:10.0.0.0/120'), fragment: 'IPv4-mapped range ::ffff:0:0/96', at: '4:20' },
  { name: 'ipv6 subnet IPv4-compatible', yaml: subnet6('::a00:0/120'), fragment: 'IPv4-compatible range ::/96', at: '4:20' },
  { name: 'ipv6 subnet with loopback', yaml: subnet6('::/64'), fragment: 'loopback address ::1', at: '4:20' },
  {
    name: 'overlay cluster range multicast',
    yaml: `${V}cluster:\n  etcd: {endpoints: ["http://127.0.0.1:2379"]}\nnetworks:\n  o: {driver: overlay, subnet: 239.0.0.0/16}\n`,
    fragment: 'multicast',
    at: '5:32',
  },
  { name: 'pool loopback', yaml: pool('127.0.0.0/16'), fragment: 'loopback range', at: '3:12' },
  { name: 'pool link-local', yaml: pool('169.254.0.0/16'), fragment: 'link-local range', at: '3:12' },
  { name: 'pool IPv6', yaml: pool('fd00::/48', 64), fragment: 'address pools are IPv4 only', at: '3:12' },
  { name: 'hostIp loopback', yaml: hostIp('127.0.0.1'), fragment: 'publishing on loopback is not supported (netd does not set route_localnet)', at: '7:82' },
  { name: 'hostIp ::1', yaml: hostIp('::1'), fragment: 'publishing on loopback is not supported', at: '7:82' },
  { name: 'hostIp IPv4-mapped', yaml: hostIp('::ffff:1.2.3.4'), fragment: 'is an IPv4-mapped IPv6 address: write 1.2.3.4', at: '7:82' },
  { name: 'hostIp multicast', yaml: hostIp('224.0.0.1'), fragment: 'multicast range 224.0.0.0/4: not an address to publish on', at: '7:82' },
  { name: 'hostIp link-local', yaml: hostIp('fe80::1'), fragment: 'link-local range fe80::/10', at: '7:82' },
  { name: 'hostIp broadcast', yaml: hostIp('255.255.255.255'), fragment: 'reserved range 240.0.0.0/4', at: '7:82' },
  {
    name: 'ipv6 network mtu below 1280',
    yaml: `${V}networks:\n  n: {mtu: 1279, ipv6: {subnet: "fd00:5::/64"}}\n`,
    fragment: 'mtu 1279 is below 1280',
    at: '3:12',
  },
  // ---- identity
  {
    name: 'netns name and /run/netns path',
    yaml: `${V}containers:\n  a: {netns: x}\n  b: {netns: /run/netns/x}\n`,
    fragment: 'netns "/run/netns/x" is also used by container "a" as "x" (at in.yaml:3:3)',
    at: '4:14',
  },
  {
    name: 'netns /run and /var/run paths',
    yaml: `${V}containers:\n  a: {netns: /var/run/netns/x}\n  b: {netns: /run/netns/x}\n`,
    fragment: 'also used by container "a" as "/var/run/netns/x"',
    at: '4:14',
  },
  {
    name: 'netns path naming another container',
    yaml: `${V}containers:\n  web: {}\n  b: {netns: /run/netns/web}\n`,
    fragment: 'also used by container "web" as "web"',
    at: '4:14',
  },
  {
    name: 'mac equal to a derived mac',
    yaml: `${V}${NET}containers:\n  a: {}\n  b: {}\nattachments:\n  - {container: a, network: n, ipv4: 10.88.0.9}\n  - {container: b, network: n, mac: "02:42:0a:58:00:09"}\n`,
    fragment: 'is the mac container "a" derives from its address 10.88.0.9 on network "n" (at in.yaml:8:38)',
    at: '9:37',
  },
  {
    name: 'label value with a bidi control (printed raw by diff, inspect, export)',
    yaml: `${V}networks:\n  n: {subnet: 10.88.0.0/24, labels: {team: "web\\u202eevil"}}\n`,
    fragment: 'a label value must not contain control or format characters',
    at: '3:44',
  },
  {
    name: 'label value with a newline',
    yaml: `${V}containers:\n  c: {labels: {note: "a\\nb"}}\n`,
    fragment: 'a label value must not contain control or format characters',
    at: '3:22',
  },
  {
    name: 'label key with a space',
    yaml: `${V}containers:\n  c: {labels: {"my key": x}}\n`,
    fragment: 'a label key is letters, digits',
    at: '3:16',
  },
  {
    name: 'mac in the range netd derives (a dynamic address may get it)',
    yaml: `${V}networks:\n  n: {subnet: 10.88.0.0/24, ipRange: 10.88.0.128/25}\ncontainers:\n  a: {}\n  b: {}\nattachments:\n  - {container: a, network: n}\n  - {container: b, network: n, mac: "02:42:0a:58:00:80"}\n`,
    fragment: 'mac 02:42:0a:58:00:80 is in the range netd derives on network "n" (02:42 + an address of 10.88.0.0/24)',
    at: '9:37',
  },
  {
    name: 'mac equal to a later derived mac',
    yaml: `${V}${NET}containers:\n  a: {}\n  b: {}\nattachments:\n  - {container: b, network: n, mac: "02:42:0a:58:00:09"}\n  - {container: a, network: n, ipv4: 10.88.0.9}\n`,
    fragment: 'derives from its address 10.88.0.9 on network "n" (at in.yaml:9:38)',
    at: '8:37',
  },
  {
    name: 'pool too small for networks',
    yaml: `${V}addressPools:\n  - {base: 10.9.0.0/29, size: 30}\nnetworks:\n  a: {}\n  b: {}\n  c: {}\n`,
    fragment: 'no room for network "c": the address pools 10.9.0.0/29 (/30s) hold 2 free subnet(s) for 3 networks',
    at: '7:3',
  },
  {
    name: 'pool space taken by a declared subnet',
    yaml: `${V}addressPools:\n  - {base: 10.9.0.0/29, size: 30}\nnetworks:\n  x: {subnet: 10.9.0.0/30}\n  a: {}\n  b: {}\n`,
    fragment: 'no room for network "b"',
    at: '7:3',
  },
  {
    name: 'default pools taken',
    yaml: `${V}networks:\n  x: {subnet: 10.210.0.0/16}\n  y: {subnet: 172.30.0.0/16}\n  a: {}\n`,
    fragment: 'the default address pools 10.210.0.0/16 (/24s), 172.30.0.0/16 (/24s) hold 0 free',
    at: '5:3',
  },
  {
    name: 'more networks than the default pools hold',
    yaml: `${V}networks:\n${Array.from({ length: 513 }, (_, i) => `  n${i}: {}\n`).join('')}`,
    fragment: 'no room for network "n512": the default address pools 10.210.0.0/16 (/24s), 172.30.0.0/16 (/24s) hold 512 free subnet(s) for 513 networks',
    at: '515:3',
  },
  // ---- room for dynamic addresses (src/desired/semantic-room.ts)
  {
    name: 'subnet /30 with two dynamic attachments',
    yaml: dyn('{subnet: 10.88.0.0/30}', 2),
    fragment:
      'no IPv4 address left for container "c1" on network "n": its range 10.88.0.0/30 has room for 1 dynamic address(es), and 2 attachments declare no ipv4',
    at: '9:5',
  },
  {
    name: 'ipRange holding only the gateway',
    yaml: dyn('{subnet: 10.88.0.0/24, ipRange: 10.88.0.1/32}', 1),
    fragment: 'its range 10.88.0.1/32 has room for 0 dynamic address(es)',
    at: '7:5',
  },
  {
    name: 'ipRange all reserved',
    yaml: dyn('{subnet: 10.88.0.0/24, ipRange: 10.88.0.4/31, reserved: [10.88.0.4, 10.88.0.5]}', 1),
    fragment: 'has room for 0 dynamic',
    at: '7:5',
  },
  {
    name: 'ipRange taken by a static address',
    yaml: `${V}networks:\n  n: {subnet: 10.88.0.0/24, ipRange: 10.88.0.4/31}\ncontainers:\n  a: {}\n  b: {}\n  s: {}\nattachments:\n  - {container: a, network: n}\n  - {container: s, network: n, ipv4: 10.88.0.4}\n  - {container: b, network: n}\n`,
    fragment: 'no IPv4 address left for container "b"',
    at: '11:5',
  },
  {
    name: 'ipv6 /126 with three dynamic attachments',
    yaml: dyn('{subnet: 10.88.0.0/24, ipv6: {subnet: "fd00:1::/126"}}', 3),
    fragment: 'no IPv6 address left for container "c2"',
    at: '11:5',
  },
  {
    name: 'pool subnets too small for the attachments',
    yaml: `${V}addressPools: [{base: 10.5.0.0/29, size: 30}]\n${dyn('{}', 2).slice(V.length)}`,
    fragment: 'a /30 from the address pools has room for 1 dynamic address(es)',
    at: '10:5',
  },
  {
    name: 'hostIp IPv6 on an IPv4-only network',
    yaml: hostIp('2001:db8::1'),
    fragment: 'is an IPv6 address but network "n" declares no ipv6 subnet',
    at: '7:82',
  },
  { name: 'hostIp :: on an IPv4-only network', yaml: hostIp('::'), fragment: ':: is an IPv6 address but network "n" declares no ipv6 subnet', at: '7:82' },
  // ---- dns.options
  { name: 'dns option injecting a nameserver', yaml: dnsOption('ndots:1\nnameserver 6.6.6.6'), fragment: 'a dns option is one resolv.conf option', at: '4:29' },
  { name: 'dns option with a space', yaml: dnsOption('ndots: 2'), fragment: 'no spaces, newlines or control characters', at: '4:29' },
  // ---- extraHosts (name:address, split at the first colon)
  { name: 'extra host without an address', yaml: extraHost('db'), fragment: 'an extra host is name:address, e.g. db.internal:10.0.0.7', at: '4:33' },
  { name: 'extra host with a space', yaml: extraHost('db: 10.0.0.7'), fragment: 'with no spaces', at: '4:33' },
  {
    name: 'extra host with a bad name',
    yaml: extraHost('-db:10.0.0.7'),
    fragment: 'extra host "-db:10.0.0.7": the name "-db" is not a valid DNS name',
    at: '4:33',
  },
  {
    name: 'extra host with a bad address',
    yaml: extraHost('db:10.0.0.300'),
    fragment: 'extra host "db:10.0.0.300": "10.0.0.300" is not an IP address',
    at: '4:33',
  },
  { name: 'extra host with a bracketed IPv4', yaml: extraHost('db:[10.0.0.7'), fragment: '"[10.0.0.7" is not an IP address', at: '4:33' },
  {
    name: 'extra host with an IPv4-mapped address',
    yaml: extraHost('db:::ffff:10.0.0.7'),
    fragment: 'is an IPv4-mapped IPv6 address: write db:10.0.0.7',
    at: '4:33',
  },
  // ---- predefined networks host and none
  {
    name: 'network named host declared',
    yaml: `${V}networks:\n  host: {driver: host}\n`,
    fragment: '"host" is a predefined network (driver host): attach to it without declaring it',
    at: '3:3',
  },
  { name: 'network named none declared', yaml: `${V}networks:\n  none: {}\n`, fragment: '"none" is a predefined network (driver null)', at: '3:3' },
  {
    name: 'address on predefined none',
    yaml: `${V}${C}attachments:\n  - {container: c, network: none, ipv4: 10.0.0.1}\n`,
    fragment: 'not allowed on an attachment to null network "none"',
    at: '5:35',
  },
  {
    name: 'misspelled predefined network',
    yaml: `${V}${C}attachments:\n  - {container: c, network: nnoe}\n`,
    fragment: 'network "nnoe" is not declared (did you mean "none"?)',
    at: '5:29',
  },
  {
    name: 'predefined host plus another',
    yaml: `${V}${NET}${C}attachments:\n  - {container: c, network: host}\n  - {container: c, network: n}\n`,
    fragment: 'is on host network "host"',
    at: '8:29',
  },
];
