import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { movedReplicas, placeTable, replicaCounts, targetCounts } from '../../shard-master/placement.js';
import { balanceLeaders } from '../../shard-master/leaders.js';
import { validateTable } from '../../src/ring/index.js';
import type { ServerInfo, Table } from '../../src/ring/index.js';
import { expectError } from '../support/expect-error.js';


// Small run counts keep the file under a few seconds; failures print a seed to replay.
const RUNS = 25;

function server(index: number, zone: number, capacity: number): ServerInfo {
  return { id: `n${index}`, zone: `z${zone}`, capacity, host: '127.0.0.1', port: 7100 + index, httpPort: 7200 + index, state: 'active' };
}

interface Cluster {
  readonly servers: ServerInfo[];
  readonly vnodeCount: number;
  readonly replicaCount: number;
}

/** S in 3..24, 1..5 zones, capacities 1..4, V in {64, 256, 1024}, N in 1..min(5, S). */
const clusterArb: fc.Arbitrary<Cluster> = fc
  .record({
    serverCount: fc.integer({ min: 3, max: 24 }),
    zoneCount: fc.integer({ min: 1, max: 5 }),
    vnodeCount: fc.constantFrom(64, 256, 1024),
  })
  .chain(({ serverCount, zoneCount, vnodeCount }) =>
    fc.record({
      servers: fc
        .array(fc.tuple(fc.integer({ min: 0, max: zoneCount - 1 }), fc.integer({ min: 1, max: 4 })), {
          minLength: serverCount,
          maxLength: serverCount,
        })
        .map((specs) => specs.map(([zone, capacity], index) => server(index, zone, capacity))),
      vnodeCount: fc.constant(vnodeCount),
      replicaCount: fc.integer({ min: 1, max: Math.min(5, serverCount) }),
    }),
  );

/** Equal capacities, the same number of servers in every zone. */
const balancedArb: fc.Arbitrary<Cluster> = fc
  .record({
    zoneCount: fc.integer({ min: 1, max: 5 }),
    perZone: fc.integer({ min: 1, max: 6 }),
    capacity: fc.integer({ min: 1, max: 4 }),
    vnodeCount: fc.constantFrom(64, 256, 1024),
  })
  .filter(({ zoneCount, perZone }) => zoneCount * perZone >= 3 && zoneCount * perZone <= 24)
  .chain(({ zoneCount, perZone, capacity, vnodeCount }) => {
    const count = zoneCount * perZone;
    return fc.record({
      servers: fc.constant(Array.from({ length: count }, (_, index) => server(index, index % zoneCount, capacity))),
      vnodeCount: fc.constant(vnodeCount),
      replicaCount: fc.integer({ min: 1, max: Math.min(5, count) }),
    });
  });

function place(cluster: Cluster, previous?: Table): Table {
  const { servers, vnodeCount, replicaCount } = cluster;
  const epoch = previous === undefined ? 1 : previous.epoch + 1;
  return placeTable(previous === undefined ? { servers, vnodeCount, replicaCount, epoch } : { servers, vnodeCount, replicaCount, epoch, previous });
}

/** Every invariant of a placed table: valid, N distinct, min(N, Z) zones a row, counts on target. */
function expectPlaced(table: Table, cluster: Cluster): void {
  validateTable(table);
  const active = cluster.servers.filter((info) => info.state === 'active');
  const zoneById = new Map(active.map((info) => [info.id, info.zone]));
  const span = Math.min(cluster.replicaCount, new Set(zoneById.values()).size);
  for (const row of table.rows) {
    expect(new Set(row.replicas).size).toBe(cluster.replicaCount);
    expect(new Set(row.replicas.map((id) => zoneById.get(id))).size).toBe(span);
  }
  const targets = targetCounts(cluster.servers, cluster.vnodeCount, cluster.replicaCount);
  const counts = replicaCounts(table);
  for (const info of cluster.servers) {
    const target = targets.get(info.id) ?? 0;
    if (info.state === 'draining') expect(counts.get(info.id)).toBe(0);
    expect(Math.abs((counts.get(info.id) ?? 0) - target)).toBeLessThanOrEqual(1);
  }
  // The first replica coordinates writes: each server leads its replicas' share of rows.
  const leads = new Map<string, number>();
  for (const row of table.rows) leads.set(row.replicas[0] ?? '', (leads.get(row.replicas[0] ?? '') ?? 0) + 1);
  for (const [id, held] of counts) {
    const led = leads.get(id) ?? 0;
    expect(led).toBeGreaterThanOrEqual(Math.floor(held / cluster.replicaCount));
    expect(led).toBeLessThanOrEqual(Math.ceil(held / cluster.replicaCount));
  }
}

describe('placeTable (property)', () => {
  it('places N distinct servers spanning min(N, Z) zones a row, each server within +-1 of target', () => {
    fc.assert(
      fc.property(clusterArb, (cluster) => {
        expectPlaced(place(cluster), cluster);
      }),
      { numRuns: RUNS },
    );
  });

  it('targets the weighted share within +-1 when zones are balanced and capacities equal', () => {
    fc.assert(
      fc.property(balancedArb, (cluster) => {
        const share = (cluster.vnodeCount * cluster.replicaCount) / cluster.servers.length;
        const targets = targetCounts(cluster.servers, cluster.vnodeCount, cluster.replicaCount);
        for (const target of targets.values()) expect(Math.abs(target - share)).toBeLessThan(1);
        expectPlaced(place(cluster), cluster);
      }),
      { numRuns: RUNS },
    );
  });

  it('is deterministic and ignores the input order of servers', () => {
    const arb = clusterArb.chain((cluster) =>
      fc.record({
        cluster: fc.constant(cluster),
        shuffled: fc.shuffledSubarray(cluster.servers, { minLength: cluster.servers.length, maxLength: cluster.servers.length }),
      }),
    );
    fc.assert(
      fc.property(arb, ({ cluster, shuffled }) => {
        const table = place(cluster);
        expect(place(cluster)).toEqual(table);
        expect(place({ ...cluster, servers: shuffled })).toEqual(table);
      }),
      { numRuns: 10 },
    );
  });

  it('moves at most 1.05 x V*N/(S+1) replicas when a server joins a balanced cluster', () => {
    // Equal capacities, equal zones, the newcomer joins an existing zone: the zone rules never
    // force more than the newcomer's own share to move.
    const arb = balancedArb.map((cluster) => ({ ...cluster, vnodeCount: 1024 }));
    fc.assert(
      fc.property(arb, (cluster) => {
        const before = place(cluster);
        const newcomer = server(cluster.servers.length, 0, cluster.servers[0]?.capacity ?? 1);
        const joined = { ...cluster, servers: [...cluster.servers, newcomer] };
        const after = place(joined, before);
        expectPlaced(after, joined);
        const ideal = (cluster.vnodeCount * cluster.replicaCount) / joined.servers.length;
        expect(movedReplicas(before, after)).toBeLessThanOrEqual(1.05 * ideal);
      }),
      { numRuns: RUNS },
    );
  });

  it('moves about the new server target when any server joins any cluster', () => {
    // 1.05 x target + 1 holds for ~99.7% of random clusters (1,500 sampled; median 0.98, p99
    // 1.014). The rest are clusters where the zone rules force extra swaps: e.g. the newcomer's
    // zone reaches "one replica in every row", so every row lacking that zone must drop a member
    // of another zone, and which members those rows hold was fixed by the previous table, not by
    // the per-server targets. Worst seen 1.09 x target; the bound below leaves room for that.
    const arb = clusterArb.chain((cluster) =>
      fc.record({
        cluster: fc.constant(cluster),
        zone: fc.integer({ min: 0, max: 5 }),
        capacity: fc.integer({ min: 1, max: 4 }),
      }),
    );
    fc.assert(
      fc.property(arb, ({ cluster, zone, capacity }) => {
        const before = place(cluster);
        const newcomer = server(cluster.servers.length, zone, capacity);
        const joined = { ...cluster, servers: [...cluster.servers, newcomer] };
        const after = place(joined, before);
        expectPlaced(after, joined);
        const target = targetCounts(joined.servers, joined.vnodeCount, joined.replicaCount).get(newcomer.id) ?? 0;
        expect(movedReplicas(before, after)).toBeLessThanOrEqual(1.15 * target + 2);
      }),
      { numRuns: RUNS },
    );
  });

  it('drains a server to 0 replicas, moving about what it held', () => {
    // Balanced clusters where every row spans N distinct zones (or there is one zone): the holes
    // can take the whole shift, so moves stay at what the drained server held (worst seen 1.06 x,
    // from the spread of row types among its rows). Elsewhere the zone rules can force swaps:
    // with Z < N, rows holding a zone twice must become rarer than the drained server's share of
    // them; worst seen 1.57 x over 1,500 random clusters.
    const arb = fc.oneof(balancedArb, clusterArb)
      .filter((cluster) => cluster.servers.length > cluster.replicaCount)
      .chain((cluster) => fc.record({ cluster: fc.constant(cluster), drained: fc.nat({ max: cluster.servers.length - 1 }) }));
    fc.assert(
      fc.property(arb, ({ cluster, drained }) => {
        const before = place(cluster);
        const drainedId = cluster.servers[drained]?.id ?? '';
        const servers = cluster.servers.map((info) => (info.id === drainedId ? { ...info, state: 'draining' as const } : info));
        const draining = { ...cluster, servers };
        const after = place(draining, before);
        expectPlaced(after, draining);
        expect(replicaCounts(after).get(drainedId)).toBe(0);
        const held = replicaCounts(before).get(drainedId) ?? 0;
        const moved = movedReplicas(before, after);
        expect(moved).toBeGreaterThanOrEqual(held);
        const zoneCount = new Set(servers.filter((info) => info.state === 'active').map((info) => info.zone)).size;
        const tight = isBalanced(cluster) && (zoneCount >= cluster.replicaCount || zoneCount === 1);
        expect(moved).toBeLessThanOrEqual(tight ? 1.1 * held + 2 : 2 * held + 2);
      }),
      { numRuns: RUNS },
    );
  });
});

/** Equal capacities and the same number of servers in every zone. */
function isBalanced(cluster: Cluster): boolean {
  const perZone = new Map<string, number>();
  for (const info of cluster.servers) perZone.set(info.zone, (perZone.get(info.zone) ?? 0) + 1);
  const capacities = new Set(cluster.servers.map((info) => info.capacity));
  return capacities.size === 1 && new Set(perZone.values()).size === 1;
}

describe('placeTable (examples)', () => {
  const five = [0, 1, 2, 3, 4].map((index) => server(index, [0, 0, 1, 1, 2][index] ?? 0, 1));

  it('gives a lone zone one replica in every row', () => {
    const targets = targetCounts(five, 1024, 3);
    expect([...targets.values()]).toEqual([512, 512, 512, 512, 1024]);
    const withCapacity = five.map((info, index) => ({ ...info, capacity: index === 4 ? 2 : 1 }));
    expect([...targetCounts(withCapacity, 1024, 3).values()]).toEqual([512, 512, 512, 512, 1024]);
    const table = placeTable({ servers: five, vnodeCount: 1024, replicaCount: 3, epoch: 7 });
    expect(table.epoch).toBe(7);
    expect(replicaCounts(table).get('n4')).toBe(1024);
    expectPlaced(table, { servers: five, vnodeCount: 1024, replicaCount: 3 });
  });

  it('sums targets to V*N with draining servers at 0', () => {
    const servers = five.map((info, index) => (index === 0 ? { ...info, state: 'draining' as const } : info));
    const targets = targetCounts(servers, 256, 2);
    expect(targets.get('n0')).toBe(0);
    expect([...targets.values()].reduce((sum, value) => sum + value, 0)).toBe(512);
  });

  it('throws RC_ERR_PLACEMENT for an empty list, a repeated id, too few active servers', () => {
    const base = { vnodeCount: 64, replicaCount: 3, epoch: 1 };
    expectError(() => placeTable({ ...base, servers: [] }), 'RC_ERR_PLACEMENT', /no servers/);
    const repeated = [...five, { ...five[1]!, zone: 'z9' }];
    expectError(() => placeTable({ ...base, servers: repeated }), 'RC_ERR_PLACEMENT', /n1 is used twice/);
    const draining = five.map((info, index) => (index < 3 ? { ...info, state: 'draining' as const } : info));
    expectError(() => placeTable({ ...base, servers: draining }), 'RC_ERR_PLACEMENT', /2 active servers cannot hold N=3/);
    const previous = placeTable({ ...base, servers: five });
    expectError(() => placeTable({ ...base, vnodeCount: 128, servers: five, previous }), 'RC_ERR_PLACEMENT', /V is fixed/);
    expectError(() => placeTable({ ...base, vnodeCount: 100, servers: five }), 'RC_ERR_CONFIG', /cluster.vnodeCount/);
    const weightless = five.map((info, index) => (index === 2 ? { ...info, capacity: 0 } : info));
    expectError(() => placeTable({ ...base, servers: weightless }), 'RC_ERR_PLACEMENT', /n2 has capacity 0/);
  });

  it('keeps every replica when nothing changed, and counts moves between tables', () => {
    const table = placeTable({ servers: five, vnodeCount: 256, replicaCount: 3, epoch: 1 });
    const again = placeTable({ servers: five, vnodeCount: 256, replicaCount: 3, epoch: 2, previous: table });
    expect(again.rows).toEqual(table.rows);
    expect(movedReplicas(table, again)).toBe(0);
    const swapped = { ...table, rows: table.rows.map((row, vnode) => (vnode === 0 ? { replicas: [...row.replicas].reverse() } : row)) };
    expect(movedReplicas(table, swapped)).toBe(0);
  });

  it('balances leaders by reordering rows only: the servers of each row and its pending move stay', () => {
    const pending = { from: 'n2', to: 'n4' };
    const rows = [
      { replicas: ['n1', 'n2'], pending }, { replicas: ['n1', 'n2'] }, { replicas: ['n1', 'n3'] }, { replicas: ['n1', 'n3'] },
    ];
    const balanced = balanceLeaders(rows, 2);
    const leads = (id: string): number => balanced.filter((row) => row.replicas[0] === id).length;
    expect([leads('n1'), leads('n2'), leads('n3')]).toEqual([2, 1, 1]);
    balanced.forEach((row, vnode) => { expect([...row.replicas].sort()).toEqual([...(rows[vnode]?.replicas ?? [])].sort()); });
    expect(balanced[0]?.pending).toEqual(pending);
    expect(balanceLeaders(balanced, 2)).toEqual(balanced);
    expect(balanceLeaders(rows.slice(1, 2), 1)).toEqual(rows.slice(1, 2));
  });

  it('places V=1024, N=3 on 64 servers in well under a second', () => {
    const servers = Array.from({ length: 64 }, (_, index) => server(index, index % 3, 1 + (index % 4)));
    const cluster = { servers, vnodeCount: 1024, replicaCount: 3 };
    const table = place(cluster);
    expectPlaced(table, cluster);
    const joined = { ...cluster, servers: [...servers, server(64, 1, 2)] };
    expectPlaced(place(joined, table), joined);
  });
});
