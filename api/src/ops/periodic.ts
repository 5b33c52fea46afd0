import type { Logger } from '@mehrdesk/core/logger';

/**
 * Runs `pass` every `everyMs` in this process, never two at once, logging a failed pass
 * instead of stopping. For housekeeping every API replica may run without coordination (each
 * pass must be safe to run concurrently on several replicas). Returns the stop function.
 */
export function startPeriodic(log: Logger, name: string, everyMs: number, pass: () => Promise<void>): () => void {
  let running = false;
  const tick = async () => {
    if (running) return;
    running = true;
    try {
      await pass();
    } catch (err) {
      log.warn({ err, task: name }, `${name} pass failed`);
    } finally {
      running = false;
    }
  };
  const timer = setInterval(() => void tick(), everyMs);
  timer.unref();
  return () => clearInterval(timer);
}
