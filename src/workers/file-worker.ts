/** Worker-thread entry: runs file jobs sent by FileWorkers (file-workers.ts), one at a time. */
import { parentPort } from 'node:worker_threads';
import { runFileJob, serializeError, type FileJob } from './file-jobs.js';

interface Request {
  id: number;
  job: FileJob;
}

const PROGRESS_EVERY = 8 * 1024 * 1024;

parentPort?.on('message', (req: Request) => {
  let unreported = 0;
  const onProgress = (bytes: number) => {
    unreported += bytes;
    if (unreported < PROGRESS_EVERY) return;
    parentPort?.postMessage({ id: req.id, progress: unreported });
    unreported = 0;
  };
  runFileJob(req.job, onProgress)
    .finally(() => {
      if (unreported > 0) parentPort?.postMessage({ id: req.id, progress: unreported });
    })
    .then((result) => parentPort?.postMessage({ id: req.id, ok: true, result }))
    .catch((err: unknown) => parentPort?.postMessage({ id: req.id, ok: false, error: serializeError(err) }))
    .finally(() => req.job.dataKey.fill(0));
});
