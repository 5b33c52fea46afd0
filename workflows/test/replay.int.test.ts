import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Worker } from '@temporalio/worker';
import { DeterminismViolationError } from '@temporalio/workflow';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { workflowBundle } from '@mehrdesk/worker/create-worker';

// Histories recorded from real runs (created → replied → resolved → auto-closed) are replayed
// against the current workflow code: a change that would break in-flight tickets fails here,
// and must be guarded with patched() instead.
const DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'histories');
const files = fs.readdirSync(DIR).filter((f) => f.endsWith('.json'));

describe('replay of recorded ticket histories', () => {
  it('has recorded histories to replay', () => {
    expect(files.length).toBeGreaterThan(0);
  });

  it.each(files)('%s replays without nondeterminism', async (file) => {
    const history = historyFromJSON(JSON.parse(fs.readFileSync(path.join(DIR, file), 'utf8')));
    expect(history.events?.length).toBeGreaterThan(20);
    const results = Worker.runReplayHistories({ workflowBundle: await workflowBundle() }, [{ workflowId: file, history }]);
    for await (const r of results) {
      if (r.error) throw r.error;
      expect(r.error).toBeUndefined();
    }
  });

  it('detects a history that the workflow code would not produce', async () => {
    const history = historyFromJSON(JSON.parse(fs.readFileSync(path.join(DIR, files[0]!), 'utf8')));
    // Drop the first activity the workflow schedules: replay must flag the mismatch.
    const events = history.events ?? [];
    const i = events.findIndex((e) => e.activityTaskScheduledEventAttributes);
    const tampered = {
      events: events.map((e, k) => (k === i ? { ...e, activityTaskScheduledEventAttributes: { ...e.activityTaskScheduledEventAttributes, activityType: { name: 'somethingElse' } } } : e)),
    };
    const results = Worker.runReplayHistories({ workflowBundle: await workflowBundle() }, [{ workflowId: 'tampered', history: tampered }]);
    let error: unknown;
    for await (const r of results) error = r.error;
    expect(error).toBeInstanceOf(DeterminismViolationError);
  });
});
