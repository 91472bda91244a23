/**
 * host: the container shares the host's namespace, so there is nothing to build.
 * null: the container gets only its loopback (brought up with the sandbox).
 * Both keep records (so endpoints are listed and pruned like any other) but no kernel objects.
 */
import type { Driver } from './driver.js';

const nothing = (): void => {};

export const hostDriver: Driver = {
  name: 'host',
  ensureNetwork: nothing,
  removeNetwork: nothing,
  ensureEndpoint: nothing,
  removeEndpoint: nothing,
};

export const nullDriver: Driver = { ...hostDriver, name: 'null' };
