import { MemoryStore } from '../../src/store/memory.js';
import { storeConformance } from './conformance.js';

// Every store shares the fake clock; the tests run one after another.
let now = 1_000_000;
storeConformance('memory', () => Promise.resolve(new MemoryStore({ now: () => now })), {
  advance: (ms) => {
    now += ms;
    return Promise.resolve();
  },
});
