// Types for zipfian-integer (a CommonJS module without its own): a port of Apache Commons Math's
// ZipfRejectionInversionSampler. `skew` 0 is uniform; negative skews favour `max` instead of `min`.
declare module 'zipfian-integer' {
  export default function zipfian(min: number, max: number, skew: number, rng?: () => number): () => number;
}
