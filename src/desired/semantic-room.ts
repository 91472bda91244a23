/**
 * Room for dynamic addresses. A network whose range cannot hold an address for every
 * attachment that declares none fails in IPAM mid-apply, after its bridge and the other
 * containers were created. Counted as IPAM hands addresses out (src/ipam/layout.ts): the range
 * (ipRange, else the subnet) less the network and broadcast addresses, the gateway, `reserved`
 * and the static addresses of the network's attachments.
 */
import { contains, formatCidr, lastAddr, size, tryParseAddr } from './cidr.js';
import type { Entry } from './merge.js';
import type { FamilyInfo, NetInfo, Report } from './semantic-net.js';
import { attachmentKey, type AttachmentDoc } from './types.js';

type Att = Entry<AttachmentDoc>;

/** The addresses of the range IPAM never hands out dynamically. */
function taken(info: FamilyInfo, statics: readonly bigint[]): Set<bigint> {
  const { subnet, range } = info;
  const fixed = [subnet.network, ...(subnet.family === 4 ? [lastAddr(subnet)] : []), ...(info.gateway === undefined ? [] : [info.gateway])];
  return new Set([...fixed, ...info.reserved, ...statics].filter((value) => contains(range, { family: range.family, value })));
}

const staticsOf = (atts: readonly Att[], k: 'ipv4' | 'ipv6'): bigint[] =>
  atts.flatMap((a) => {
    const v = a.value[k] === undefined ? undefined : tryParseAddr(a.value[k]);
    return v ? [v.value] : [];
  });

function checkFamily(report: Report, info: NetInfo, atts: readonly Att[], k: 'ipv4' | 'ipv6'): void {
  const fam = k === 'ipv4' ? info.v4 : info.v6;
  const pool = k === 'ipv4' && fam === undefined ? info.poolPrefix : undefined;
  if (fam === undefined && pool === undefined) return;
  const dynamic = atts.filter((a) => a.value[k] === undefined);
  // A subnet from the pools: its network and broadcast addresses and the gateway are not handed out.
  const room = fam ? size(fam.range) - BigInt(taken(fam, staticsOf(atts, k)).size) : (1n << BigInt(32 - pool!)) - 3n;
  if (BigInt(dynamic.length) <= room) return;
  const over = dynamic[Number(room)]!;
  const range = fam ? `its range ${formatCidr(fam.range)}` : `a /${pool} from the address pools`;
  report(
    over.origin,
    [],
    `no ${k === 'ipv4' ? 'IPv4' : 'IPv6'} address left for container "${over.value.container}" on network "${info.entry.name}": ${range} has room for ${room} dynamic address(es), and ${dynamic.length} attachments declare no ${k}`,
  );
}

/** Per bridge network and family: the first attachment no address is left for. */
export function checkRoom(report: Report, atts: readonly Att[], nets: ReadonlyMap<string, NetInfo>): void {
  const byNet = new Map<string, Map<string, Att>>();
  for (const a of atts) {
    if (nets.get(a.value.network)?.driver !== 'bridge') continue;
    const list = byNet.get(a.value.network) ?? new Map<string, Att>();
    byNet.set(a.value.network, list);
    if (!list.has(attachmentKey(a.value))) list.set(attachmentKey(a.value), a);
  }
  for (const [name, list] of byNet) {
    const info = nets.get(name)!;
    checkFamily(report, info, [...list.values()], 'ipv4');
    checkFamily(report, info, [...list.values()], 'ipv6');
  }
}
