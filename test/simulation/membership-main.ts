// `npm run sim:membership -- [--sizes 5,20,50,100,200] [--seeds K] [--minutes M] [--loss F] [--bug B]`:
// the membership figures of the simulator, bigger than the test runs. Prints one JSON line per
// cluster size and a table; exit code 1 when any live node was held down.
import { parseArgs } from 'node:util';
import { LOSSY_NETWORK, detectionRun, disseminationRun, falseDownRun } from './membership-scenarios.js';
import type { MembershipBug } from './membership-cluster.js';

const { values } = parseArgs({
  options: {
    sizes: { type: 'string', default: '5,20,50,100,200' },
    seeds: { type: 'string', default: '5' },
    minutes: { type: 'string', default: '10' },
    loss: { type: 'string', default: String(LOSSY_NETWORK.dropRate) },
    bug: { type: 'string', default: 'none' },
    'false-down-sizes': { type: 'string', default: '5,20,50' },
  },
});

function integers(text: string, name: string): number[] {
  const list = text.split(',').map(Number);
  if (list.some((value) => !Number.isInteger(value) || value < 2 || value > 1000)) throw new Error(`--${name} takes integers in 2..1000, got '${text}'`);
  return list;
}

const sizes = integers(values.sizes, 'sizes');
const falseDownSizes = integers(values['false-down-sizes'], 'false-down-sizes');
const seeds = Number(values.seeds);
const minutes = Number(values.minutes);
const loss = Number(values.loss);
const bug = values.bug as MembershipBug;
if (!Number.isInteger(seeds) || seeds < 1 || seeds > 1000) throw new Error('--seeds takes an integer in 1..1000');
if (!(minutes > 0 && minutes <= 600)) throw new Error('--minutes takes a number in (0, 600]');
if (!(loss >= 0 && loss < 1)) throw new Error('--loss takes a fraction in [0, 1)');
if (!['none', 'no-refutation', 'no-suspicion'].includes(bug)) throw new Error('--bug is none, no-refutation or no-suspicion');

const median = (list: readonly number[]): number => [...list].sort((a, b) => a - b)[Math.floor((list.length - 1) / 2)] ?? Number.NaN;
const max = (list: readonly number[]): number => Math.max(...list);
const rows: string[] = ['| S | first node down ms (median / max) | every node down ms (median / max) | news to every node, gossip rounds (median / max) | log_3 S | false downs |', '|---|---|---|---|---|---|'];
let falseDownsTotal = 0;

for (const servers of sizes) {
  const detections = [];
  const disseminations = [];
  for (let seed = 1; seed <= seeds; seed++) {
    detections.push(await detectionRun(servers, seed, { bug }));
    disseminations.push(await disseminationRun(servers, seed, { bug }));
  }
  let falseDowns: number | undefined;
  if (falseDownSizes.includes(servers)) {
    const run = await falseDownRun(servers, 1, minutes * 60_000, { network: { ...LOSSY_NETWORK, dropRate: loss }, bug });
    falseDowns = run.falseDowns.length;
    falseDownsTotal += falseDowns;
  }
  const first = detections.map((run) => run.firstMs);
  const all = detections.map((run) => run.allMs);
  const rounds = disseminations.map((run) => run.rounds);
  const line = {
    servers, seeds, bug,
    firstDownMs: { median: median(first), max: max(first) },
    allDownMs: { median: median(all), max: max(all) },
    disseminationRounds: { median: median(rounds), max: max(rounds) },
    logFanout: detections[0]?.logFanout,
    falseDowns: falseDowns ?? null,
    falseDownRun: falseDowns === undefined ? null : { minutes, loss, latency: 'twice the default tail' },
  };
  console.log(JSON.stringify(line));
  rows.push(`| ${servers} | ${median(first).toFixed(0)} / ${max(first).toFixed(0)} | ${median(all).toFixed(0)} / ${max(all).toFixed(0)} | ` +
    `${median(rounds).toFixed(2)} / ${max(rounds).toFixed(2)} | ${(line.logFanout ?? 0).toFixed(2)} | ${falseDowns === undefined ? '-' : `${falseDowns} in ${minutes} min at ${loss * 100}% loss`} |`);
}
console.log(rows.join('\n'));
process.exitCode = falseDownsTotal === 0 ? 0 : 1;
