/** One audit: read every source given, probe the live server, check, and set accepted findings aside. */
import { UserError } from '../errors.js';
import { CHECK_IDS, runChecks } from './checks/index.js';
import { applyEnvironment, applyFlags, emptyConfig, type ServerConfig, type ServerKind } from './config.js';
import { directoryFacts } from './directory.js';
import { severityRank, type AcceptedFinding, type Finding } from './findings.js';
import { probe } from './live.js';
import { fromCommandLine, fromFlagfile, fromProcess, readEnvFile, type FlagSource } from './sources.js';

export interface AuditInputs {
  flagfiles?: string[];
  cmdline?: string;
  pid?: number;
  envFile?: string;
  dragonflyUrl?: string;
  dir?: string;
  allowGroupAccess?: boolean;
  server?: ServerKind | 'auto';
  rpoSeconds?: number;
  /** Check id → the operator's reason for accepting its finding. */
  accept?: Map<string, string>;
}

export interface AuditReport {
  server: ServerKind;
  serverFrom: string;
  sources: string[];
  /** Open findings, most severe first. */
  findings: Finding[];
  accepted: AcceptedFinding[];
  /** Unix seconds. */
  checkedAt: number;
}

export function hasAuditInput(i: AuditInputs): boolean {
  return Boolean(i.flagfiles?.length || i.cmdline || i.pid !== undefined || i.dragonflyUrl || i.dir);
}

/** "network.bind=we are behind a firewall" → [id, reason]; ids are checked against the known checks. */
export function parseAccept(value: string): [string, string] {
  const i = value.indexOf('=');
  const id = (i < 0 ? value : value.slice(0, i)).trim();
  const reason = i < 0 ? '' : value.slice(i + 1).trim();
  if (!reason)
    throw new UserError(
      `--accept needs a reason: --accept ${id || 'CHECK_ID'}="why this is acceptable here"`,
      2,
    );
  if (!(CHECK_IDS as readonly string[]).includes(id) && !/^flag\.[A-Za-z0-9_.-]+$/.test(id)) {
    throw new UserError(
      `--accept ${id}: no such check; the ids are listed in docs/AUDIT.md (and flag.<name> for a flag that does not exist)`,
      2,
    );
  }
  return [id, reason];
}

function kindOf(program: string | undefined): ServerKind | undefined {
  if (!program) return undefined;
  if (/^(redis|valkey)-server/.test(program)) return 'redis';
  if (/dragonfly/.test(program)) return 'dragonfly';
  return undefined;
}

export async function runAudit(inputs: AuditInputs, now: () => number = Date.now): Promise<AuditReport> {
  if (!hasAuditInput(inputs)) {
    throw new UserError(
      'nothing to audit: give --flagfile, --cmdline, --pid, --dragonfly-url and/or --dir',
      2,
    );
  }
  const sources: FlagSource[] = [];
  for (const f of inputs.flagfiles ?? []) sources.push(await fromFlagfile(f));
  if (inputs.cmdline !== undefined) sources.push(await fromCommandLine(inputs.cmdline));
  if (inputs.pid !== undefined) sources.push(await fromProcess(inputs.pid));
  const live = inputs.dragonflyUrl ? await probe(inputs.dragonflyUrl) : undefined;

  const cfg: ServerConfig = emptyConfig();
  const fromProgram = sources.map((s) => ({ kind: kindOf(s.program), s })).find((x) => x.kind);
  if (inputs.server && inputs.server !== 'auto') {
    cfg.kind = inputs.server;
    cfg.kindSource = '--server';
  } else if (fromProgram?.kind) {
    cfg.kind = fromProgram.kind;
    cfg.kindSource = `program ${fromProgram.s.program ?? ''}`;
  } else if (live?.kind) {
    cfg.kind = live.kind;
    cfg.kindSource = `INFO from ${live.facts.url}`;
  } else {
    cfg.kindSource = 'assumed; pass --server redis for Redis or Valkey';
  }

  for (const s of sources) {
    cfg.sources.push(s.description);
    if (s.complete) cfg.flagsKnown = true;
    applyFlags(cfg, s.flags);
    if (s.uid !== undefined) cfg.processUid = s.uid;
  }
  for (const s of sources) if (s.env) applyEnvironment(cfg, s.env, s.envWhere ?? 'environment');
  if (inputs.envFile)
    applyEnvironment(cfg, await readEnvFile(inputs.envFile), `--env-file ${inputs.envFile}`);
  if (inputs.envFile) cfg.sources.push(`--env-file ${inputs.envFile}`);
  if (live) {
    cfg.live = live.facts;
    cfg.sources.push(`live ${live.facts.url}`);
    // The running server's values win over files that may have changed since it started.
    for (const [k, v] of live.settings) cfg.settings.set(k, v);
  }
  if (inputs.dir) {
    cfg.dir = await directoryFacts(inputs.dir, Boolean(inputs.allowGroupAccess));
    cfg.sources.push(`--dir ${inputs.dir}`);
  }

  const all = runChecks(cfg, { rpoSeconds: inputs.rpoSeconds }).sort(
    (a, b) => severityRank(b.severity) - severityRank(a.severity),
  );
  const accept = inputs.accept ?? new Map<string, string>();
  const findings: Finding[] = [];
  const accepted: AcceptedFinding[] = [];
  for (const f of all) {
    const reason = accept.get(f.id);
    if (reason === undefined) findings.push(f);
    else accepted.push({ ...f, reason });
  }
  return {
    server: cfg.kind,
    serverFrom: cfg.kindSource,
    sources: cfg.sources,
    findings,
    accepted,
    checkedAt: Math.floor(now() / 1000),
  };
}
