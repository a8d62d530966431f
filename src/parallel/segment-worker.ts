/**
 * Worker-thread entry: runs one SegmentRangeTask (segment-range.ts) and reports how it ended. With
 * `ordered`, batches go to a pipe or device in file order, each written by this thread in its turn
 * (ordered-writes.ts); otherwise into the output file at their offsets.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { runSegmentRange, type SegmentRangeTask } from './segment-range.js';
import { serializeError } from './thread-errors.js';
import { stopAll, writeInTurn, type Turns } from './ordered-writes.js';

export interface WorkerInput {
  task: SegmentRangeTask;
  /** Write batches to `fd` in file order, taking turns with the other threads. */
  ordered?: { fd: number; turns: Turns };
  /** Tell the main thread each batch number once it is in the output file (and read back, with readBack). */
  reportWritten?: boolean;
}

const { task, ordered, reportWritten } = workerData as WorkerInput;
try {
  const onWritten = reportWritten ? (written: number) => parentPort?.postMessage({ written }) : undefined;
  const sink = ordered
    ? (index: number, outputs: Buffer[]) => writeInTurn(ordered.turns, ordered.fd, index, outputs)
    : undefined;
  runSegmentRange(task, sink, undefined, onWritten);
  parentPort?.postMessage({ ok: true });
} catch (err) {
  parentPort?.postMessage({ ok: false, error: serializeError(err) });
  if (ordered) stopAll(ordered.turns); // after the message: the cause reaches the main thread first
}
