import { describe, expect, it } from 'vitest';
import { MembershipService, decodeUpdates, encodeUpdates } from '../../src/membership/index.js';
import type { MemberUpdate } from '../../src/membership/index.js';
import type { NodeCore } from '../../src/node/index.js';
import { isRingcacheError } from '../../src/runtime/index.js';
import type { PeerReply, PeerRequest } from '../../src/transport/index.js';
import { MembershipSim } from '../simulation/membership-cluster.js';

const up = (member: string, incarnation: number): MemberUpdate => ({ member, status: 'up', incarnation, recovering: false, epoch: 1, accuser: null });

function coreOf(sim: MembershipSim, server: string): NodeCore {
  return sim.core(server);
}

async function handle(core: NodeCore, body: PeerRequest): Promise<PeerReply> {
  return (await core.handle({ epoch: 1, body })).body;
}

async function refusal(run: () => Promise<unknown>): Promise<string> {
  try {
    await run();
  } catch (error) {
    expect(isRingcacheError(error, 'RC_ERR_PROTOCOL')).toBe(true);
    return (error as Error).message;
  }
  return expect.unreachable('the message should have been refused');
}

describe('membership handlers', () => {
  it('acks a probe with its own and the sender\'s claims, and applies what the probe carried', async () => {
    const sim = new MembershipSim({ servers: 3, seed: 1 });
    const core = coreOf(sim, 'n1');
    const reply = await handle(core, { kind: 'probe', from: 'n2', to: 'n1', updates: encodeUpdates([up('n2', 42)]) });
    expect(reply.kind).toBe('probe-ack');
    const updates = decodeUpdates((reply as { updates: Uint8Array }).updates, 100);
    expect(updates.map((update) => update.member)).toEqual(['n1', 'n2']);
    expect(updates[1]!.incarnation).toBe(42);
    expect(sim.service('n1').view.claim('n2')?.incarnation).toBe(42);
  });

  it('drops and counts a probe meant for another server, an oversized and a malformed message, applying none', async () => {
    const sim = new MembershipSim({ servers: 3, seed: 1, membership: { messageBytesMax: 1024, updatesPerMessageMax: 4 } });
    const core = coreOf(sim, 'n1');
    const service = sim.service('n1');
    const news = encodeUpdates([up('n2', 42)]);
    expect(await refusal(() => handle(core, { kind: 'probe', from: 'n2', to: 'n3', updates: news }))).toMatch(/a probe for n3 reached n1/);
    expect(await refusal(() => handle(core, { kind: 'gossip', from: 'n2', updates: new Uint8Array(1025) }))).toMatch(/above membership\.messageBytesMax \(1024\)/);
    expect(await refusal(() => handle(core, { kind: 'gossip', from: 'n2', updates: news.subarray(0, news.length - 1) }))).toMatch(/truncated/);
    const five = encodeUpdates(['n2', 'n3', 'n2', 'n3', 'n2'].map((member, i) => up(member, 50 + i)));
    expect(await refusal(() => handle(core, { kind: 'ping-req', from: 'n2', target: 'n3', timeoutMs: 50, updates: five }))).toMatch(/above the limit of 4/);
    expect(service.stats.dropped).toEqual({ malformed: 2, oversized: 1, misaddressed: 1 });
    expect(service.view.claim('n2')?.incarnation).toBe(0);
    expect(service.view.claim('n3')?.incarnation).toBe(0);
  });

  it('answers its whole view to RC.VIEW', async () => {
    const sim = new MembershipSim({ servers: 4, seed: 2 });
    await sim.runFor(2000);
    const reply = await handle(coreOf(sim, 'n2'), { kind: 'member-view' });
    expect(reply.kind).toBe('member-view-reply');
    const members = decodeUpdates((reply as { members: Uint8Array }).members, 100);
    expect(members.map((member) => member.member).sort()).toEqual(['n1', 'n2', 'n3', 'n4']);
    expect(members.every((member) => member.status === 'up' && member.incarnation > 0)).toBe(true);
  });

  it('probes for a relay: ack from a live target, nack from a crashed one', async () => {
    const sim = new MembershipSim({ servers: 3, seed: 3 });
    await sim.runFor(1000);
    const core = coreOf(sim, 'n1');
    const probeFor = (target: string) => {
      const reply = handle(core, { kind: 'ping-req', from: 'n2', target, timeoutMs: 80, updates: encodeUpdates([]) });
      return sim.runFor(200).then(() => reply);
    };
    expect(await probeFor('n3')).toMatchObject({ kind: 'ping-req-result', acked: true });
    sim.crash('n3');
    expect(await probeFor('n3')).toMatchObject({ kind: 'ping-req-result', acked: false });
    expect(sim.service('n1').stats.relayed).toBeGreaterThanOrEqual(2);
  });
});

describe('membership service', () => {
  it('probes, gossips, suspects and declares a crashed member down, and counts it', async () => {
    const sim = new MembershipSim({ servers: 5, seed: 4 });
    await sim.runFor(3000);
    sim.crash('n5');
    await sim.runFor(5000);
    const survivors = ['n1', 'n2', 'n3', 'n4'];
    for (const server of survivors) expect(sim.board(server).view('n5').status).toBe('down');
    const total = (pick: (service: MembershipService) => number) => survivors.reduce((sum, server) => sum + pick(sim.service(server)), 0);
    expect(total((s) => s.stats.probes)).toBeGreaterThan(100);
    expect(total((s) => s.stats.acks)).toBeGreaterThan(90);
    expect(total((s) => s.stats.indirectProbes)).toBeGreaterThan(0);
    expect(total((s) => s.stats.nacks)).toBeGreaterThan(0);
    expect(total((s) => s.stats.suspicionsRaised)).toBeGreaterThan(0);
    expect(total((s) => s.stats.downsDeclared)).toBeGreaterThan(0);
    // Gossip only carries news (the start-up announcements, the suspicion, the down), not calm.
    expect(total((s) => s.stats.gossipSent)).toBeGreaterThan(10);
    expect(total((s) => s.stats.gossipSent)).toBeLessThan(total((s) => s.stats.probes));
    expect(total((s) => s.stats.downProbes)).toBeGreaterThan(0);
    expect(Object.fromEntries(sim.service('n1').livenessCounts())).toEqual({ up: 4, recovering: 0, suspect: 0, down: 1 });
  });

  it('sees a restarted member up again under its new incarnation, recovering until it says otherwise', async () => {
    const sim = new MembershipSim({ servers: 4, seed: 5 });
    await sim.runFor(3000);
    sim.crash('n2');
    await sim.runFor(5000);
    expect(sim.board('n1').view('n2').status).toBe('down');
    sim.restart('n2', false);
    await sim.runFor(3000);
    for (const server of ['n1', 'n3', 'n4']) expect(sim.board(server).view('n2')).toEqual({ status: 'up', recovering: true });
    sim.finishRecovery('n2');
    await sim.runFor(1000);
    for (const server of ['n1', 'n3', 'n4']) expect(sim.board(server).view('n2')).toEqual({ status: 'up', recovering: false });
  });

  it('exports its figures as MetricSources', () => {
    const sim = new MembershipSim({ servers: 3, seed: 6 });
    const names = sim.service('n1').metrics().map((metric) => metric.name);
    expect(names).toEqual(expect.arrayContaining([
      'membership_probes_total', 'membership_acks_total', 'membership_indirect_probes_total', 'membership_suspicions_total',
      'membership_refutations_total', 'membership_members', 'membership_gossip_sent_total', 'membership_gossip_received_total',
      'membership_messages_dropped_total', 'membership_updates_ignored_total', 'membership_health_score',
    ]));
    expect(names.every((name) => /^membership_[a-z_]+$/.test(name))).toBe(true);
  });
});
