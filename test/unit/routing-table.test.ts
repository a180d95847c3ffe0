import { describe, it, expect } from 'vitest';
import { ALL_UP, RoutingTable, placementOf, vnodeOf } from '../../src/ring/index.js';
import type { Liveness, ServerInfo, Table, TableRow } from '../../src/ring/index.js';

function server(id: string, zone: string): ServerInfo {
  return { id, zone, capacity: 1, host: '127.0.0.1', port: 7100, httpPort: 7200, state: 'active' };
}

const servers = [server('n1', 'a'), server('n2', 'b'), server('n3', 'c'), server('n4', 'a'), server('n5', 'b'), server('n6', 'c'), server('n7', 'a')];

//   v   replicas         pending
//   0   n1 n2 n3
//   1   n2 n4 n1
//   2   n5 n3 n6         n5 -> n7
//   3   n4 n2 n1
//   4   n6 n5 n4
//   5   n1 n2 n3         n1 -> n6
//   6   n3 n1 n2
//   7   n7 n5 n3
const rows: TableRow[] = [
  { replicas: ['n1', 'n2', 'n3'] },
  { replicas: ['n2', 'n4', 'n1'] },
  { replicas: ['n5', 'n3', 'n6'], pending: { from: 'n5', to: 'n7' } },
  { replicas: ['n4', 'n2', 'n1'] },
  { replicas: ['n6', 'n5', 'n4'] },
  { replicas: ['n1', 'n2', 'n3'], pending: { from: 'n1', to: 'n6' } },
  { replicas: ['n3', 'n1', 'n2'] },
  { replicas: ['n7', 'n5', 'n3'] },
];
const table: Table = { epoch: 12, vnodeCount: 8, replicaCount: 3, servers, rows };

function downSet(...down: string[]): Liveness {
  return { isUp: (id) => !down.includes(id) };
}

describe('RoutingTable', () => {
  const routing = new RoutingTable(table);

  it('exposes the table, its epoch, V and N', () => {
    expect(routing.table).toBe(table);
    expect([routing.epoch, routing.vnodeCount, routing.replicaCount]).toEqual([12, 8, 3]);
  });

  it('maps keys with the table V and looks rows and servers up', () => {
    const key = new TextEncoder().encode('user:42');
    expect(routing.vnodeOf(key)).toBe(vnodeOf(key, 8));
    expect(routing.row(4).replicas).toEqual(['n6', 'n5', 'n4']);
    expect(routing.server('n5')?.zone).toBe('b');
    expect(routing.server('n9')).toBeUndefined();
    expect(() => routing.row(8)).toThrow(/out of range/);
  });

  it('rejects a malformed table on construction (checked on read)', () => {
    const bad = { ...table, rows: rows.slice(0, 7) };
    expect(() => new RoutingTable(bad)).toThrow(expect.objectContaining({ code: 'RC_ERR_PLACEMENT' }));
  });

  describe('fallbacks', () => {
    it('continues the ring walk past the row, skipping its replicas, in order of first appearance', () => {
      // rows 1.. give n4 (v1), n5 n6 (v2), then n7 (v7)
      expect(routing.fallbacks(0)).toEqual(['n4', 'n5', 'n6', 'n7']);
    });

    it('wraps around past the last vnode', () => {
      // v7 holds n7 n5 n3; rows 0, 1 give n1 n2 n4; v4 gives n6
      expect(routing.fallbacks(7)).toEqual(['n1', 'n2', 'n4', 'n6']);
    });

    it("skips the row's pending target, which already receives the writes", () => {
      // v5 holds n1 n2 n3 and is moving n1 -> n6: v6 adds nothing, v7 gives n7 n5, v1 n4
      expect(routing.fallbacks(5)).toEqual(['n7', 'n5', 'n4']);
      // v2 holds n5 n3 n6, pending n7: v3 gives n4 n2 n1
      expect(routing.fallbacks(2)).toEqual(['n4', 'n2', 'n1']);
    });

    it('is memoized per vnode', () => {
      expect(routing.fallbacks(3)).toBe(routing.fallbacks(3));
      expect(Object.isFrozen(routing.fallbacks(3))).toBe(true);
    });

    it('is empty when every server of the table is in the row', () => {
      const small: Table = {
        epoch: 1,
        vnodeCount: 2,
        replicaCount: 2,
        servers: servers.slice(0, 2),
        rows: [{ replicas: ['n1', 'n2'] }, { replicas: ['n2', 'n1'] }],
      };
      expect(new RoutingTable(small).fallbacks(0)).toEqual([]);
    });
  });
});

describe('placementOf', () => {
  const routing = new RoutingTable(table);

  it('with everyone up, the first replica coordinates', () => {
    expect(placementOf(routing, 0, ALL_UP)).toEqual({
      vnode: 0,
      replicas: ['n1', 'n2', 'n3'],
      live: ['n1', 'n2', 'n3'],
      down: [],
      pendingTarget: undefined,
      coordinator: 'n1',
      fallbacks: ['n4', 'n5', 'n6', 'n7'],
    });
  });

  it('builds nothing when everyone is up: the row and the memoized fallbacks themselves', () => {
    const placement = placementOf(routing, 4, ALL_UP);
    expect(placement.live).toBe(routing.row(4).replicas);
    expect(placement.replicas).toBe(routing.row(4).replicas);
    expect(placement.fallbacks).toBe(routing.fallbacks(4));
    expect(placementOf(routing, 4, ALL_UP).fallbacks).toBe(placement.fallbacks);
  });

  it('returns the fallbacks whatever the liveness view: rounds pick the ones they believe up', () => {
    // v3 holds n4 n2 n1: the walk gives n6 n5 (v4), n3 (v5), n7 (v7)
    expect(placementOf(routing, 3, downSet('n4', 'n6')).fallbacks).toEqual(['n6', 'n5', 'n3', 'n7']);
    expect(placementOf(routing, 3, ALL_UP).fallbacks).toEqual(['n6', 'n5', 'n3', 'n7']);
  });

  it('splits replicas by the liveness view, keeping row order; the first live one coordinates', () => {
    const placement = placementOf(routing, 3, downSet('n4'));
    expect(placement.live).toEqual(['n2', 'n1']);
    expect(placement.down).toEqual(['n4']);
    expect(placement.coordinator).toBe('n2');
  });

  it('has no coordinator when every replica is down', () => {
    const placement = placementOf(routing, 6, downSet('n1', 'n2', 'n3'));
    expect(placement.live).toEqual([]);
    expect(placement.coordinator).toBeUndefined();
  });

  it('reports the pending target, which never counts as a live replica', () => {
    const placement = placementOf(routing, 5, downSet('n1'));
    expect(placement.pendingTarget).toBe('n6');
    expect(placement.replicas).toEqual(['n1', 'n2', 'n3']);
    expect(placement.live).toEqual(['n2', 'n3']);
    expect(placement.coordinator).toBe('n2');
    // The moving target is no fallback: it receives the writes already.
    expect(placement.fallbacks).not.toContain('n6');
  });
});
