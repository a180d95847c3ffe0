import { describe, expect, it } from 'vitest';
import { MEMBERSHIP_DEFAULTS, MemberView, compareClaims, encodeUpdates, newMembershipStats, updateBytes } from '../../src/membership/index.js';
import type { MemberUpdate, MembershipOptions } from '../../src/membership/index.js';
import { PeerStatusBoard } from '../../src/node/index.js';
import { SeededRandom, VirtualClock, silentLogger } from '../../src/runtime/index.js';

const START_MS = 1_000_000;

function viewOf(options: Partial<MembershipOptions> = {}) {
  const clock = new VirtualClock(START_MS);
  const peers = new PeerStatusBoard();
  const stats = newMembershipStats();
  const observed: number[] = [];
  const state = { recovering: false, epoch: 3, refutations: 0, suspected: [] as string[] };
  const view = new MemberView({
    serverId: 'n1', clock, random: new SeededRandom(1), options: { ...MEMBERSHIP_DEFAULTS, ...options }, peers, stats, logger: silentLogger,
    recovering: () => state.recovering,
    epoch: () => state.epoch,
    observeEpoch: (epoch) => { observed.push(epoch); },
    onRefute: () => { state.refutations++; },
    onSuspected: (member) => { state.suspected.push(member); },
  });
  view.setMembers(['n1', 'n2', 'n3', 'n4', 'n5']);
  return { clock, peers, stats, observed, state, view };
}

const up = (member: string, incarnation: number, more: Partial<MemberUpdate> = {}): MemberUpdate =>
  ({ member, status: 'up', incarnation, recovering: false, epoch: 3, accuser: null, ...more });
const suspect = (member: string, incarnation: number, accuser: string): MemberUpdate => ({ ...up(member, incarnation), status: 'suspect', accuser });
const down = (member: string, incarnation: number, accuser: string): MemberUpdate => ({ ...up(member, incarnation), status: 'down', accuser });

describe('claims about a member', () => {
  it('order by incarnation, then down > suspect > up', () => {
    expect(compareClaims(up('n2', 5), down('n2', 4, 'n3'))).toBeGreaterThan(0);
    expect(compareClaims(suspect('n2', 5, 'n3'), up('n2', 5))).toBeGreaterThan(0);
    expect(compareClaims(down('n2', 5, 'n3'), suspect('n2', 5, 'n4'))).toBeGreaterThan(0);
    expect(compareClaims(suspect('n2', 5, 'n3'), suspect('n2', 5, 'n4'))).toBe(0);
  });
});

describe('MemberView', () => {
  it('applies newer news to the board, ignores and counts stale and unknown ones', () => {
    const { view, peers, stats } = viewOf();
    expect(view.apply([up('n2', 10, { recovering: true })])).toBe(1);
    expect(peers.view('n2')).toEqual({ status: 'up', recovering: true });
    expect(view.apply([suspect('n2', 9, 'n3'), up('n9', 4)])).toBe(0);
    expect(stats.ignored).toEqual({ stale: 1, unknown: 1 });
    view.apply([down('n2', 10, 'n3')]);
    expect(peers.isUp('n2')).toBe(false);
    // Only n2 itself can bring it back, with a higher incarnation.
    view.apply([up('n2', 10)]);
    expect(peers.isUp('n2')).toBe(false);
    view.apply([up('n2', 11)]);
    expect(peers.view('n2')).toEqual({ status: 'up', recovering: false });
  });

  it('turns a suspicion into down after the timeout, sooner once another member confirms it', () => {
    const { view, peers, clock, stats, state } = viewOf();
    view.apply([up('n2', 10), up('n3', 10)]);
    view.apply([suspect('n2', 10, 'n4')]);
    expect(state.suspected).toEqual(['n2']);
    expect(peers.view('n2').status).toBe('suspect');
    expect(peers.isUp('n2')).toBe(true);
    // n = 5, k = 1: max 3600 ms without a confirmation...
    clock.runUntil(START_MS + 3599);
    expect(peers.view('n2').status).toBe('suspect');
    clock.runUntil(START_MS + 3600);
    expect(peers.view('n2').status).toBe('down');
    expect(stats.downsDeclared).toBe(1);
    // ... min 600 ms with one.
    view.apply([suspect('n3', 10, 'n4')]);
    clock.runUntil(START_MS + 3700);
    view.apply([suspect('n3', 10, 'n4'), suspect('n3', 10, 'n5')]);
    expect(stats.confirmations).toBe(1);
    clock.runUntil(START_MS + 4199);
    expect(peers.view('n3').status).toBe('suspect');
    clock.runUntil(START_MS + 4200);
    expect(peers.view('n3').status).toBe('down');
  });

  it('a refutation (higher incarnation) cancels the suspicion', () => {
    const { view, peers, clock } = viewOf();
    view.apply([suspect('n2', 10, 'n4')]);
    view.apply([up('n2', 11)]);
    clock.runUntil(START_MS + 60_000);
    expect(peers.view('n2').status).toBe('up');
  });

  it('refutes a suspicion of itself with a higher incarnation and never holds itself down', () => {
    const { view, stats, state } = viewOf();
    const own = view.self().incarnation;
    expect(own).toBe(START_MS);
    view.apply([suspect('n1', own, 'n2')]);
    expect(view.self().incarnation).toBe(own + 1);
    expect(stats.refutations).toBe(1);
    expect(state.refutations).toBe(1);
    view.apply([down('n1', own + 5, 'n3')]);
    expect(view.self()).toMatchObject({ status: 'up', incarnation: own + 6 });
    // An old accusation needs no answer.
    view.apply([suspect('n1', own, 'n2')]);
    expect(view.self().incarnation).toBe(own + 6);
    expect(view.piggyback('n2')[0]).toEqual(view.self());
  });

  it('announces a change of its own recovering flag under a new incarnation', () => {
    const { view, state } = viewOf();
    state.recovering = true;
    const before = view.self().incarnation;
    view.announceSelf();
    expect(view.self()).toMatchObject({ incarnation: before + 1, recovering: true });
    // Someone still saying "not recovering" at our incarnation disagrees: answer it.
    view.apply([up('n1', before + 1)]);
    expect(view.self().incarnation).toBe(before + 2);
  });

  it('asks for the table when a claim carries a newer epoch', () => {
    const { view, observed } = viewOf();
    view.apply([up('n2', 10, { epoch: 2 }), up('n3', 10, { epoch: 7 }), up('n4', 10, { epoch: 5 })]);
    expect(observed).toEqual([7]);
  });

  it('forgets servers that left the table, on the board too', () => {
    const { view, peers } = viewOf();
    view.apply([down('n5', 10, 'n2')]);
    expect(peers.isUp('n5')).toBe(false);
    view.setMembers(['n1', 'n2', 'n3', 'n4', 'n6']);
    expect(view.has('n5')).toBe(false);
    expect(peers.isUp('n5')).toBe(true);
    expect(view.ids().sort()).toEqual(['n2', 'n3', 'n4', 'n6']);
    expect(view.size).toBe(5);
  });

  it('piggybacks itself, the receiver, news least sent first, then the rest, within the limits', () => {
    const { view } = viewOf({ updatesPerMessageMax: 3 });
    view.apply([up('n2', 10), up('n3', 11), up('n4', 12)]);
    const first = view.piggyback('n4');
    expect(first.map((update) => update.member)).toEqual(['n1', 'n4', 'n2']);
    // Every message: news leave the queue after retransmitLimit (4 for 5 members) sends.
    const sent = new Map<string, number>();
    for (let i = 0; i < 20; i++) for (const update of view.piggyback(undefined)) sent.set(update.member, (sent.get(update.member) ?? 0) + 1);
    expect(sent.get('n1')).toBe(20);
    // Fill keeps the other members flowing after the queue is empty.
    expect(sent.get('n2')).toBeGreaterThan(4);
    const bytes = viewOf({ messageBytesMax: 1024 });
    const many = Array.from({ length: 40 }, (_, i) => `member-with-a-long-name-${String(i).padStart(3, '0')}`);
    bytes.view.setMembers(many);
    bytes.view.apply(many.map((member) => up(member, 10)));
    const message = bytes.view.piggyback(undefined);
    expect(message.length).toBeLessThanOrEqual(MEMBERSHIP_DEFAULTS.updatesPerMessageMax);
    expect(encodeUpdates(message).length).toBeLessThanOrEqual(1024);
    expect(message.reduce((sum, update) => sum + updateBytes(update), 0)).toBeGreaterThan(1024 - 60);
  });

  it('does not gossip members nobody has heard from', () => {
    const { view } = viewOf();
    expect(view.piggyback('n2').map((update) => update.member)).toEqual(['n1']);
  });
});
