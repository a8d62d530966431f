/** Worker-thread entry: runs file jobs sent by FileWorkers (file-workers.ts), one at a time. */
import { parentPort } from 'node:worker_threads';
import { runFileJob, type FileJob } from './file-jobs.js';
import { serializeError } from '../parallel/thread-errors.js';
import { collectAllGarbage } from '../io/young-garbage.js';

interface Request {
  id: number;
  job: FileJob;
}

let running = 0;

parentPort?.on('message', (req: Request) => {
  running++;
  const onProgress = (bytes: number) => parentPort?.postMessage({ id: req.id, progress: bytes });
  runFileJob(req.job, onProgress)
    .then((result) => parentPort?.postMessage({ id: req.id, ok: true, result }))
    .catch((err: unknown) => parentPort?.postMessage({ id: req.id, ok: false, error: serializeError(err) }))
    .finally(() => {
      req.job.dataKey.fill(0);
      // The thread is kept for the next set (file-workers.ts): what a job leaves outside V8's heap
      // (file handles, cipher state, buffers) is freed only by a full collection, which an idle
      // thread never starts by itself.
      if (--running === 0) collectAllGarbage(true);
    });
});
