// `npm run sim -- --seeds K [--start S] [--seed X] [--verbose]`: runs K seeds from S (or the one
// seed X), prints each failing seed with its violations, and as its last line one JSON object:
// {"seeds":K,"start":S,"operations":..,"ackedWrites":..,"lostAckedWrites":..,"resurrections":..,
//  "convergedSeeds":.. (replicas agreed after heal with no client read), "convergedMsMax":..,
//  "falseDowns":.. (down verdicts no fault explains, false-downs.ts), "reads":..,"sloppyReads":.. (reads
//  outside R + W > N, not held to every acknowledged write), "maxSiblings":..,
//  "tableChangeSeeds":.., "tableCommits":.., "movesCompleted":.., "masterRestarts":.., "fencingRetries":.. (the table in motion),
//  "failedSeeds":[..]}
// A failing seed replays exactly with --seed X.
import { parseArgs } from 'node:util';
import { runSeed } from './run-seed.js';

const { values } = parseArgs({
  options: {
    seeds: { type: 'string', default: '50' },
    start: { type: 'string', default: '1' },
    seed: { type: 'string' },
    verbose: { type: 'boolean', default: false },
  },
});

function integer(name: string, text: string): number {
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < 0) {
    console.error(`--${name} must be a non-negative integer, got '${text}'`);
    process.exit(2);
  }
  return value;
}

const single = values.seed === undefined ? undefined : integer('seed', values.seed);
const start = single ?? integer('start', values.start);
const seeds = single === undefined ? integer('seeds', values.seeds) : 1;

const tableTotals = { tableChangeSeeds: 0, tableCommits: 0, movesCompleted: 0, masterRestarts: 0, fencingRetries: 0 };
const totals = { operations: 0, ackedWrites: 0, lostAckedWrites: 0, resurrections: 0, convergedSeeds: 0, falseDowns: 0, reads: 0, sloppyReads: 0, maxSiblings: 0, events: 0, simulatedMs: 0 };
let convergedMsMax = 0;
const failedSeeds: number[] = [];
const began = process.hrtime.bigint();
for (let seed = start; seed < start + seeds; seed++) {
  const report = await runSeed(seed);
  totals.operations += report.operations;
  totals.ackedWrites += report.ackedWrites;
  totals.lostAckedWrites += report.lostAckedWrites;
  totals.resurrections += report.resurrections;
  totals.falseDowns += report.falseDowns;
  totals.reads += report.reads;
  totals.sloppyReads += report.sloppyReads;
  if (report.options.tableChanges) tableTotals.tableChangeSeeds++;
  tableTotals.tableCommits += report.tableCommits;
  tableTotals.movesCompleted += report.movesCompleted;
  tableTotals.masterRestarts += report.masterRestarts;
  tableTotals.fencingRetries += report.fencingRetries;
  if (report.convergedAfterMs !== undefined) {
    totals.convergedSeeds++;
    convergedMsMax = Math.max(convergedMsMax, report.convergedAfterMs);
  }
  totals.maxSiblings = Math.max(totals.maxSiblings, report.maxSiblings);
  totals.events += report.events;
  totals.simulatedMs += report.simulatedMs;
  if (report.violations.length > 0) {
    failedSeeds.push(seed);
    console.error(`seed ${String(seed)} FAILED (replay: npm run sim -- --seed ${String(seed)})`);
    for (const violation of report.violations.slice(0, 20)) console.error(`  ${violation}`);
  } else if (values.verbose) {
    const { servers, r, w, keys } = report.options;
    console.error(`seed ${String(seed)} ok: ${String(report.operations)} ops (${String(report.failedOperations)} failed), ${String(servers)} servers, r=${String(r)} w=${String(w)}, ${String(keys)} keys, ${String(report.events)} events`);
  }
}
const wallMs = Number(process.hrtime.bigint() - began) / 1e6;
console.error(`${String(seeds)} seeds in ${(wallMs / 1000).toFixed(1)} s: ${Math.round(totals.operations / (wallMs / 1000)).toString()} simulated operations/s, ${Math.round(totals.events / (wallMs / 1000)).toString()} events/s, ${(totals.simulatedMs / 1000).toFixed(0)} s of virtual time`);
console.log(JSON.stringify({
  seeds, start,
  operations: totals.operations,
  ackedWrites: totals.ackedWrites,
  lostAckedWrites: totals.lostAckedWrites,
  resurrections: totals.resurrections,
  convergedSeeds: totals.convergedSeeds,
  convergedMsMax,
  falseDowns: totals.falseDowns,
  reads: totals.reads,
  sloppyReads: totals.sloppyReads,
  maxSiblings: totals.maxSiblings,
  ...tableTotals,
  failedSeeds,
}));
process.exitCode = failedSeeds.length === 0 ? 0 : 1;
