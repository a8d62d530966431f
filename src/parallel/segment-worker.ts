/**
 * Worker-thread entry: runs one SegmentRangeTask (segment-range.ts) and reports how it ended. With a
 * `returns` port, batches go to the main thread to be written to a stream in order, each in one of
 * AHEAD buffers that the main thread sends back once written: memory stays bounded, and no fresh
 * memory is touched per batch.
 */
import { parentPort, receiveMessageOnPort, workerData, type MessagePort } from 'node:worker_threads';
import { runSegmentRange, type BatchSink, type SegmentRangeTask } from './segment-range.js';
import { serializeError } from './thread-errors.js';

export interface WorkerInput {
  task: SegmentRangeTask;
  /** Where written batch buffers come back; with it, `signal[task.worker]` is bumped after each return. */
  returns?: MessagePort;
  signal?: Int32Array;
  /** Tell the main thread each batch number once it is in the output file (and read back, with readBack). */
  reportWritten?: boolean;
}

export const AHEAD = 2;

function streamSink(task: SegmentRangeTask, returns: MessagePort, signal: Int32Array): BatchSink {
  let allocated = 0;
  const capacity = task.batch * task.geometry.segmentSize;
  const takeBuffer = (): ArrayBuffer => {
    for (;;) {
      const seen = Atomics.load(signal, task.worker);
      const back = receiveMessageOnPort(returns);
      if (back) return back.message as ArrayBuffer;
      if (allocated < AHEAD) {
        allocated++;
        return new ArrayBuffer(capacity);
      }
      Atomics.wait(signal, task.worker, seen); // until the main thread has written one of ours
    }
  };
  return (index, outputs) => {
    const buffer = takeBuffer();
    const view = Buffer.from(buffer);
    let length = 0;
    for (const o of outputs) length += o.copy(view, length);
    parentPort?.postMessage({ batch: index, buffer, length }, [buffer]);
  };
}

const { task, returns, signal, reportWritten } = workerData as WorkerInput;
try {
  const onWritten = reportWritten ? (written: number) => parentPort?.postMessage({ written }) : undefined;
  runSegmentRange(
    task,
    returns && signal ? streamSink(task, returns, signal) : undefined,
    undefined,
    onWritten,
  );
  parentPort?.postMessage({ ok: true });
} catch (err) {
  parentPort?.postMessage({ ok: false, error: serializeError(err) });
} finally {
  returns?.close();
}
