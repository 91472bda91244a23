/** What netd's firewall is rendered from: the routed networks and the published ports (kernel/nft-render.ts renders it). */
export interface FirewallNetwork {
  name: string;
  id: string;
  bridge: string;
  subnets: { v4?: string; v6?: string };
  masquerade: boolean;
  internal: boolean;
  icc: boolean;
  /** `gatewayMode: routed`: no masquerade, published ports reached at the container address too. */
  routed?: boolean;
  /** An overlay's cluster range (IPv4): no NAT into it, and an internal overlay still reaches it. */
  cluster?: string;
}

export interface FirewallPort {
  network: string;
  bridge: string;
  containerAddress: string;
  containerPort: number;
  hostPort: number;
  protocol: 'tcp' | 'udp' | 'sctp';
  hostIp?: string;
}

export interface FirewallInput {
  networks: FirewallNetwork[];
  ports: FirewallPort[];
}
