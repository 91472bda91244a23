/** The cluster layer: an overlay network's shared state in the cluster store (DESIGN.md §9). */
export * from './config.js';
export * from './host-id.js';
export * from './keys.js';
export * from './lease.js';
export * from './manager.js';
export * from './subnets.js';
export * from './uplink.js';
