/** Firewall inputs shared by the golden-text test and the kernel test. */
import type { FirewallInput } from '../../src/kernel/index.js';

export const twoNetworks: FirewallInput = {
  networks: [
    { name: 'back', id: 'b1', bridge: 'br-back', subnets: { v4: '10.89.0.0/24' }, masquerade: true, internal: true, icc: true },
    { name: 'front', id: 'f1', bridge: 'br-front', subnets: { v4: '10.88.0.0/24', v6: 'fd00:88::/64' }, masquerade: true, internal: false, icc: false },
  ],
  ports: [
    { network: 'front', bridge: 'br-front', containerAddress: 'fd00:88::10', containerPort: 53, hostPort: 53, protocol: 'udp', hostIp: 'fd00::1' },
    { network: 'front', bridge: 'br-front', containerAddress: '10.88.0.10', containerPort: 80, hostPort: 8080, protocol: 'tcp' },
  ],
};
