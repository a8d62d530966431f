/** Network exposure, authentication and TLS. */
import { isTrue } from '../flags.js';
import { lookup, shown, type ServerConfig } from '../config.js';
import type { Finding } from '../findings.js';
import { beyondLoopback, bindLookup, exposure, hasPassword, tlsOn } from './exposure.js';

export function networkChecks(cfg: ServerConfig): Finding[] {
  const out: Finding[] = [];
  const e = exposure(cfg);
  const password = hasPassword(cfg);
  const tls = tlsOn(cfg);
  const redis = cfg.kind === 'redis';

  if (e === 'all') {
    out.push({
      id: 'network.bind',
      severity: password === false ? 'high' : tls ? 'low' : 'medium',
      threat: 'unauthorised access',
      evidence: `${shown(cfg, 'bind', bindLookup(cfg))}: listening on every interface${password === false ? ', without a password' : ''}`,
      fix: `--bind 127.0.0.1 when only local clients connect, else --bind <the one private address clients use>${redis ? ' (and protected-mode yes)' : ''}`,
    });
  }

  const adminPort = lookup(cfg, 'admin_port');
  if (!redis && adminPort.state === 'set' && !/^0*$/.test(adminPort.value.trim())) {
    const adminBind = lookup(cfg, 'admin_bind');
    const loopback =
      adminBind.state === 'set' && /^(127\.\d+\.\d+\.\d+|::1|localhost)$/.test(adminBind.value.trim());
    if (!loopback) {
      const np = lookup(cfg, 'admin_nopass');
      const nopass = np.state === 'set' && isTrue(np.value);
      out.push({
        id: 'network.admin-port',
        severity: nopass || password === false ? 'critical' : 'high',
        threat: 'command abuse',
        evidence: `--admin_port=${adminPort.value} (${adminPort.source}) with ${shown(cfg, 'admin_bind', adminBind)}${nopass ? ' and --admin_nopass' : ''}: the admin port runs restricted commands and is reachable beyond this host`,
        fix: '--admin_bind 127.0.0.1 (and drop --admin_nopass)',
      });
    }
  }

  if (password === false) {
    const reach = beyondLoopback(e) || e === 'unknown';
    out.push({
      id: 'auth.password',
      severity: reach ? 'critical' : e === 'none' ? 'low' : 'medium',
      threat: 'unauthorised access',
      evidence: `no password: ${shown(cfg, 'requirepass', lookup(cfg, 'requirepass'))}${redis ? '' : ', no DFLY_PASSWORD'}, no --aclfile: ${reach ? 'anyone who reaches the port' : 'every local user and process'} can read and change all data`,
      fix: redis
        ? '--requirepass from a secret file (or an ACL file: --aclfile /etc/redis/users.acl)'
        : 'set DFLY_PASSWORD in the service environment from a secret (or --requirepass, or ACL users with --aclfile)',
    });
  }

  if (cfg.live?.unauthenticated === 'allowed') {
    out.push({
      id: 'auth.live-unauthenticated',
      severity: 'critical',
      threat: 'unauthorised access',
      evidence: `${cfg.live.url}: ${cfg.live.unauthenticatedEvidence}`,
      fix: redis
        ? 'set requirepass (CONFIG SET requirepass, then persist it in the config file) or ACL users'
        : 'restart Dragonfly with DFLY_PASSWORD (or --requirepass / --aclfile)',
    });
  }

  if (beyondLoopback(e) && !tls) {
    out.push({
      id: 'tls.client',
      severity: password === false ? 'high' : 'medium',
      threat: 'data breach',
      evidence: `reachable beyond loopback (${shown(cfg, 'bind', bindLookup(cfg))}) without TLS: passwords and data cross the network in clear text`,
      fix: redis
        ? '--tls-port 6379 --port 0 --tls-cert-file … --tls-key-file … --tls-ca-cert-file …'
        : '--tls --tls_cert_file=/etc/dragonfly/tls/server.crt --tls_key_file=/etc/dragonfly/tls/server.key (--tls_ca_cert_file to require client certificates)',
    });
  }

  const replicaof = lookup(cfg, 'replicaof');
  const role = cfg.live?.info.role;
  const replicas = Number(cfg.live?.info.connected_slaves ?? '0');
  const replicating =
    (replicaof.state === 'set' &&
      replicaof.value.trim() !== '' &&
      !/^no\s+one$/i.test(replicaof.value.trim())) ||
    role === 'slave' ||
    role === 'replica' ||
    replicas > 0;
  const tlsRepl = lookup(cfg, 'tls_replication');
  if (replicating && !(tlsRepl.state === 'set' && isTrue(tlsRepl.value))) {
    out.push({
      id: 'tls.replication',
      severity: 'medium',
      threat: 'data breach',
      evidence: `replication in use (${replicaof.state === 'set' ? shown(cfg, 'replicaof', replicaof) : `INFO role:${role ?? '?'}, connected_slaves:${replicas}`}) without ${shown(cfg, 'tls_replication', tlsRepl)}: the whole dataset crosses the network in clear text`,
      fix: redis
        ? '--tls-replication yes (with TLS configured)'
        : '--tls_replication=true (with --tls and its certificate flags)',
    });
  }
  return out;
}
