import fc from 'fast-check';

/** Set, insert or delete a byte, or cut the input: what a corrupting link does to a frame. */
export const byteMutation = fc.record({ at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }), kind: fc.constantFrom('set', 'insert', 'delete', 'cut') });

export type ByteMutation = { at: number; byte: number; kind: 'set' | 'insert' | 'delete' | 'cut' };

/** Applies mutations in order to a copy of `bytes`. */
export function mutate(bytes: Uint8Array, mutations: readonly ByteMutation[]): Uint8Array {
  const input = [...bytes];
  for (const { at, byte, kind } of mutations) {
    const index = at % (input.length + 1);
    if (kind === 'set') input[index] = byte;
    else if (kind === 'insert') input.splice(index, 0, byte);
    else if (kind === 'delete') input.splice(index, 1);
    else input.length = index;
  }
  return Uint8Array.from(input);
}
