/** Invalid inputs for YAML features, empty and partially invalid documents (issue 10); merged into CASES. */
import type { InvalidCase } from './invalid-cases.js';

export const INPUT_CASES: InvalidCase[] = [];
