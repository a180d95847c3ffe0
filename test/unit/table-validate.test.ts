import { describe, it, expect } from 'vitest';
import { validateQuorum, validateTable } from '../../src/ring/index.js';
import type { ServerInfo, Table, TableRow } from '../../src/ring/index.js';
import { expectError } from '../support/expect-error.js';

function server(id: string, zone: string): ServerInfo {
  return { id, zone, capacity: 1, host: '127.0.0.1', port: 7100, httpPort: 7200, state: 'active' };
}

const servers = [server('n1', 'a'), server('n2', 'b'), server('n3', 'c'), server('n4', 'a')];
const rows: TableRow[] = [
  { replicas: ['n1', 'n2', 'n3'] },
  { replicas: ['n2', 'n3', 'n4'] },
  { replicas: ['n3', 'n4', 'n1'], pending: { from: 'n1', to: 'n2' } },
  { replicas: ['n4', 'n1', 'n2'] },
];
const good: Table = { epoch: 3, vnodeCount: 4, replicaCount: 3, servers, rows };

function withRow(vnode: number, row: TableRow): Table {
  return { ...good, rows: good.rows.map((current, index) => (index === vnode ? row : current)) };
}


function expectPlacementError(table: Table, message: RegExp): void {
  expectError(() => { validateTable(table); }, 'RC_ERR_PLACEMENT', message);
}

describe('validateTable', () => {
  it('accepts a well-formed table, pending moves included', () => {
    expect(() => { validateTable(good); }).not.toThrow();
  });

  it.each([
    ['a negative epoch', { ...good, epoch: -1 }, /epoch=-1 is not a non-negative integer/],
    ['a fractional epoch', { ...good, epoch: 1.5 }, /epoch=1.5/],
    ['V not a power of two', { ...good, vnodeCount: 3, rows: rows.slice(0, 3) }, /V=3 is not a power of two/],
    ['V of zero', { ...good, vnodeCount: 0, rows: [] }, /V=0/],
    ['N of zero', { ...good, replicaCount: 0 }, /N=0 is not a positive integer/],
    ['N above the number of servers', { ...good, replicaCount: 5 }, /N=5 is above the number of servers \(4\)/],
    ['a server id used twice', { ...good, servers: [...servers, server('n2', 'c')] }, /server id n2 appears twice/],
    ['fewer rows than V', { ...good, rows: rows.slice(0, 3) }, /3 rows for V=4/],
    ['more rows than V', { ...good, rows: [...rows, ...rows] }, /8 rows for V=4/],
  ] as const)('rejects %s', (_name, table, message) => {
    expectPlacementError(table, message);
  });

  it('rejects a row with fewer or more than N servers, naming the row', () => {
    expectPlacementError(withRow(1, { replicas: ['n2', 'n3'] }), /row 1 has 2 replicas, expected N=3/);
    expectPlacementError(withRow(3, { replicas: ['n4', 'n1', 'n2', 'n3'] }), /row 3 has 4 replicas, expected N=3/);
  });

  it('rejects a server twice in a row', () => {
    expectPlacementError(withRow(0, { replicas: ['n1', 'n2', 'n1'] }), /row 0 lists server n1 twice/);
  });

  it('rejects an unknown server in a row', () => {
    expectPlacementError(withRow(2, { replicas: ['n3', 'n9', 'n1'] }), /row 2 names unknown server n9/);
  });

  it('rejects a pending move from a server outside the row', () => {
    expectPlacementError(withRow(0, { replicas: ['n1', 'n2', 'n3'], pending: { from: 'n4', to: 'n4' } }), /row 0 has a pending move from n4, which is not a replica/);
  });

  it('rejects a pending move to a server already in the row or unknown', () => {
    expectPlacementError(withRow(0, { replicas: ['n1', 'n2', 'n3'], pending: { from: 'n1', to: 'n3' } }), /row 0 has a pending move to n3, which is already a replica/);
    expectPlacementError(withRow(0, { replicas: ['n1', 'n2', 'n3'], pending: { from: 'n1', to: 'n8' } }), /row 0 has a pending move to unknown server n8/);
  });

  it('carries the epoch and vnode in the details', () => {
    try {
      validateTable(withRow(2, { replicas: ['n3', 'n3', 'n1'] }));
      expect.unreachable();
    } catch (error) {
      expect(error).toMatchObject({ code: 'RC_ERR_PLACEMENT', details: { epoch: 3, vnode: 2 } });
    }
  });
});

describe('validateQuorum', () => {
  function expectQuorumError(run: () => void, message: string): void {
    expectError(run, 'RC_ERR_BAD_QUORUM', message);
  }

  it('accepts 1 <= r, w <= N, including R + W <= N (weaker, like Cassandra ONE/ONE)', () => {
    expect(() => { validateQuorum(3, 2, 2); }).not.toThrow();
    expect(() => { validateQuorum(3, 1, 1, 3); }).not.toThrow();
    expect(() => { validateQuorum(1, 1, 1, 1); }).not.toThrow();
    expect(() => { validateQuorum(5, 5, 1, 9); }).not.toThrow();
  });

  it('names the value, the limit and the setting', () => {
    expectQuorumError(() => { validateQuorum(3, 4, 2); }, 'r=4 is above N=3; see replication.r');
    expectQuorumError(() => { validateQuorum(3, 2, 4); }, 'w=4 is above N=3; see replication.w');
    expectQuorumError(() => { validateQuorum(3, 0, 2); }, 'r=0 is below 1; see replication.r');
    expectQuorumError(() => { validateQuorum(3, 2, 0); }, 'w=0 is below 1; see replication.w');
    expectQuorumError(() => { validateQuorum(3, 1.5, 2); }, 'r=1.5 is not an integer; see replication.r');
    expectQuorumError(() => { validateQuorum(0, 1, 1); }, 'N=0 is below 1; see cluster.replicaCount');
    expectQuorumError(() => { validateQuorum(4, 2, 2, 3); }, 'N=4 is above the number of servers (3); see cluster.replicaCount');
  });
});
