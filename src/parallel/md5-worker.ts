/**
 * Worker-thread entry: the MD5 of one upload part (Content-MD5 and the expected ETag), off the thread
 * that encrypts. The part lives in shared memory: nothing is copied or transferred.
 */
import { createHash } from 'node:crypto';
import { parentPort } from 'node:worker_threads';

interface Request {
  id: number;
  shared: SharedArrayBuffer;
  offset: number;
  length: number;
}

parentPort?.on('message', (req: Request) => {
  const md5 = createHash('md5')
    .update(new Uint8Array(req.shared, req.offset, req.length))
    .digest();
  parentPort?.postMessage({ id: req.id, md5 });
});
