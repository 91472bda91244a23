/** The spec layer's public face: loading, validating and normalizing desired state. */
export { loadDesiredState, type LoadStateResult } from './validate.js';
export { formatSpecError, sortSpecErrors, type SpecError } from './spec-error.js';
export { MAX_ALIAS_COUNT, MAX_FILE_BYTES, type LoadOptions } from './load.js';
export { DEFAULTS } from './normalize.js';
export * as cidr from './cidr.js';
