// The benchmarks make the same throwaway CA (`ringcache bench security`), so it lives in load/.
export { throwawayCa, type ThrowawayCa } from '../../load/throwaway-ca.js';
