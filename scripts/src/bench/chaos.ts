import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { stopAll } from '../stack/processes';
import { gitState } from './lib/git';
import { runBench } from './lib/output';
import { loadAverage, machineInfo } from './lib/procfs';
import { benchLogDir, requireEnv, ROOT } from './lib/services';
import { Rng } from '../chaos/rng';
import { killSchedule, lockSchedule, runChaos, type ChaosResult } from '../chaos/run';
import { renderReport } from '../chaos/report';
import { FINDINGS, TEST_SUITE } from '../chaos/findings';

// `npm run chaos` (= ./mehrdesk bench chaos [flags]): the fault-injection suite (issue 12) on a
// fresh stack the launcher started. See scripts/src/chaos/run.ts for what one run does.
//
//   --minutes N        length of the faulted load; default 6
//   --seed S           kill moments, down times, load choices; default random (printed, and in the report)
//   --pairs P          pairs killed together after the singles; default 3
//   --slow-postgres    instead of kills: hold an exclusive lock on the tickets table from a side
//                      connection (--locks times, --lock-seconds each) while the load runs
//   --locks N          default 3;   --lock-seconds S  default 40 (longer than the 30 s client timeout)
//   --render           only re-render the report from the latest raw runs; needs no stack, so it also runs
//                      as `node --import tsx scripts/src/bench/chaos.ts --render`
//   --out FILE         default docs/chaos.md (the latest kill run and the latest slow-PostgreSQL
//                      run are kept as JSON in the temp folder and both rendered)

const log = (m: string) => console.log(m);
const RAW = (mode: string) => path.join(os.tmpdir(), `mehrdesk-chaos-${mode}-latest.json`);

/** docs/chaos.md from the latest kill run and the latest slow-PostgreSQL run (raw JSON in the temp folder). */
function writeReport(out: string): void {
  const runs: { title: string; result: ChaosResult }[] = [];
  const read = (m: string) => (fs.existsSync(RAW(m)) ? (JSON.parse(fs.readFileSync(RAW(m), 'utf8')) as ChaosResult) : null);
  const kills = read('kills');
  const slowRun = read('slow');
  if (kills) runs.push({ title: 'Kills: every service once, then pairs', result: kills });
  if (slowRun) runs.push({ title: 'Slow PostgreSQL: an exclusive lock on `tickets` held from a side connection', result: slowRun });
  const m = machineInfo();
  const git = gitState(ROOT, (f) => f.startsWith('scripts/src/chaos') || f === 'scripts/src/bench/chaos.ts' || f === 'docs/chaos.md');
  fs.writeFileSync(
    out,
    renderReport(
      {
        command: runs.map((r) => r.result.command ?? '?').join('` and `'),
        runs: runs.map((r) => ({ title: r.title, startedAt: r.result.startedAt, finishedAt: r.result.finishedAt, loadavg: r.result.loadavgStart ?? '?', commit: r.result.commit ?? '?' })),
        machine: `${m.cpuModel}, ${m.cpus} CPUs, ${m.memTotal} RAM, ${m.kernel}, Node ${m.node}`,
        commit: git.commit,
        dirty: git.dirty,
        loadavg: loadAverage(),
      },
      runs,
      FINDINGS,
      TEST_SUITE,
    ),
  );
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      minutes: { type: 'string', default: '6' },
      seed: { type: 'string' },
      pairs: { type: 'string', default: '3' },
      'slow-postgres': { type: 'boolean', default: false },
      locks: { type: 'string', default: '3' },
      'lock-seconds': { type: 'string', default: '40' },
      out: { type: 'string', default: 'docs/chaos.md' },
      render: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (values.render) {
    writeReport(path.resolve(ROOT, values.out));
    log(`report re-rendered to ${values.out} from ${RAW('kills')} and ${RAW('slow')}`);
    return 0;
  }
  requireEnv('DATABASE_URL', 'chaos');
  const minutes = Number(values.minutes);
  if (!(minutes > 0)) throw new Error('--minutes must be a positive number');
  const seed = values.seed === undefined ? Math.floor(Math.random() * 1e9) : Number(values.seed);
  const slow = values['slow-postgres'];
  const durationMs = Math.round(minutes * 60_000);
  const rng = new Rng(seed ^ 0x5eed);
  const steps = slow ? lockSchedule(rng, durationMs, Number(values.locks), Number(values['lock-seconds']) * 1000) : killSchedule(rng, durationMs, { pairs: Number(values.pairs) });
  const loadavgStart = loadAverage();
  log(`chaos: seed ${seed}, ${slow ? 'slow PostgreSQL' : 'kills'}, ${minutes} min; load average ${loadavgStart}`);
  try {
    const result = await runChaos({
      seed,
      durationMs,
      rates: { create: 0.8, reply: 0.8, status: 0.4, sla: 0.25, mail: 0.4, 'mail-reply': 0.15, probe: 0.5 },
      steps,
      settleTimeoutMs: 180_000,
      sla: { firstResponseSeconds: 16, resolutionSeconds: 32, warningFraction: 0.5 },
      replyTimeoutMs: 30_000,
      logDir: benchLogDir(),
      log,
      clientTimeoutMs: 30_000,
    });
    const mode = slow ? 'slow' : 'kills';
    const args = process.argv.slice(2).join(' ');
    const commit = gitState(ROOT, () => false);
    fs.writeFileSync(
      RAW(mode),
      JSON.stringify({
        ...result,
        command: `./mehrdesk bench chaos${args ? ` ${args}` : ''}`,
        loadavgStart,
        commit: `${commit.commit}${commit.dirty.length ? ` plus uncommitted changes in ${commit.dirty.length} files` : ''}`,
      }),
    );
    writeReport(path.resolve(ROOT, values.out));
    log(`report written to ${values.out}; raw numbers in ${RAW(mode)}`);
    const violations = result.invariants.reduce((a, i) => a + i.violations.length, 0);
    return violations === 0 ? 0 : 3;
  } finally {
    await stopAll(15_000);
  }
}

runBench(main);
