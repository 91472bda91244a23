/** Invalid inputs for the name, address and identity rules (issue 10); merged into CASES. */
import type { InvalidCase } from './invalid-cases.js';

export const RULE_CASES: InvalidCase[] = [];
