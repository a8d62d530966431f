/** Worker-thread entry: runs one SegmentRangeTask (segment-range.ts) and reports how it ended. */
import { parentPort, workerData } from 'node:worker_threads';
import { runSegmentRange, type SegmentRangeTask } from './segment-range.js';
import { serializeError } from './thread-errors.js';

try {
  runSegmentRange(workerData as SegmentRangeTask);
  parentPort?.postMessage({ ok: true });
} catch (err) {
  parentPort?.postMessage({ ok: false, error: serializeError(err) });
}
