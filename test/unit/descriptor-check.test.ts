import { describe, expect, it } from 'vitest';
import { descriptorWarning, openFilesSoftLimit } from '../../src/proxy/descriptor-check.js';

const proxy = (maxClients: number, httpConnectionsMax: number): Parameters<typeof descriptorWarning>[0] =>
  ({ proxy: { maxClients, httpConnectionsMax } }) as unknown as Parameters<typeof descriptorWarning>[0];

describe('descriptor check', () => {
  it('reads the soft limit from /proc/self/limits text', () => {
    const text = 'Limit                     Soft Limit           Hard Limit           Units\nMax open files            20000                20000                files\n';
    expect(openFilesSoftLimit(text)).toBe(20000);
    expect(openFilesSoftLimit('Max open files            unlimited            unlimited            files\n')).toBe(Number.POSITIVE_INFINITY);
    expect(openFilesSoftLimit('nothing here')).toBeUndefined();
  });

  it('warns only when both client limits cannot be open at once, naming the keys', () => {
    expect(descriptorWarning(proxy(10_000, 10_000), 1024)).toMatch(/open-file limit 1024 is below proxy.maxClients \+ proxy.httpConnectionsMax \+ 256 = 20256/);
    expect(descriptorWarning(proxy(10_000, 10_000), 65_536)).toBeUndefined();
    expect(descriptorWarning(proxy(1000, 1000), 20_000)).toBeUndefined();
    expect(descriptorWarning(proxy(10_000, 10_000), undefined)).toBeUndefined();
    // The defaults fit under this machine's 20,000.
    expect(descriptorWarning(proxy(10_000, 8192), 20_000)).toBeUndefined();
  });
});
