/** Invalid inputs: each must exit 65 with `in.yaml:LINE:COL: ... FRAGMENT`. */
import { INPUT_CASES } from './invalid-cases-input.js';
import { RULE_CASES } from './invalid-cases-rules.js';

export interface InvalidCase {
  name: string;
  yaml: string;
  fragment: string;
  at: string; // line:column
}

const V = 'version: 1\n';
const NET = 'networks:\n  n: {subnet: 10.88.0.0/24}\n'; // lines 2-3 after V
const C = 'containers:\n  c: {}\n';

/** Network n (dual stack) and m (IPv4 only); containers a and b publish the same port: the second line's hostPort at 11:51 or 11:52. */
const twoPublish = (first: string, second: string, net = 'n'): string =>
  `version: 1\nnetworks:\n  n: {subnet: 10.88.0.0/24, ipv6: {subnet: "fd00:88::/64"}}\n  m: {subnet: 10.89.0.0/24}\ncontainers:\n  a: {}\n  b: {}\nattachments:\n  - {container: a, network: n, ports: [{hostPort: 80, containerPort: 80${first}}]}\n  - {container: b, network: ${net}, ports: [{hostPort: 80, containerPort: 80${second}}]}\n`;
const PORT_CLASHES: InvalidCase[] = [
  {
    name: 'host port: no hostIp, then :: on a dual-stack network',
    yaml: twoPublish('', ', hostIp: "::"'),
    fragment: 'host port 80/tcp is already published by container "a" (at in.yaml:9:51)',
    at: '10:51',
  },
  { name: 'host port: 0.0.0.0, then no hostIp', yaml: twoPublish(', hostIp: 0.0.0.0', ''), fragment: 'already published by container "a"', at: '10:51' },
  {
    name: 'host port: 127.0.0.1, then no hostIp on an IPv4 network',
    yaml: twoPublish(', hostIp: 127.0.0.1', '', 'm'),
    fragment: 'already published by container "a"',
    at: '10:51',
  },
  {
    name: 'host port: the same address twice',
    yaml: twoPublish(', hostIp: "fd00::1"', ', hostIp: "fd00::1"'),
    fragment: 'already published by container "a"',
    at: '10:51',
  },
];

const BASE_CASES: InvalidCase[] = [
  // ---- YAML and schema
  { name: 'yaml syntax', yaml: `${V}networks: [\n`, fragment: 'yaml:', at: '3:1' },
  { name: 'duplicate key', yaml: `${V}version: 1\n`, fragment: 'duplicate key "version"', at: '2:1' },
  { name: 'version missing', yaml: 'networks: {}\n', fragment: 'missing required field "version"', at: '1:1' },
  { name: 'version 2', yaml: 'version: 2\n', fragment: 'version must be 1', at: '1:10' },
  { name: 'document not a mapping', yaml: '- 1\n', fragment: 'must be a mapping', at: '1:1' },
  { name: 'unknown top-level field', yaml: `${V}netwrks: {}\n`, fragment: 'unknown field "netwrks" (did you mean "networks"?)', at: '2:1' },
  { name: 'unknown network field lists allowed', yaml: `${V}networks:\n  n:\n    subnt: 10.0.0.0/24\n`, fragment: 'allowed: driver, subnet', at: '4:5' },
  { name: 'unknown attachment field', yaml: `${V}attachments:\n  - {container: c, network: n, addr: 1}\n`, fragment: 'unknown field "addr"', at: '3:32' },
  { name: 'bad network name', yaml: `${V}networks:\n  Front: {}\n`, fragment: 'name must match', at: '3:3' },
  { name: 'bad container name', yaml: `${V}containers:\n  -x: {}\n`, fragment: 'name must match', at: '3:3' },
  { name: 'unknown driver', yaml: `${V}networks:\n  n: {driver: macvlan}\n`, fragment: 'must be one of bridge, host, null, overlay', at: '3:15' },
  { name: 'mtu too small', yaml: `${V}networks:\n  n: {mtu: 67}\n`, fragment: '67 is out of range 68-65535', at: '3:12' },
  { name: 'mtu not integer', yaml: `${V}networks:\n  n: {mtu: "1500"}\n`, fragment: 'must be an integer', at: '3:12' },
  { name: 'attachment without network', yaml: `${V}attachments:\n  - container: c\n`, fragment: 'missing required field "network"', at: '3:5' },
  {
    name: 'host port 0',
    yaml: `${V}${NET}${C}attachments:\n  - container: c\n    network: n\n    ports: [{hostPort: 0, containerPort: 80}]\n`,
    fragment: '0 is out of range 1-65535',
    at: '9:24',
  },
  {
    name: 'container port 70000',
    yaml: `${V}${NET}${C}attachments:\n  - container: c\n    network: n\n    ports: [{hostPort: 80, containerPort: 70000}]\n`,
    fragment: 'out of range 1-65535',
    at: '9:43',
  },
  {
    name: 'bad protocol',
    yaml: `${V}${NET}${C}attachments:\n  - container: c\n    network: n\n    ports: [{hostPort: 80, containerPort: 80, protocol: icmp}]\n`,
    fragment: 'must be one of tcp, udp, sctp',
    at: '9:57',
  },
  {
    name: 'four nameservers',
    yaml: `${V}containers:\n  c:\n    dns: {nameservers: [1.1.1.1, 1.0.0.1, 8.8.8.8, 9.9.9.9]}\n`,
    fragment: 'at most 3 nameservers',
    at: '4:24',
  },
  { name: 'bad hostname', yaml: `${V}containers:\n  c: {hostname: "-web"}\n`, fragment: 'hostname must be DNS labels', at: '3:17' },
  { name: 'vni out of range', yaml: `${V}networks:\n  n: {driver: overlay, vni: 16777216}\n`, fragment: 'out of range 1-16777215', at: '3:29' },
  {
    name: 'leaseTtl below 60',
    yaml: `${V}cluster:\n  etcd: {endpoints: ["http://127.0.0.1:2379"]}\n  leaseTtl: 59\n`,
    fragment: '59 is out of range (at least 60)',
    at: '4:13',
  },
  { name: 'etcd endpoint not a uri', yaml: `${V}cluster:\n  etcd: {endpoints: ["not a uri"]}\n`, fragment: 'is not a valid uri', at: '3:22' },
  // ---- networks
  { name: 'subnet not a cidr', yaml: `${V}networks:\n  n: {subnet: 10.88.0.0}\n`, fragment: '"10.88.0.0" is not an IPv4 CIDR', at: '3:15' },
  { name: 'subnet host bits', yaml: `${V}networks:\n  n: {subnet: 10.88.0.7/24}\n`, fragment: 'has host bits set (did you mean 10.88.0.0/24?)', at: '3:15' },
  { name: 'ipv6 subnet host bits', yaml: `${V}networks:\n  n:\n    ipv6: {subnet: "fd00::1/64"}\n`, fragment: 'did you mean fd00::/64?', at: '4:20' },
  { name: 'ipv6 subnet in ipv4 field', yaml: `${V}networks:\n  n: {subnet: "fd00::/64"}\n`, fragment: 'is not an IPv4 CIDR', at: '3:15' },
  { name: 'subnet too small', yaml: `${V}networks:\n  n: {subnet: 10.88.0.0/31}\n`, fragment: 'too small for a network', at: '3:15' },
  { name: 'subnets overlap', yaml: `${V}networks:\n  a: {subnet: 10.88.0.0/16}\n  b: {subnet: 10.88.1.0/24}\n`, fragment: 'overlaps network "a"', at: '4:15' },
  {
    name: 'ipv6 subnets overlap',
    yaml: `${V}networks:\n  a: {ipv6: {subnet: "fd00::/48"}}\n  b: {ipv6: {subnet: "fd00::/64"}}\n`,
    fragment: 'overlaps network "a"',
    at: '4:22',
  },
  {
    name: 'gateway outside subnet',
    yaml: `${V}networks:\n  n: {subnet: 10.88.0.0/24, gateway: 10.89.0.1}\n`,
    fragment: 'outside the subnet 10.88.0.0/24',
    at: '3:38',
  },
  {
    name: 'gateway is network address',
    yaml: `${V}networks:\n  n: {subnet: 10.88.0.0/24, gateway: 10.88.0.0}\n`,
    fragment: 'is the network address',
    at: '3:38',
  },
  {
    name: 'gateway is broadcast',
    yaml: `${V}networks:\n  n: {subnet: 10.88.0.0/24, gateway: 10.88.0.255}\n`,
    fragment: 'is the broadcast address',
    at: '3:38',
  },
  { name: 'gateway without subnet', yaml: `${V}networks:\n  n: {gateway: 10.88.0.1}\n`, fragment: 'needs a declared subnet', at: '3:16' },
  { name: 'ipRange outside subnet', yaml: `${V}networks:\n  n: {subnet: 10.88.0.0/24, ipRange: 10.88.1.0/25}\n`, fragment: 'outside the subnet', at: '3:38' },
  {
    name: 'reserved outside subnet',
    yaml: `${V}networks:\n  n: {subnet: 10.88.0.0/24, reserved: [10.88.0.5, 10.9.0.1]}\n`,
    fragment: '10.9.0.1 is outside the subnet',
    at: '3:51',
  },
  {
    name: 'reserved not an address',
    yaml: `${V}networks:\n  n: {subnet: 10.88.0.0/24, reserved: [10.88.0.300]}\n`,
    fragment: 'is not an IPv4 address',
    at: '3:40',
  },
  { name: 'ipv6 without subnet', yaml: `${V}networks:\n  n: {ipv6: {}}\n`, fragment: 'ipv6 needs a subnet', at: '3:7' },
  { name: 'bridge name too long', yaml: `${V}networks:\n  n: {bridge: br-much-too-long-name}\n`, fragment: 'at most 15 allowed', at: '3:15' },
  { name: 'bridge name with slash', yaml: `${V}networks:\n  n: {bridge: "br/x"}\n`, fragment: 'must not contain "/"', at: '3:15' },
  { name: 'bridge name dotdot', yaml: `${V}networks:\n  n: {bridge: ".."}\n`, fragment: 'not a valid interface name', at: '3:15' },
  {
    name: 'bridge declared twice',
    yaml: `${V}networks:\n  a: {bridge: br0}\n  b: {bridge: br0}\n`,
    fragment: 'bridge "br0" is also declared by network "a" (at in.yaml:3:15)',
    at: '4:15',
  },
  { name: 'subnet on host network', yaml: `${V}networks:\n  h: {driver: host, subnet: 10.88.0.0/24}\n`, fragment: 'not allowed on a host network', at: '3:21' },
  { name: 'vni on bridge network', yaml: `${V}networks:\n  n: {vni: 5}\n`, fragment: 'only allowed on overlay networks', at: '3:7' },
  { name: 'overlay without cluster', yaml: `${V}networks:\n  o: {driver: overlay, subnet: 10.89.0.0/16}\n`, fragment: 'needs a cluster: section', at: '3:3' },
  {
    name: 'overlay subnetLen not longer',
    yaml: `${V}cluster:\n  etcd: {endpoints: ["http://127.0.0.1:2379"]}\nnetworks:\n  o: {driver: overlay, subnet: 10.89.0.0/24, subnetLen: 24}\n`,
    fragment: 'must be longer than',
    at: '5:57',
  },
  {
    name: 'overlay vni clash',
    yaml: `${V}cluster:\n  etcd: {endpoints: ["http://127.0.0.1:2379"]}\nnetworks:\n  a: {driver: overlay, subnet: 10.89.0.0/16}\n  b: {driver: overlay, subnet: 10.90.0.0/16}\n`,
    fragment: 'vni 1 is also used by overlay network "a"',
    at: '6:15',
  },
  {
    name: 'pool size shorter than base',
    yaml: `${V}addressPools:\n  - {base: 10.210.0.0/16, size: 8}\n`,
    fragment: 'shorter than the base prefix /16',
    at: '3:33',
  },
  { name: 'pool size over 30', yaml: `${V}addressPools:\n  - {base: 10.210.0.0/16, size: 31}\n`, fragment: 'at most 30', at: '3:33' },
  { name: 'pool base host bits', yaml: `${V}addressPools:\n  - {base: 10.210.0.1/16, size: 24}\n`, fragment: 'host bits set', at: '3:12' },
  // ---- containers
  { name: 'netns with slash', yaml: `${V}containers:\n  c: {netns: "a/b"}\n`, fragment: 'must not contain "/"', at: '3:14' },
  { name: 'netns dotdot', yaml: `${V}containers:\n  c: {netns: "a..b"}\n`, fragment: 'must not contain ".."', at: '3:14' },
  { name: 'netns path outside allowed', yaml: `${V}containers:\n  c: {netns: /etc/netns/x}\n`, fragment: 'must be /proc/PID/ns/net', at: '3:14' },
  { name: 'netns run path traversal', yaml: `${V}containers:\n  c: {netns: /run/netns/..}\n`, fragment: 'must not contain ".."', at: '3:14' },
  { name: 'netns control char', yaml: `${V}containers:\n  c: {netns: "a\\tb"}\n`, fragment: 'control characters', at: '3:14' },
  {
    name: 'netns shared',
    yaml: `${V}containers:\n  a: {netns: shared}\n  b: {netns: shared}\n`,
    fragment: 'netns "shared" is also used by container "a"',
    at: '4:14',
  },
  { name: 'nameserver not an address', yaml: `${V}containers:\n  c: {dns: {nameservers: [dns.example]}}\n`, fragment: 'is not an IP address', at: '3:27' },
  {
    name: 'container declared twice in one file',
    yaml: `${V}containers:\n  c: {}\n---\n${V}containers:\n  c: {}\n`,
    fragment: 'container "c" is declared twice (first at in.yaml:3:3)',
    at: '7:3',
  },
  // ---- attachments
  {
    name: 'undeclared container',
    yaml: `${V}${NET}${C}attachments:\n  - {container: d, network: n}\n`,
    fragment: 'container "d" is not declared (did you mean "c"?)',
    at: '7:17',
  },
  { name: 'undeclared network', yaml: `${V}${NET}${C}attachments:\n  - {container: c, network: m}\n`, fragment: 'network "m" is not declared', at: '7:29' },
  {
    name: 'attachment twice',
    yaml: `${V}${NET}${C}attachments:\n  - {container: c, network: n}\n  - {container: c, network: n}\n`,
    fragment: 'already attached to network "n" (at in.yaml:7:5)',
    at: '8:5',
  },
  {
    name: 'interface twice in container',
    yaml: `${V}networks:\n  a: {subnet: 10.88.0.0/24}\n  b: {subnet: 10.88.1.0/24}\n${C}attachments:\n  - {container: c, network: a, interface: eth1}\n  - {container: c, network: b, interface: eth1}\n`,
    fragment: 'interface "eth1" is already used in container "c"',
    at: '9:43',
  },
  {
    name: 'interface name too long',
    yaml: `${V}${NET}${C}attachments:\n  - {container: c, network: n, interface: eth-way-too-long0}\n`,
    fragment: 'at most 15 allowed',
    at: '7:43',
  },
  {
    name: 'interface with colon',
    yaml: `${V}${NET}${C}attachments:\n  - {container: c, network: n, interface: "eth0:1"}\n`,
    fragment: 'must not contain "/", ":"',
    at: '7:43',
  },
  {
    name: 'interface with space',
    yaml: `${V}${NET}${C}attachments:\n  - {container: c, network: n, interface: "eth 0"}\n`,
    fragment: 'whitespace',
    at: '7:43',
  },
  {
    name: 'static outside subnet',
    yaml: `${V}${NET}${C}attachments:\n  - {container: c, network: n, ipv4: 10.99.0.5}\n`,
    fragment: 'outside the subnet 10.88.0.0/24',
    at: '7:38',
  },
  {
    name: 'static is gateway',
    yaml: `${V}${NET}${C}attachments:\n  - {container: c, network: n, ipv4: 10.88.0.1}\n`,
    fragment: 'is the gateway of network "n"',
    at: '7:38',
  },
  {
    name: 'static is network address',
    yaml: `${V}${NET}${C}attachments:\n  - {container: c, network: n, ipv4: 10.88.0.0}\n`,
    fragment: 'network address',
    at: '7:38',
  },
  {
    name: 'static is broadcast',
    yaml: `${V}${NET}${C}attachments:\n  - {container: c, network: n, ipv4: 10.88.0.255}\n`,
    fragment: 'broadcast address',
    at: '7:38',
  },
  {
    name: 'static is reserved',
    yaml: `${V}networks:\n  n: {subnet: 10.88.0.0/24, reserved: [10.88.0.9]}\n${C}attachments:\n  - {container: c, network: n, ipv4: 10.88.0.9}\n`,
    fragment: 'is reserved on network "n"',
    at: '7:38',
  },
  {
    name: 'static used twice',
    yaml: `${V}${NET}containers:\n  a: {}\n  b: {}\nattachments:\n  - {container: a, network: n, ipv4: 10.88.0.9}\n  - {container: b, network: n, ipv4: 10.88.0.9}\n`,
    fragment: 'already used by container "a"',
    at: '9:38',
  },
  {
    name: 'static without subnet',
    yaml: `${V}networks:\n  n: {}\n${C}attachments:\n  - {container: c, network: n, ipv4: 10.88.0.9}\n`,
    fragment: 'needs network "n" to declare a subnet',
    at: '7:38',
  },
  {
    name: 'ipv6 static is anycast',
    yaml: `${V}networks:\n  n: {ipv6: {subnet: "fd00:1::/64"}}\n${C}attachments:\n  - {container: c, network: n, ipv6: "fd00:1::"}\n`,
    fragment: 'subnet-router anycast',
    at: '7:38',
  },
  {
    name: 'ipv6 static without ipv6 subnet',
    yaml: `${V}${NET}${C}attachments:\n  - {container: c, network: n, ipv6: "fd00::5"}\n`,
    fragment: 'to declare ipv6.subnet',
    at: '7:38',
  },
  {
    name: 'ipv4 address in ipv6 field',
    yaml: `${V}networks:\n  n: {ipv6: {subnet: "fd00:1::/64"}}\n${C}attachments:\n  - {container: c, network: n, ipv6: 10.0.0.1}\n`,
    fragment: 'is not an IPv6 address',
    at: '7:38',
  },
  { name: 'mac syntax', yaml: `${V}${NET}${C}attachments:\n  - {container: c, network: n, mac: "02:42:0a"}\n`, fragment: 'is not a MAC address', at: '7:37' },
  { name: 'mac multicast', yaml: `${V}${NET}${C}attachments:\n  - {container: c, network: n, mac: "01:00:5e:00:00:01"}\n`, fragment: 'multicast', at: '7:37' },
  {
    name: 'host port twice',
    yaml: `${V}${NET}containers:\n  a: {}\n  b: {}\nattachments:\n  - {container: a, network: n, ports: [{hostPort: 80, containerPort: 80}]}\n  - {container: b, network: n, ports: [{hostPort: 80, containerPort: 8080}]}\n`,
    fragment: 'host port 80/tcp is already published by container "a"',
    at: '9:51',
  },
  ...PORT_CLASHES,
  {
    name: 'gatewayMode routed with masquerade true',
    yaml: `${V}networks:\n  n: {subnet: 10.88.0.0/24, gatewayMode: routed, masquerade: true}\n`,
    fragment: 'gatewayMode routed does not masquerade: drop masquerade: true, or use gatewayMode nat',
    at: '3:62',
  },
  { name: 'gatewayMode not a mode', yaml: `${V}networks:\n  n: {gatewayMode: bgp}\n`, fragment: 'nat', at: '3:20' },
  {
    name: 'gatewayMode on a host network',
    yaml: `${V}networks:\n  h: {driver: host, gatewayMode: routed}\n`,
    fragment: 'not allowed on a host network',
    at: '3:21',
  },
  {
    name: 'hostIp not an address',
    yaml: `${V}${NET}${C}attachments:\n  - {container: c, network: n, ports: [{hostPort: 80, containerPort: 80, hostIp: localhost}]}\n`,
    fragment: '"localhost" is not an IP address',
    at: '7:82',
  },
  {
    name: 'ports on internal network',
    yaml: `${V}networks:\n  n: {subnet: 10.88.0.0/24, internal: true}\n${C}attachments:\n  - {container: c, network: n, ports: [{hostPort: 80, containerPort: 80}]}\n`,
    fragment: 'not allowed on internal network "n"',
    at: '7:32',
  },
  {
    name: 'address on host network',
    yaml: `${V}networks:\n  h: {driver: host}\n${C}attachments:\n  - {container: c, network: h, ipv4: 10.0.0.1}\n`,
    fragment: 'not allowed on an attachment to host network "h"',
    at: '7:32',
  },
  {
    name: 'host network plus another',
    yaml: `${V}networks:\n  h: {driver: host}\n  n: {subnet: 10.88.0.0/24}\n${C}attachments:\n  - {container: c, network: h}\n  - {container: c, network: n}\n`,
    fragment: 'is on host network "h"',
    at: '9:29',
  },
  {
    name: 'null network plus another',
    yaml: `${V}networks:\n  z: {driver: "null"}\n  n: {subnet: 10.88.0.0/24}\n${C}attachments:\n  - {container: c, network: n}\n  - {container: c, network: z}\n`,
    fragment: 'is on null network "z"',
    at: '8:29',
  },
  { name: 'interface lo', yaml: `${V}${NET}${C}attachments:\n  - {container: c, network: n, interface: lo}\n`, fragment: 'loopback', at: '7:43' },
];

export const CASES: InvalidCase[] = [...BASE_CASES, ...RULE_CASES, ...INPUT_CASES];
