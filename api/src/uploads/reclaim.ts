import v8 from 'node:v8';
import vm from 'node:vm';

// Upload bodies arrive in socket read buffers of 64 KiB, a fresh one per read, outside V8's heap.
// V8 frees them only when it collects the small Buffer objects that point at them, and under a
// steady upload it lets tens of MB of them pile up first: bench:uploads measured 72.8 MB of RSS
// growth on a bare Node server with 20 concurrent 10 MiB uploads, and 82.5 MB on the API. A
// minor (young-generation) collection after every UPLOAD_RECLAIM_MB received frees them while
// they are few, at no measurable cost in throughput (a scavenge takes about a millisecond; see
// docs/benchmarks-uploads.md, which runs the API with it off and on). Only uploads trigger it.

type Gc = (options: { type: 'minor' | 'major' }) => void;

let exposed: Gc | null | undefined;
function gcFunction(): Gc | null {
  if (exposed !== undefined) return exposed;
  try {
    v8.setFlagsFromString('--expose-gc');
    const gc = vm.runInNewContext('gc') as unknown;
    exposed = typeof gc === 'function' ? (gc as Gc) : null;
  } catch {
    exposed = null;
  }
  return exposed;
}

/** Counts bytes received by uploads and runs a minor collection every `everyMb` MiB of them (0: never). */
export function uploadReclaimer(everyMb: number): (bytes: number) => void {
  const gc = everyMb > 0 ? gcFunction() : null;
  if (!gc) return () => {};
  const every = everyMb * 1024 * 1024;
  let since = 0;
  return (bytes) => {
    since += bytes;
    if (since < every) return;
    since = 0;
    gc({ type: 'minor' });
  };
}
