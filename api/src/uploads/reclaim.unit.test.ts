import { describe, expect, it } from 'vitest';
import { uploadReclaimer } from './reclaim';

// The reclaimer frees upload read buffers by a minor collection every N MiB: measured here by
// the buffers it lets V8 free (a FinalizationRegistry hears of each collected Buffer wrapper).
describe('uploadReclaimer', () => {
  async function collectedWhile(reclaim: (bytes: number) => void): Promise<number> {
    let collected = 0;
    const registry = new FinalizationRegistry(() => collected++);
    // 200 short-lived 64 KiB chunks, reported as received, with nothing else allocating.
    for (let i = 0; i < 200; i++) {
      const chunk = Buffer.allocUnsafeSlow(64 * 1024);
      registry.register(chunk, i);
      reclaim(chunk.length);
    }
    await new Promise((r) => setTimeout(r, 50));
    return collected;
  }

  it('collects spent chunks every N MiB when on, and does nothing when off', async () => {
    const on = await collectedWhile(uploadReclaimer(1));
    const off = await collectedWhile(uploadReclaimer(0));
    // 12.5 MiB in 64 KiB chunks with a collection per MiB: most chunks are freed already;
    // without it, V8 has not yet looked at them.
    expect({ on: on > 100, off: off < 20 }).toEqual({ on: true, off: true });
  });
});
