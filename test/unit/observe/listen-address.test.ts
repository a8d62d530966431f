/** --metrics-addr parsing: the accepted forms, "off", and one clear error for everything else. */
import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { UserError } from '../../../src/errors.js';
import {
  formatListenAddress,
  metricsAddrOption,
  parseListenAddress,
  parseMetricsAddr,
} from '../../../src/observe/listen-address.js';

describe('parseListenAddress', () => {
  it.each([
    ['127.0.0.1:9464', { host: '127.0.0.1', port: 9464 }],
    ['0.0.0.0:9464', { host: '0.0.0.0', port: 9464 }],
    ['[::1]:9464', { host: '::1', port: 9464 }],
    ['[::]:80', { host: '::', port: 80 }],
    ['localhost:0', { host: 'localhost', port: 0 }],
    ['metrics.internal:65535', { host: 'metrics.internal', port: 65535 }],
    // An empty host is loopback, never "every interface".
    [':9464', { host: '127.0.0.1', port: 9464 }],
  ])('%s', (input, expected) => {
    expect(parseListenAddress(input)).toEqual(expected);
  });

  it.each([
    ['9464', 'the port is missing'],
    ['127.0.0.1', 'the port is missing'],
    ['127.0.0.1:', 'the port "" is not a number'],
    ['127.0.0.1:http', 'the port "http" is not a number'],
    ['127.0.0.1:70000', 'the port 70000 is above 65535'],
    ['::1:9464', 'write an IPv6 address in brackets'],
    ['[::1]', 'an IPv6 address goes in brackets followed by :PORT'],
    ['[127.0.0.1]:9464', '"127.0.0.1" is not an IPv6 address'],
    ['bad_host!:9464', '"bad_host!" is not an address or host name'],
    ['http://127.0.0.1:9464', 'give only HOST:PORT, without a scheme or path'],
  ])('refuses %s', (input, why) => {
    let err: unknown;
    try {
      parseListenAddress(input);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UserError);
    const message = (err as UserError).message;
    expect(message).toContain(`--metrics-addr "${input}" is not a listen address`);
    expect(message).toContain(why);
    expect(message).toContain('use HOST:PORT such as 127.0.0.1:9464');
    expect(message).not.toContain('\n');
    expect((err as UserError).exitCode).toBe(2);
  });
});

describe('parseMetricsAddr and the --metrics-addr option', () => {
  it('"off" disables the server', () => {
    expect(parseMetricsAddr('off')).toBe('off');
    expect(parseMetricsAddr('OFF')).toBe('off');
    expect(parseMetricsAddr('[::1]:1')).toEqual({ host: '::1', port: 1 });
  });

  it('formats addresses back, IPv6 in brackets', () => {
    expect(formatListenAddress({ host: '::1', port: 9464 })).toBe('[::1]:9464');
    expect(formatListenAddress({ host: '127.0.0.1', port: 9464 })).toBe('127.0.0.1:9464');
  });

  function parse(args: string[], env: Record<string, string> = {}): unknown {
    const saved = process.env.SNAPSHOT_GUARD_METRICS_ADDR;
    if (env.SNAPSHOT_GUARD_METRICS_ADDR)
      process.env.SNAPSHOT_GUARD_METRICS_ADDR = env.SNAPSHOT_GUARD_METRICS_ADDR;
    try {
      const cmd = new Command('watch').addOption(metricsAddrOption()).exitOverride();
      cmd.parse(args, { from: 'user' });
      return cmd.opts().metricsAddr;
    } finally {
      if (saved === undefined) delete process.env.SNAPSHOT_GUARD_METRICS_ADDR;
      else process.env.SNAPSHOT_GUARD_METRICS_ADDR = saved;
    }
  }

  it('defaults to 127.0.0.1:9464, accepts off, and reads SNAPSHOT_GUARD_METRICS_ADDR', () => {
    expect(parse([])).toEqual({ host: '127.0.0.1', port: 9464 });
    expect(parse(['--metrics-addr', 'off'])).toBe('off');
    expect(parse(['--metrics-addr', '0.0.0.0:9100'])).toEqual({ host: '0.0.0.0', port: 9100 });
    expect(parse([], { SNAPSHOT_GUARD_METRICS_ADDR: '[::1]:9200' })).toEqual({ host: '::1', port: 9200 });
    expect(() => parse(['--metrics-addr', 'nonsense'])).toThrow(UserError);
  });
});
