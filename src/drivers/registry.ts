/** The explicit driver registry: no registration by import side effect (STYLE.md 3). */
import { NetdError } from '../errors.js';
import type { Driver } from './driver.js';
import { bridgeDriver } from './bridge.js';
import { hostDriver, nullDriver } from './simple.js';

export class DriverRegistry {
  private readonly drivers = new Map<string, Driver>();

  constructor(drivers: readonly Driver[]) {
    for (const d of drivers) this.drivers.set(d.name, d);
  }

  /** Why a driver name cannot be used, or undefined. */
  problem(name: string): string | undefined {
    return this.drivers.has(name) ? undefined : `unknown driver "${name}" (known: ${[...this.drivers.keys()].sort().join(', ')})`;
  }

  get(name: string): Driver {
    const d = this.drivers.get(name);
    if (!d) throw new NetdError('invalid', this.problem(name)!);
    return d;
  }
}

/** The drivers of a single host: bridge, host and null. */
export const defaultDrivers = (): DriverRegistry => new DriverRegistry([bridgeDriver, hostDriver, nullDriver]);
