/**
 * --metrics-addr: where the /metrics, /healthz and /readyz server listens.
 *   "127.0.0.1:9464"  IPv4 address or host name, then port
 *   "[::1]:9464"      IPv6 address in brackets, then port
 *   ":9464"           loopback only (127.0.0.1). Unlike Go programs, an empty host does NOT mean every
 *                     interface: exposing the endpoints must be said explicitly, e.g. "0.0.0.0:9464".
 *   "off"             no server (only through parseMetricsAddr / metricsAddrOption, which return 'off')
 */
import { isIP } from 'node:net';
import { Option } from 'commander';
import { UserError } from '../errors.js';

export interface ListenAddress {
  host: string;
  port: number;
}

/** A parsed --metrics-addr: where to listen, or 'off'. */
export type MetricsAddr = ListenAddress | 'off';

export const DEFAULT_METRICS_ADDR = '127.0.0.1:9464';

const HOST_NAME =
  /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

export function parseListenAddress(value: string, flag = '--metrics-addr'): ListenAddress {
  const text = value.trim();
  const bad = (why: string): UserError =>
    new UserError(
      `${flag} "${value}" is not a listen address (${why}); use HOST:PORT such as 127.0.0.1:9464, [::1]:9464 or 0.0.0.0:9464`,
      2,
    );
  let host: string;
  let portText: string;
  if (text.includes('://')) throw bad('give only HOST:PORT, without a scheme or path');
  if (text.startsWith('[')) {
    const m = /^\[([^\]]+)\]:(\d+)$/.exec(text);
    if (!m?.[1] || !m[2]) throw bad('an IPv6 address goes in brackets followed by :PORT');
    if (isIP(m[1]) !== 6) throw bad(`"${m[1]}" is not an IPv6 address`);
    host = m[1];
    portText = m[2];
  } else {
    const i = text.lastIndexOf(':');
    if (i < 0) throw bad('the port is missing');
    host = text.slice(0, i);
    portText = text.slice(i + 1);
    if (host.includes(':')) throw bad('write an IPv6 address in brackets, e.g. [::1]:9464');
    if (host === '') host = '127.0.0.1';
    else if (isIP(host) !== 4 && !HOST_NAME.test(host)) throw bad(`"${host}" is not an address or host name`);
  }
  if (!/^\d{1,5}$/.test(portText)) throw bad(`the port "${portText}" is not a number`);
  const port = Number(portText);
  if (port > 65535) throw bad(`the port ${port} is above 65535`);
  return { host, port };
}

/** Like parseListenAddress, but "off" (or "none", "false", "") turns the server off. */
export function parseMetricsAddr(value: string): MetricsAddr {
  if (/^(off|none|false|)$/i.test(value.trim())) return 'off';
  return parseListenAddress(value);
}

/** "127.0.0.1:9464", "[::1]:9464". */
export function formatListenAddress(a: ListenAddress): string {
  return isIP(a.host) === 6 ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`;
}

/** The --metrics-addr flag for `snapshot-guard watch`: its parsed value is a MetricsAddr. */
export function metricsAddrOption(): Option {
  return new Option(
    '--metrics-addr <host:port|off>',
    'where /metrics, /healthz and /readyz listen; ":PORT" means 127.0.0.1, "0.0.0.0:PORT" all interfaces, "off" none',
  )
    .env('SNAPSHOT_GUARD_METRICS_ADDR')
    .argParser(parseMetricsAddr)
    .default(parseListenAddress(DEFAULT_METRICS_ADDR), DEFAULT_METRICS_ADDR);
}
