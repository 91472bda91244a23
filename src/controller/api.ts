/**
 * libnetwork-style handles over the controller's operations, for callers that think in
 * objects: `(await api.newNetwork(d)).createEndpoint(a, sb)`, `ep.join(sb)`, `net.delete()`.
 * Each call commits on its own unless a transaction is open (`controller.begin()`).
 */
import type { DesiredAttachment, DesiredContainer, DesiredNetwork } from '../desired/types.js';
import type { EndpointRecord, NetworkRecord, SandboxRecord } from '../state/records.js';
import type { Controller } from './controller.js';
import { createEndpoint, deleteEndpoint, join, leave } from './endpoints.js';
import { PREDEFINED, deleteNetwork, newNetwork } from './networks.js';
import { deleteSandbox, newSandbox } from './sandboxes.js';

export class Sandbox {
  constructor(
    private readonly c: Controller,
    readonly record: SandboxRecord,
  ) {}
  /** Leaves and deletes its endpoints, then removes the namespace if netd created it. */
  delete(): Promise<void> {
    return deleteSandbox(this.c, this.record);
  }
}

export class Endpoint {
  constructor(
    private readonly c: Controller,
    readonly record: EndpointRecord,
  ) {}
  join(sb: Sandbox): Promise<void> {
    return join(this.c, this.record, sb.record);
  }
  async leave(): Promise<void> {
    const { tx, auto } = this.c.current();
    await leave(this.c, this.record, tx);
    await this.c.autoCommit(auto);
  }
  delete(): Promise<void> {
    return deleteEndpoint(this.c, this.record);
  }
}

export class Network {
  constructor(
    private readonly c: Controller,
    readonly record: NetworkRecord,
  ) {}
  /** Refused while endpoints remain (naming them), unless forced; predefined networks never. */
  delete(opts: { force?: boolean } = {}): Promise<void> {
    return deleteNetwork(this.c, this.record, opts);
  }
  /** Allocates the addresses and records the endpoint; `join` builds it into the sandbox. */
  async createEndpoint(a: DesiredAttachment, sb: Sandbox): Promise<Endpoint> {
    return new Endpoint(this.c, await createEndpoint(this.c, this.record, a, sb.record));
  }
}

export class NetworkController {
  constructor(readonly controller: Controller) {}
  async newNetwork(d: DesiredNetwork): Promise<Network> {
    return new Network(this.controller, await newNetwork(this.controller, d));
  }
  async newSandbox(d: DesiredContainer, hostNetwork = false): Promise<Sandbox> {
    return new Sandbox(this.controller, await newSandbox(this.controller, d, hostNetwork));
  }
  /** By name or id; the predefined `host` and `none` included. */
  network(nameOrId: string): Network | undefined {
    const rec = this.controller.networks.get(nameOrId) ?? this.controller.findNetwork(nameOrId);
    return rec ? new Network(this.controller, rec) : undefined;
  }
  sandbox(container: string): Sandbox | undefined {
    const rec = this.controller.sandboxOf(container);
    return rec ? new Sandbox(this.controller, rec) : undefined;
  }
  endpoint(container: string, network: string): Endpoint | undefined {
    const rec = this.controller.endpointOf(container, network);
    return rec ? new Endpoint(this.controller, rec) : undefined;
  }
  /** Walks every network (predefined first) until fn returns true. */
  walkNetworks(fn: (n: Network) => boolean | void): void {
    for (const rec of [...PREDEFINED, ...this.controller.networks.values()]) if (fn(new Network(this.controller, rec)) === true) return;
  }
  walkSandboxes(fn: (s: Sandbox) => boolean | void): void {
    for (const rec of this.controller.sandboxes.values()) if (fn(new Sandbox(this.controller, rec)) === true) return;
  }
}
