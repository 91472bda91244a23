/** The kernel layer: everything netd does to a host goes through here. */
export * from './exec.js';
export * from './names.js';
export * from './netns.js';
export * from './ops.js';
export * from './batch.js';
export * from './sysctl.js';
export * from './observe-ip.js';
export * from './nft.js';
export * from './uplink.js';
export * from './observe.js';
