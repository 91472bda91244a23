/** The explicit driver registry: no registration by import side effect (STYLE.md 3). */
import { NetdError } from '../errors.js';
import type { Driver } from './driver.js';
import { bridgeDriver } from './bridge.js';
import { hostDriver, nullDriver } from './simple.js';
import { markedDriver } from './marked.js';
import { overlayDriver } from './overlay/index.js';

export class DriverRegistry {
  private readonly drivers = new Map<string, Driver>();

  constructor(drivers: readonly Driver[]) {
    for (const d of drivers) this.drivers.set(d.name, d);
  }

  /** Why a driver name cannot be used, or undefined. */
  problem(name: string): string | undefined {
    return this.drivers.has(name) ? undefined : `unknown driver "${name}" (known: ${[...this.drivers.keys()].sort().join(', ')})`;
  }

  find(name: string): Driver | undefined {
    return this.drivers.get(name);
  }

  get(name: string): Driver {
    const d = this.drivers.get(name);
    if (!d) throw new NetdError('invalid', this.problem(name)!);
    return d;
  }
}

/**
 * The driver that removes a record's kernel objects: its own, or — for a record whose driver
 * this netd does not know (written by another version) — the one that finds them by mark.
 */
export function removalDriver(registry: DriverRegistry, name: string): Driver {
  return registry.find(name) ?? markedDriver;
}

/** Every driver of this build: bridge, host, null, and overlay (its lease is attached before it is asked: reconcile/cluster.ts). */
export const defaultDrivers = (): DriverRegistry => new DriverRegistry([bridgeDriver, hostDriver, nullDriver, overlayDriver]);
