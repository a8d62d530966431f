/** Worker-thread entry: runs file jobs sent by FileWorkers (file-workers.ts), one at a time. */
import { parentPort } from 'node:worker_threads';
import { runFileJob, type FileJob } from './file-jobs.js';
import { serializeError } from '../parallel/thread-errors.js';

interface Request {
  id: number;
  job: FileJob;
}

parentPort?.on('message', (req: Request) => {
  const onProgress = (bytes: number) => parentPort?.postMessage({ id: req.id, progress: bytes });
  runFileJob(req.job, onProgress)
    .then((result) => parentPort?.postMessage({ id: req.id, ok: true, result }))
    .catch((err: unknown) => parentPort?.postMessage({ id: req.id, ok: false, error: serializeError(err) }))
    .finally(() => req.job.dataKey.fill(0));
});
