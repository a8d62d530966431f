/**
 * Context only: one plain Node.js aes-256-gcm stream from a file to a file (or stdout), the ceiling a
 * single-threaded Node encryptor can reach. Usage: node bench/node-gcm.mjs IN OUT|-
 */
import { createCipheriv, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';

const [input, output] = process.argv.slice(2);
const cipher = createCipheriv('aes-256-gcm', randomBytes(32), randomBytes(12));
const sink = output === '-' ? process.stdout : createWriteStream(output, { mode: 0o600 });
await pipeline(createReadStream(input, { highWaterMark: 1024 * 1024 }), cipher, sink);
