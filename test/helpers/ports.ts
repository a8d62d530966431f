/** Loopback ports for tests. */
import { createServer } from 'node:net';

async function canListen(port: number): Promise<number | undefined> {
  const server = createServer();
  const ok = await new Promise<boolean>((resolve) => {
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => resolve(true));
  });
  if (!ok) return undefined;
  const address = server.address();
  const bound = typeof address === 'object' && address ? address.port : undefined;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return bound;
}

/**
 * A port that is free now, for a server a test starts later (redis-server, a daemon's /metrics).
 * Chosen below Linux's ephemeral range (32768+), so the outgoing connections of other tests cannot
 * take it in the meantime.
 */
export async function freePort(): Promise<number> {
  for (let i = 0; i < 50; i++) {
    const port = await canListen(20000 + Math.floor(Math.random() * 12000));
    if (port) return port;
  }
  throw new Error('no free port found in 20000-32000');
}

/** A port nothing listens on, for "unreachable endpoint" tests. */
export const closedPort = freePort;
