/**
 * `netloom plan|up|down|status|gc|recover`: the engine from a terminal (host mode; honours
 * NETLOOM_SANDBOX_PID to work inside a running sandbox). Lab files are YAML or JSON. Exit codes: 0 ok,
 * 1 failure (rolled back) or plan-time conflict, 2 invalid lab or usage. Prints; never decides anything.
 */
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { Lab } from '../../shared';
import { validate } from '../../shared/validate';
import { DocumentError } from '../util/documents';
import { parseDocumentTextAsync } from '../util/documentsAsync';
import type { ApplyOutcome, CommandRunner, Engine, Progress } from './contract';
import { openEngine } from './engine';
import { observe } from './observe';
import { hostRunner, prefixedRunner } from './runner';
import { requireSandboxHolder } from './sandboxAttach';

export function defaultStateDir(): string {
  if (process.env.NETLOOM_STATE_DIR) return process.env.NETLOOM_STATE_DIR;
  return process.getuid?.() === 0 ? '/var/lib/netloom' : join(homedir(), '.local', 'state', 'netloom');
}

/** The host, or the sandbox of NETLOOM_SANDBOX_PID — only when that PID is a sandbox holder (else throws). */
export function cliRunner(): CommandRunner {
  const text = process.env.NETLOOM_SANDBOX_PID;
  if (text === undefined || text === '') return hostRunner();
  const pid = requireSandboxHolder(text, 'NETLOOM_SANDBOX_PID');
  return prefixedRunner(['nsenter', '-t', String(pid), '-n', '-m', '--'], 'sandbox');
}

interface Args {
  positional: string[];
  flags: Set<string>;
}
function parseArgs(args: string[]): Args {
  const positional: string[] = [];
  const flags = new Set<string>();
  for (const a of args) {
    if (a.startsWith('--')) flags.add(a.slice(2));
    else positional.push(a);
  }
  return { positional, flags };
}

const out = (s: string) => process.stdout.write(`${s}\n`);
const err = (s: string) => process.stderr.write(`${s}\n`);

/** A lab file's text → data, bounded (server/util/documents.ts): a refusal names the limit. */
async function parseFile(file: string): Promise<unknown> {
  const format = file.endsWith('.json') ? 'json' : /\.ya?ml$/.test(file) ? 'yaml' : 'auto';
  return parseDocumentTextAsync(await readFile(file, 'utf8'), { format, label: file });
}

/** Reads and validates a lab file; prints the issues and returns null when it is not valid. */
async function readLab(file: string | undefined): Promise<Lab | null> {
  if (!file) {
    err('netloom: a lab file is required');
    return null;
  }
  let data: unknown;
  try {
    data = await parseFile(file);
  } catch (e) {
    err(e instanceof DocumentError ? `netloom: ${e.message}` : `netloom: cannot read ${file}: ${(e as Error).message}`);
    return null;
  }
  const v = validate(data);
  if (!v.ok) {
    err(`netloom: ${file} is not a valid lab:`);
    for (const i of v.issues.filter((x) => x.severity === 'error'))
      err(`  ${i.path.join('.') || '(root)'}: ${i.message}`);
    return null;
  }
  return v.lab;
}

function printOutcome(what: string, o: ApplyOutcome): number {
  if (o.ok) {
    out(`${what}: ok — ${o.ran} operation${o.ran === 1 ? '' : 's'} in ${o.durationMs.toFixed(0)} ms`);
    return 0;
  }
  const e = o.error!;
  err(`${what}: ${e.code}: ${e.message}`);
  if (e.argv?.length) err(`  command: ${e.argv.join(' ')}`);
  if (e.object) err(`  object:  ${e.object}`);
  if (e.stderr) err(`  stderr:  ${e.stderr.split('\n').join('\n           ')}`);
  err(`  rolled back: ${e.rolledBack ? 'yes, the host is as it was' : 'no'}`);
  return e.code === 'InvalidLab' ? 2 : 1;
}

function progressPrinter(): (p: Progress) => void {
  const t0 = performance.now();
  return (p) => {
    const t = `${(performance.now() - t0).toFixed(0).padStart(6)} ms`;
    if (p.phase === 'execute' && p.command) out(`${t}  [${p.step}/${p.total}] ${p.command}`);
    else if (p.phase !== 'execute') out(`${t}  ${p.phase}`);
  };
}

/** NETLOOM_DRIVER: `ip-batch` (default for the CLI: nothing to start), `netlink` or `auto`. */
function cliDriver(): 'ip-batch' | 'netlink' | 'auto' {
  const d = process.env.NETLOOM_DRIVER ?? 'ip-batch';
  if (d === 'ip-batch' || d === 'netlink' || d === 'auto') return d;
  throw new Error(`NETLOOM_DRIVER must be one of ip-batch, netlink, auto (got "${d}")`);
}

export async function runEngineCommand(cmd: string, args: string[]): Promise<number> {
  const opened: Engine[] = [];
  try {
    return await engineCommand(cmd, args, async (probe = false) => {
      const e = await openEngine({
        stateDir: defaultStateDir(),
        runner: cliRunner(),
        skipProbe: !probe,
        driver: cliDriver(),
      });
      opened.push(e);
      return e;
    });
  } finally {
    for (const e of opened) await e.close();
  }
}

async function engineCommand(cmd: string, args: string[], open: (probe?: boolean) => Promise<Engine>): Promise<number> {
  const { positional, flags } = parseArgs(args);
  const stateDir = defaultStateDir();
  const runner = cliRunner();
  switch (cmd) {
    case 'plan': {
      const lab = await readLab(positional[0]);
      if (!lab) return 2;
      const engine = await open();
      const p = await engine.plan(lab);
      if (flags.has('json')) out(JSON.stringify(p, null, 2));
      else if (flags.has('script')) process.stdout.write(p.script);
      else {
        for (const e of p.errors) err(`error: ${e.code}: ${e.message}${e.path ? ` (${e.path})` : ''}`);
        if (!p.errors.length && !p.operations.length) out(`lab '${lab.name}': the host already matches; nothing to do`);
        for (const op of p.operations) {
          out(`${String(op.index + 1).padStart(3)}. ${op.kind.padEnd(20)} ${op.object}: ${op.reason}`);
          out(`     $ ${op.argv.join(' ')}`);
        }
      }
      return p.errors.length ? (p.errors.some((e) => e.code === 'InvalidLab') ? 2 : 1) : 0;
    }
    case 'up': {
      const lab = await readLab(positional[0]);
      if (!lab) return 2;
      const t0 = performance.now();
      const engine = await open(true);
      const o = await engine.apply(lab, progressPrinter());
      const code = printOutcome(`up ${lab.name}`, o);
      out(`total ${(performance.now() - t0).toFixed(0)} ms (apply ${o.durationMs.toFixed(0)} ms)`);
      return code;
    }
    case 'down': {
      // The file names the lab; an invalid file still names it well enough to remove what we own.
      let name: string | undefined;
      const lab = await readLab(positional[0]);
      if (lab) name = lab.name;
      else {
        try {
          const raw = (await parseFile(positional[0] ?? '')) as { name?: unknown };
          if (typeof raw?.name === 'string' && /^[a-z][a-z0-9-]{0,31}$/.test(raw.name)) name = raw.name;
        } catch {}
      }
      if (!name) return 2;
      const engine = await open();
      return printOutcome(`down ${name}`, await engine.destroy(name, progressPrinter()));
    }
    case 'status': {
      const lab = await readLab(positional[0]);
      if (!lab) return 2;
      const engine = await open();
      const applied = await engine.appliedLab(lab.name);
      const s = await engine.status(lab, { observed: 0, applied: applied ? 0 : null });
      if (flags.has('json')) out(JSON.stringify(s, null, 2));
      else {
        out(`lab '${lab.name}' at ${s.at} (${applied ? 'applied' : 'not applied'})`);
        for (const [id, o] of Object.entries(s.objects)) {
          const extra = [o.operstate, o.addresses?.join(',')].filter(Boolean).join(' ');
          out(`  ${id.padEnd(24)} ${o.state.padEnd(9)} ${extra}`);
          for (const c of o.conditions.filter((c) => c.type !== 'Ready')) out(`      ${c.reason}: ${c.message}`);
          const w = o.wireguard;
          if (w)
            out(
              `      wireguard (${w.mode}) ${w.running ? 'running' : 'down'}, public key ${w.publicKey ?? '-'}, port ${w.listenPort ?? '-'}${w.peers.map((p) => `; peer ${p.publicKey.slice(0, 8)}… ${p.lastHandshakeMs ? `handshake ${new Date(p.lastHandshakeMs).toISOString()}` : 'no handshake'} rx ${p.rxBytes} tx ${p.txBytes}`).join('')}`,
            );
        }
      }
      return 0;
    }
    case 'gc': {
      const engine = await open();
      const known = new Set(await engineAppliedNames(stateDir));
      const obs = await observe(runner);
      const orphans = new Map<string, string[]>();
      const note = (lab: string, what: string) => orphans.set(lab, [...(orphans.get(lab) ?? []), what]);
      for (const [name, ns] of Object.entries(obs.namespaces)) {
        if (ns.marker && !known.has(ns.marker.lab)) note(ns.marker.lab, `namespace ${name}`);
        for (const l of ns.links)
          if (l.ifname !== 'lo' && l.marker && !known.has(l.marker.lab)) note(l.marker.lab, `${l.ifname} in ${name}`);
      }
      for (const l of obs.root.links) if (l.marker && !known.has(l.marker.lab)) note(l.marker.lab, `${l.ifname}`);
      const hidden = await hiddenLeftovers(runner, obs);
      for (const h of hidden) out(`leftover: ${h}`);
      if (hidden.length)
        out(
          'gc never kills a process it did not start: end the process named above to free its namespace (closing a Netloom terminal does)',
        );
      if (!orphans.size) {
        if (!hidden.length) out('nothing to collect: every Netloom object belongs to a known lab');
        return 0;
      }
      for (const [lab, objs] of orphans) out(`lab '${lab}' (unknown to ${stateDir}): ${objs.join(', ')}`);
      if (!flags.has('yes')) {
        out('run `netloom gc --yes` to remove them');
        return 0;
      }
      let code = 0;
      for (const lab of orphans.keys()) code = Math.max(code, printOutcome(`gc ${lab}`, await engine.destroy(lab)));
      return code;
    }
    case 'recover': {
      const engine = await open();
      return printOutcome('recover', await engine.recover());
    }
    default:
      err(`netloom: unknown engine command "${cmd}"`);
      return 2;
  }
}

/**
 * Network namespaces not mounted under /run/netns, held only by a process, that contain Netloom-marked
 * interfaces (issue #13 item 10): found through /proc/PID/ns/net by discovery. Reported, never removed.
 */
async function hiddenLeftovers(
  runner: CommandRunner,
  observed: Awaited<ReturnType<typeof observe>>,
): Promise<string[]> {
  const { discover } = await import('../discovery/discover');
  const d = await discover(runner, { observed });
  const lines: string[] = [];
  for (const ns of d.namespaces) {
    if (ns.source !== 'process') continue;
    const marked = ns.links.filter((l) => l.marker);
    if (!marked.length && !ns.marker) continue;
    const what = marked.map((l) => `${l.ifname} (lab '${l.marker!.lab}', ${l.marker!.object})`);
    lines.push(
      `network namespace held by process ${ns.pid}${ns.comm ? ` (${ns.comm})` : ''}, not under /run/netns, ` +
        `with Netloom-marked ${what.length ? `interfaces: ${what.join(', ')}` : 'loopback'}`,
    );
  }
  return lines;
}

async function engineAppliedNames(stateDir: string): Promise<string[]> {
  const { StateDir } = await import('./journal');
  return new StateDir(stateDir).appliedNames();
}
