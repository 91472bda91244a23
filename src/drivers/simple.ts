/**
 * host: the container shares the host's namespace, so there is nothing to build.
 * null: the container gets only its loopback (brought up with the sandbox).
 * Both keep records (so endpoints are listed and pruned like any other) but no kernel objects.
 */
import type { Driver } from './driver.js';

export const hostDriver: Driver = {
  name: 'host',
  scope: 'local',
  network: () => [],
  removeNetwork: () => [],
  endpoint: () => [],
  removeEndpoint: () => [],
};

export const nullDriver: Driver = { ...hostDriver, name: 'null' };
