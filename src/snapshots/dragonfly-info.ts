/** Asks Dragonfly (or Redis) whether it is still loading a snapshot: INFO persistence, field `loading`. */

/** true = loading finished, false = still loading, undefined = server not reachable (yet). */
export async function loadingFinished(url: string): Promise<boolean | undefined> {
  const { Redis } = await import('ioredis'); // only needed with --dragonfly-url
  const client = new Redis(url, {
    lazyConnect: true,
    connectTimeout: 2000,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
  });
  client.on('error', () => undefined); // reported through the return value
  try {
    await client.connect();
    const info = await client.info('persistence');
    const m = /^loading:(\d)/m.exec(info);
    return m ? m[1] === '0' : undefined;
  } catch (err) {
    // A server that is loading answers most commands with "-LOADING ..."; that means "not yet".
    if (err instanceof Error && /LOADING/.test(err.message)) return false;
    return undefined;
  } finally {
    client.disconnect();
  }
}
