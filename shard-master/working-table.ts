/**
 * The placement's mutable scratch table: rows of server indices with per-server counts, targets
 * and the rows each server holds, so the evening moves are O(N) each. Only active servers take
 * part; draining servers are simply never placed. Converted back to a plain `Table` at the end.
 *
 *   rows[v]   = [2, 0, 4]        server indices (sorted ids), -1 = a hole being filled
 *   counts[s] = replicas held     targets[s] = integer target (shares.ts)
 *   rowsOf[s] = {v, ...}          zoneOf[s]  = zone index
 */
import type { ServerId, ServerInfo, TableRow } from '../src/ring/index.js';
import { assert } from '../src/runtime/index.js';
import { compareIds, zonesOf } from './shares.js';

export const HOLE = -1;

export class WorkingTable {
  readonly vnodeCount: number;
  readonly replicaCount: number;
  /** Active servers sorted by id; a server's index is its position here. */
  readonly serverIds: readonly ServerId[];
  readonly zoneCount: number;
  /** Zones every full row spans: min(N, Z). */
  readonly span: number;
  private readonly zoneOf: readonly number[];
  private readonly targets: readonly number[];
  private readonly counts: number[];
  private readonly rows: number[][];
  private readonly rowsOf: Set<number>[];
  /** Zone-level bookkeeping for the urgency heuristics below. */
  private readonly zoneTargets: number[];
  private readonly zoneCounts: number[];
  private readonly rowZoneCounts: Int32Array;
  private readonly rowsWithZone: number[];
  private readonly rowsWithZoneTwice: number[];
  /** Each row's servers in the previous table (placement with `previous`), for move costs. */
  private readonly previousRows: (readonly number[])[];
  /** Per server: replicas it holds that the previous table did not (copies), and rows it left. */
  private readonly arrivals: number[];
  private readonly departures: number[];
  private readonly indexById: ReadonlyMap<ServerId, number>;

  constructor(servers: readonly ServerInfo[], vnodeCount: number, replicaCount: number, targets: ReadonlyMap<ServerId, number>) {
    const zones = zonesOf(servers);
    const active = zones.flat().sort((a, b) => compareIds(a.id, b.id));
    const zoneIndex = new Map(zones.map((members, index) => [members[0]?.zone ?? '', index]));
    this.vnodeCount = vnodeCount;
    this.replicaCount = replicaCount;
    this.serverIds = active.map((server) => server.id);
    this.zoneOf = active.map((server) => zoneIndex.get(server.zone) ?? 0);
    this.zoneCount = zones.length;
    this.span = Math.min(replicaCount, zones.length);
    this.targets = active.map((server) => targets.get(server.id) ?? 0);
    this.counts = active.map(() => 0);
    this.rows = Array.from({ length: vnodeCount }, () => new Array<number>(replicaCount).fill(HOLE));
    this.rowsOf = active.map(() => new Set<number>());
    this.indexById = new Map(this.serverIds.map((id, index) => [id, index]));
    this.zoneTargets = zones.map(() => 0);
    this.targets.forEach((target, server) => {
      const zone = this.zone(server);
      this.zoneTargets[zone] = (this.zoneTargets[zone] ?? 0) + target;
    });
    this.zoneCounts = zones.map(() => 0);
    this.rowZoneCounts = new Int32Array(vnodeCount * zones.length);
    this.rowsWithZone = zones.map(() => 0);
    this.rowsWithZoneTwice = zones.map(() => 0);
    this.previousRows = Array.from({ length: vnodeCount }, () => []);
    this.arrivals = active.map(() => 0);
    this.departures = active.map(() => 0);
  }

  /** Records which servers held a still-empty row before, so moves can be costed against it. */
  rememberPrevious(vnode: number, servers: readonly number[]): void {
    assert(this.row(vnode).every((server) => server === HOLE), `rememberPrevious: row ${vnode} is not empty`);
    this.previousRows[vnode] = servers;
    for (const server of servers) this.departures[server] = (this.departures[server] ?? 0) + 1;
  }

  /**
   * Whether some chain of moves into `receiver` could copy nothing: its last move must either
   * give the receiver back a row it left, or take the row from a server that only arrived there
   * during this placement (a copy already paid for).
   */
  mayMoveFree(receiver: number): boolean {
    const arrivalsTotal = this.arrivals.reduce((sum, count) => sum + count, 0);
    return (this.departures[receiver] ?? 0) > 0 || arrivalsTotal > (this.arrivals[receiver] ?? 0);
  }

  /**
   * Replicas copied by replacing `from` by `to` in a row, relative to the previous table: +1 when
   * `to` is new there, -1 when it restores `to`'s old replica in place of a new `from`, else 0.
   */
  moveCost(vnode: number, from: number, to: number): number {
    const previous = this.previousRows[vnode] ?? [];
    return (previous.includes(to) ? 0 : 1) - (previous.includes(from) ? 0 : 1);
  }

  get serverCount(): number {
    return this.serverIds.length;
  }

  indexOf(id: ServerId): number | undefined {
    return this.indexById.get(id);
  }

  /** The rows a server holds, in the order it received them. */
  rowsHeldBy(server: number): ReadonlySet<number> {
    const held = this.rowsOf[server];
    assert(held !== undefined, `working table: server ${server} out of range`);
    return held;
  }

  excess(server: number): number {
    return (this.counts[server] ?? 0) - (this.targets[server] ?? 0);
  }

  row(vnode: number): number[] {
    const row = this.rows[vnode];
    assert(row !== undefined, `working table: vnode ${vnode} out of range`);
    return row;
  }

  zone(server: number): number {
    return this.zoneOf[server] ?? HOLE;
  }

  /** Puts `server` (or HOLE) at one position of a row, keeping every count in step. */
  set(vnode: number, position: number, server: number): void {
    const row = this.row(vnode);
    const old = row[position];
    assert(old !== undefined, `working table: position ${position} out of range`);
    const previous = this.previousRows[vnode] ?? [];
    if (old !== HOLE) {
      const tally = previous.includes(old) ? this.departures : this.arrivals;
      tally[old] = (tally[old] ?? 0) + (tally === this.departures ? 1 : -1);
      this.counts[old] = (this.counts[old] ?? 0) - 1;
      this.rowsOf[old]?.delete(vnode);
      this.countZone(vnode, this.zone(old), -1);
    }
    if (server !== HOLE) {
      assert(!row.includes(server), `working table: server ${server} already in row ${vnode}`);
      const tally = previous.includes(server) ? this.departures : this.arrivals;
      tally[server] = (tally[server] ?? 0) + (tally === this.departures ? -1 : 1);
      this.counts[server] = (this.counts[server] ?? 0) + 1;
      this.rowsOf[server]?.add(vnode);
      this.countZone(vnode, this.zone(server), 1);
    }
    row[position] = server;
  }

  private countZone(vnode: number, zone: number, delta: 1 | -1): void {
    const cell = vnode * this.zoneCount + zone;
    const before = this.rowZoneCounts[cell] ?? 0;
    const after = before + delta;
    this.rowZoneCounts[cell] = after;
    this.zoneCounts[zone] = (this.zoneCounts[zone] ?? 0) + delta;
    if (Math.min(before, after) === 0) this.rowsWithZone[zone] = (this.rowsWithZone[zone] ?? 0) + delta;
    if (Math.min(before, after) === 1) this.rowsWithZoneTwice[zone] = (this.rowsWithZoneTwice[zone] ?? 0) + delta;
  }

  /** Replicas a zone holds above (> 0) or below (< 0) the sum of its servers' targets. */
  zoneExcess(zone: number): number {
    return (this.zoneCounts[zone] ?? 0) - (this.zoneTargets[zone] ?? 0);
  }

  /**
   * How tightly an over-target zone must shed replicas: its excess over the rows it can still
   * shed one from (0..1, 1 = every such row must shed). With Z >= N any row holding the zone can
   * (the replacement comes from a zone the row lacks); with Z < N only rows holding it twice can,
   * as every row keeps every zone. Serving the tightest zone first avoids spending a row another
   * zone needed, which would cost a second move later (Dynamo's concern: minimal movement).
   */
  giverUrgency(zone: number): number {
    const excess = this.zoneExcess(zone);
    if (excess <= 0) return 0;
    const rows = this.zoneCount >= this.replicaCount ? this.rowsWithZone[zone] : this.rowsWithZoneTwice[zone];
    return excess / Math.max(1, rows ?? 0);
  }

  /** The mirror image for an under-target zone: its deficit over the rows it can still join. */
  receiverUrgency(zone: number): number {
    const deficit = -this.zoneExcess(zone);
    if (deficit <= 0) return 0;
    const rows = this.zoneCount >= this.replicaCount ? this.vnodeCount - (this.rowsWithZone[zone] ?? 0) : this.vnodeCount;
    return deficit / Math.max(1, rows);
  }

  /** Distinct zones among the servers (holes excluded) of a row. */
  zoneSpan(vnode: number): number {
    const zones = new Set<number>();
    for (const server of this.row(vnode)) if (server !== HOLE) zones.add(this.zone(server));
    return zones.size;
  }

  /**
   * Whether replacing `from` by `to` keeps a valid full row valid: `to` is new to the row, and the
   * row still spans min(N, Z) zones. A valid row already spans the most zones it can, so the move
   * is invalid exactly when `from` is the only server of its zone in the row and `to`'s zone is
   * already present (the span would drop by one).
   */
  canReplace(vnode: number, from: number, to: number): boolean {
    const fromZone = this.zone(from);
    const toZone = this.zone(to);
    let fromZoneAlone = true;
    let toZonePresent = false;
    for (const server of this.row(vnode)) {
      if (server === to) return false;
      if (server === from) continue;
      const zone = this.zone(server);
      if (zone === fromZone) fromZoneAlone = false;
      if (zone === toZone) toZonePresent = true;
    }
    return fromZone === toZone || !(fromZoneAlone && toZonePresent);
  }

  replace(vnode: number, from: number, to: number): void {
    assert(this.canReplace(vnode, from, to), `working table: replacing ${from} by ${to} breaks row ${vnode}`);
    this.set(vnode, this.row(vnode).indexOf(from), to);
  }

  /** Asserts every row is full, distinct and spans min(N, Z) zones (the placement's invariant). */
  assertValid(): void {
    for (let vnode = 0; vnode < this.vnodeCount; vnode++) {
      const row = this.row(vnode);
      assert(!row.includes(HOLE), `placement left a hole in row ${vnode}`);
      assert(new Set(row).size === this.replicaCount, `placement repeated a server in row ${vnode}`);
      assert(this.zoneSpan(vnode) === this.span, `placement: row ${vnode} spans fewer than ${this.span} zones`);
    }
  }

  toRows(): TableRow[] {
    return this.rows.map((row) => ({ replicas: row.map((server) => this.serverIds[server] ?? '') }));
  }
}
