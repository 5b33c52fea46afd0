import type { WebhookRetrySettings } from '@mehrdesk/workflows/activity-contracts';
import type { RunInfo } from '../lib/markdown';
import type { Code } from './codes';
import type { ReceiverCounts } from './receiver';
import type { RoundResult } from './round';

// A run's raw numbers, as written to the temp folder and read back by `--render`.

export interface WebhooksBenchResult {
  run: RunInfo;
  options: {
    quick: boolean;
    /** The old commit as given (null: --no-old, the new code only). */
    old: string | null;
    count: number;
    subscriptions: number;
    concurrency: number;
    pacedSeconds: number;
    /** --paced-rate, or null: half of the first round's flowing rate. */
    pacedRate: number | null;
    backlog: number;
    outage: string;
    retryInitialMs: number;
    timeoutSeconds: number;
    parts: string[];
  };
  codes: { old: Code | null; new: Code };
  retry: WebhookRetrySettings;
  disableAfter: number;
  timeoutMs: number;
  /** The receiver over the whole run (each round's share is in its result). */
  receiver: ReceiverCounts;
  /** In run order: old (when measured), then new. */
  rounds: RoundResult[];
}

export function parseResult(json: string): WebhooksBenchResult {
  const saved = JSON.parse(json) as WebhooksBenchResult;
  if (!Array.isArray(saved.rounds))
    throw new Error('this raw file has no rounds: it was written before the old-vs-new mode, by a run of the single-code benchmark, and cannot be rendered by this version');
  return { ...saved, run: { ...saved.run, startedAt: new Date(saved.run.startedAt), finishedAt: new Date(saved.run.finishedAt) } };
}
