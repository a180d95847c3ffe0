/**
 * Adding, draining and removing servers on the admin API (DESIGN.md sections 6 and 7); every
 * change is a plan (moves/membership.ts) committed with its moves in one state write, through
 * the executor so no move step lands in between. Refusals are coded 4xx and leave the table as
 * it was.
 *
 *   POST   /v1/servers[?dryRun=1]   {id, zone, capacity, host, port, httpPort}
 *            201 {epoch, server, moves}        dry run: 200 {dryRun, epoch, server, moves}
 *   POST   /v1/servers/:id/drain[?dryRun=1]  202 {epoch, server, moves}
 *   DELETE /v1/servers/:id                    200 {epoch, removed}   only once it holds nothing
 */
import { guardedRoute } from '../../src/http/index.js';
import type { BearerGuard } from '../../src/http/index.js';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ServerInfo } from '../../src/ring/index.js';
import { RingcacheError } from '../../src/runtime/index.js';
import type { ShardMaster } from '../master.js';
import type { MoveExecutor } from '../moves/move-executor.js';
import { planAdd, planDrain, planRemove } from '../moves/membership.js';
import type { MembershipPlan, MembershipState } from '../moves/membership.js';

export interface AdminDeps {
  readonly master: ShardMaster;
  readonly executor: MoveExecutor;
  /** The bearer check of every admin route (undefined: no cluster token). */
  readonly guard: BearerGuard | undefined;
  /** Ring tokens per server for the join placement (cluster.tokensPerServer). */
  readonly tokensPerServer: number;
}

const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
const ADD_FIELDS = ['id', 'zone', 'capacity', 'host', 'port', 'httpPort'] as const;

export function registerServerRoutes(app: FastifyInstance, deps: AdminDeps): void {
  const { master, executor } = deps;
  const guarded = guardedRoute(deps.guard);
  const state = (): MembershipState => ({ servers: master.servers(), table: master.table(), queued: master.queuedMoves() });
  const apply = (plan: MembershipPlan): Promise<void> => master.commitPlan(
    plan.table === master.table() ? undefined : plan.table, plan.servers, [...master.queuedMoves(), ...plan.moves],
  ).then(() => undefined);

  app.post('/v1/servers', guarded, async (request, reply) => {
    const server = serverOf(request.body);
    const dryRun = isDryRun(request);
    return executor.exclusive(async () => {
      const plan = planAdd(state(), server, deps.tokensPerServer);
      if (!dryRun) await apply(plan);
      return reply.code(dryRun ? 200 : 201).send(answer(plan, server.id, dryRun));
    });
  });

  app.post('/v1/servers/:id/drain', guarded, async (request, reply) => {
    const id = idOf(request);
    const dryRun = isDryRun(request);
    return executor.exclusive(async () => {
      const plan = planDrain(state(), id, deps.tokensPerServer);
      if (!dryRun) await apply(plan);
      return reply.code(dryRun ? 200 : 202).send(answer(plan, id, dryRun));
    });
  });

  app.delete('/v1/servers/:id', guarded, async (request) => {
    const id = idOf(request);
    return executor.exclusive(async () => {
      const plan = planRemove(state(), id);
      await apply(plan);
      return { epoch: plan.table.epoch, removed: id };
    });
  });
}

function answer(plan: MembershipPlan, id: string, dryRun: boolean): Record<string, unknown> {
  const server = plan.servers.find((known) => known.id === id);
  const bytesToMove = plan.moves.reduce((sum, move) => sum + (move.bytes ?? 0), 0);
  return { ...(dryRun ? { dryRun: true } : {}), epoch: plan.table.epoch, server, moves: plan.moves, moveCount: plan.moves.length, bytesToMove };
}

function isDryRun(request: FastifyRequest): boolean {
  const value = (request.query as Record<string, unknown>).dryRun;
  if (value === undefined || value === '0' || value === 'false') return false;
  if (value === '1' || value === 'true' || value === '') return true;
  throw new RingcacheError('RC_ERR_BAD_REQUEST', `dryRun must be 1 or 0, got ${JSON.stringify(value)}`);
}

function idOf(request: FastifyRequest): string {
  const id = (request.params as { id?: string }).id ?? '';
  if (!ID_PATTERN.test(id)) throw new RingcacheError('RC_ERR_BAD_REQUEST', `server id ${JSON.stringify(id.slice(0, 80))} is not 1..64 letters, digits, '_', '.', '-'`);
  return id;
}

/** The body of POST /v1/servers, every field checked and no other accepted. */
function serverOf(body: unknown): ServerInfo {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new RingcacheError('RC_ERR_BAD_REQUEST', 'POST /v1/servers takes a JSON object {id, zone, capacity, host, port, httpPort}');
  }
  const fields = body as Record<string, unknown>;
  const unknown = Object.keys(fields).filter((field) => !(ADD_FIELDS as readonly string[]).includes(field));
  if (unknown.length > 0) throw new RingcacheError('RC_ERR_BAD_REQUEST', `unknown fields ${unknown.slice(0, 5).map((field) => JSON.stringify(field)).join(', ')}; a server has ${ADD_FIELDS.join(', ')}`, { fields: unknown.slice(0, 5) });
  const { id, zone, capacity, host, port, httpPort } = fields;
  if (typeof id !== 'string' || !ID_PATTERN.test(id)) throw fieldError('id', id, "1..64 letters, digits, '_', '.', '-'");
  if (typeof zone !== 'string' || zone.length === 0 || zone.length > 64) throw fieldError('zone', zone, 'a string of 1..64 characters');
  const weight = capacity ?? 1;
  if (typeof weight !== 'number' || !Number.isInteger(weight) || weight < 1 || weight > 1000) throw fieldError('capacity', capacity, 'an integer in 1..1000');
  if (typeof host !== 'string' || host.length === 0 || host.length > 255) throw fieldError('host', host, 'a host name or address');
  for (const [name, value] of [['port', port], ['httpPort', httpPort]] as const) {
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > 65535) throw fieldError(name, value, 'a port in 1..65535');
  }
  return { id, zone, capacity: weight, host, port: port as number, httpPort: httpPort as number, state: 'active' };
}

function fieldError(name: string, value: unknown, expected: string): RingcacheError {
  return new RingcacheError('RC_ERR_BAD_REQUEST', `${name} must be ${expected}, got ${value === undefined ? 'nothing' : JSON.stringify(value).slice(0, 80)}`, { field: name });
}
