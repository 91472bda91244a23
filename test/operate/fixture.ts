/** The desired state the operate tests look at: two networks (one dual stack), two containers. */
export const TWO_NETS = `version: 1
networks:
  front: { subnet: 10.88.0.0/24, labels: { tier: front } }
  back: { subnet: 10.89.0.0/24, ipv6: { subnet: "fd00:89::/64" }, bridge: br-back, mtu: 1400 }
containers:
  web: { hostname: www, dns: { nameservers: [10.88.0.1], search: [corp.example] } }
  api: {}
attachments:
  - { container: web, network: front, ipv4: 10.88.0.10, ports: [{ hostPort: 18080, containerPort: 80 }] }
  - { container: api, network: front, ipv4: 10.88.0.11 }
  - { container: api, network: back, aliases: [api-internal], gatewayPriority: 5 }
`;
