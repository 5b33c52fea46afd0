import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { stopAll } from '../stack/processes';
import { cmdline } from '../bench/lib/procfs';
import { runChaos, type ChaosResult, type FaultStep } from './run';

// The short version of the fault-injection suite (issue 12; the long one is `./mehrdesk bench
// chaos`, report in docs/chaos.md): the API and the worker as child processes on the stack
// `./mehrdesk test` started, a steady mixed load for 100 s, and SIGKILL of the worker, the API,
// the Temporal dev server, Redis, then the worker and the API together, each restarted. Every
// wait in the library is for a condition with a deadline; the kill moments are fixed offsets.

// Temporal and Redis belong to the launcher's stack: restarted from here, they are children of
// this test file's process and end with it, which would take them away from the files that run
// after this one. So they are killed only when this file runs on its own (the only test file on
// the vitest command line) or CHAOS_KILL_INFRA=1; in a full run the API and the worker are killed instead.
/** The invariant the hand-off's at-most-once design gives up (see below). */
const AT_MOST_ONCE_DELIVERY = 'Every recorded e-mail reaches the SMTP server (none lost)';

const testFiles = cmdline(process.ppid).filter((a) => /\.test\.ts$/.test(a));
const alone = (testFiles.length === 1 && testFiles[0]!.includes('chaos.int.test')) || process.env.CHAOS_KILL_INFRA === '1';
const steps: FaultStep[] = [
  { kind: 'kill', services: ['worker'], at: 12_000, downMs: 2000 },
  { kind: 'kill', services: ['api'], at: 28_000, downMs: 2000 },
  { kind: 'kill', services: alone ? ['temporal'] : ['worker'], at: 44_000, downMs: 2000 },
  { kind: 'kill', services: alone ? ['redis'] : ['api'], at: 60_000, downMs: 2000 },
  { kind: 'kill', services: ['worker', 'api'], at: 75_000, downMs: 2000 },
];

describe('fault injection (short)', () => {
  let result: ChaosResult | null = null;
  afterAll(async () => {
    await stopAll(15_000); // services this file restarted (Temporal, Redis)
  });

  it('keeps every invariant while the worker, the API (and, run alone, Temporal and Redis) are SIGKILLed and restarted', { timeout: 330_000 }, async () => {
    result = await runChaos({
      seed: 12,
      durationMs: 100_000,
      rates: { create: 0.5, reply: 0.5, status: 0.3, sla: 0.25, mail: 0.3, 'mail-reply': 0.1, probe: 0 },
      steps,
      settleTimeoutMs: 120_000,
      sla: { firstResponseSeconds: 10, resolutionSeconds: 20, warningFraction: 0.5 },
      replyTimeoutMs: 45_000,
      logDir: fs.mkdtempSync(path.join(os.tmpdir(), 'mehrdesk-chaos-test-')),
      log: (m) => {
        if (process.env.CHAOS_VERBOSE) console.log(m);
      },
      clientTimeoutMs: 30_000,
    });
    const killed = result.serviceEvents.filter((e) => e.what === 'killed').map((e) => e.service);
    expect(new Set(killed)).toEqual(new Set(alone ? ['worker', 'api', 'temporal', 'redis'] : ['worker', 'api']));
    expect(result.faults.filter((f) => f.error)).toEqual([]);
    // The load did reach the system and the system made progress despite the faults.
    expect(result.ops.filter((o) => o.ok && o.kind === 'create').length).toBeGreaterThan(20);
    expect(result.ops.filter((o) => o.ok && o.kind === 'mail').length).toBeGreaterThan(10);
    expect(result.ops.filter((o) => o.ok && o.kind === 'sla').length).toBeGreaterThan(10);
    expect(result.settle.settled, JSON.stringify(result.settle.last)).toBe(true);
    for (const inv of result.invariants) expect(inv.checked, inv.name).toBeGreaterThan(0);
    // "None lost" is reported, not asserted: the e-mail hand-off is at most once (never twice,
    // which is asserted), so a worker killed during one SMTP hand-off may lose that e-mail
    // (docs/chaos.md, finding 6: a product decision, left open).
    const asserted = result.invariants.filter((i) => i.name !== AT_MOST_ONCE_DELIVERY);
    expect(asserted).toHaveLength(result.invariants.length - 1);
    const violations = Object.fromEntries(asserted.map((i) => [i.name, i.violations.slice(0, 10)]));
    expect(violations).toEqual(Object.fromEntries(asserted.map((i) => [i.name, []])));
  });
});
