/**
 * Exec lines → simple commands (argv arrays), the way containerlab runs them: a line is split like
 * google/shlex (quotes and backslashes, no shell: `&&` or `$X` reach the program literally); a line that
 * starts a shell with `-c` (sh, bash, ash, …) has its script parsed by a real shell parser (mvdan-sh):
 * `&&`, `;`, newlines, `||`, pipes, redirections, variable assignments and `$VAR` from the node's env.
 * Control flow and command substitution are reported, never guessed. Pure; runs nothing.
 */
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { ShNode, ShSyntax } from 'mvdan-sh';
import { split as shlexSplit } from 'shlex';
import { REPO_ROOT } from '../paths';

/**
 * mvdan-sh (1.5 MB of GopherJS) is required on the first shell script, not imported: the compiled CLI
 * then does not compile it at every start (scripts/build-server.mjs leaves it out of the bundle).
 */
let shSyntax: ShSyntax | undefined;
const syntaxOf = (): ShSyntax =>
  (shSyntax ??= (createRequire(join(REPO_ROOT, 'package.json'))('mvdan-sh') as { syntax: ShSyntax }).syntax);

export interface Command {
  argv: string[];
  /** The command as written, for the report. */
  text: string;
  /** Where stdout goes (`> FILE`, `>> FILE`, `| tee FILE`), for `echo 1 > /proc/sys/…`. */
  stdoutTo?: string;
}

export type Piece = { kind: 'command'; command: Command } | { kind: 'skipped'; text: string; why: string };

const SHELLS = new Set(['sh', 'bash', 'ash', 'dash', 'zsh', 'ksh', 'mksh']);
/** Prefixes that run the rest of the line as the command. */
const WRAPPERS = new Set(['sudo', 'exec', 'command', 'nohup', 'busybox', 'doas']);
const SHELL_OPERATORS = new Set(['&&', '||', ';', '|', '&', '>', '>>', '<', '2>&1', '2>', '&>', '1>']);
const MAX_DEPTH = 4;

const basename = (p: string) => p.slice(p.lastIndexOf('/') + 1);
const oneLine = (s: string) => s.replace(/\s+/g, ' ').trim();

/** The commands one exec line runs, in order, with the parts that cannot be read as commands. */
export function execCommands(line: string, env: Readonly<Record<string, string>>, depth = 0): Piece[] {
  let argv: string[];
  try {
    argv = shlexSplit(line);
  } catch (e) {
    return [{ kind: 'skipped', text: oneLine(line), why: `cannot be split into words: ${(e as Error).message}` }];
  }
  return fromArgv(argv, oneLine(line), env, depth);
}

function fromArgv(words: string[], text: string, env: Readonly<Record<string, string>>, depth: number): Piece[] {
  const argv = unwrap(words);
  if (argv.length === 0) return [{ kind: 'skipped', text, why: 'runs nothing' }];
  const program = basename(argv[0]!);
  if (SHELLS.has(program)) {
    const script = shellScript(argv);
    if (script === null)
      return [
        {
          kind: 'skipped',
          text,
          why: `runs a shell script file (${argv.slice(1).join(' ') || 'stdin'}) from the container image, which Netloom cannot read`,
        },
      ];
    if (depth >= MAX_DEPTH) return [{ kind: 'skipped', text, why: 'shells nested too deeply' }];
    return scriptCommands(script, env, depth + 1);
  }
  const op = argv.find((w) => SHELL_OPERATORS.has(w));
  if (op !== undefined)
    return [
      {
        kind: 'skipped',
        text,
        why: `containerlab runs exec lines without a shell, so "${op}" reaches ${program} as an argument and the command fails; wrap the line in sh -c '…'`,
      },
    ];
  return [{ kind: 'command', command: { argv: [program, ...argv.slice(1)], text } }];
}

/** Drops `sudo`, `exec`, `env A=1`, … in front of the real command. */
function unwrap(argv: string[]): string[] {
  let a = argv;
  for (let guard = 0; guard < 8 && a.length > 0; guard++) {
    const p = basename(a[0]!);
    if (WRAPPERS.has(p)) a = a.slice(1);
    else if (p === 'env') {
      let i = 1;
      while (i < a.length && (/^[A-Za-z_][A-Za-z0-9_]*=/.test(a[i]!) || a[i]!.startsWith('-'))) i++;
      a = a.slice(i);
    } else break;
  }
  return a;
}

/** The script of `sh [opts] -c SCRIPT …`, or null when the shell runs a file. */
function shellScript(argv: string[]): string | null {
  let hasC = false;
  let i = 1;
  for (; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') {
      i++;
      break;
    }
    if (a === '-o' || a === '+o') {
      i++;
      continue;
    }
    if (!/^[-+][A-Za-z]+$/.test(a)) break;
    if (a.startsWith('-') && a.includes('c')) hasC = true;
  }
  return hasC && i < argv.length ? argv[i]! : null;
}

const OP_AND = 10;
const OP_OR = 11;
const OP_PIPE = 12;
const OP_PIPE_ALL = 13;
const RDR_OUT = 54;
const RDR_APPEND = 55;
const RDR_ALL = 64;

type Vars = Record<string, string>;

class Unresolved extends Error {}

function scriptCommands(script: string, env: Readonly<Record<string, string>>, depth: number): Piece[] {
  const syntax = syntaxOf();
  let file: ShNode;
  try {
    file = syntax.NewParser().Parse(script, 'exec');
  } catch (e) {
    const msg = (e as { Error?: () => string }).Error?.() ?? String(e);
    return [{ kind: 'skipped', text: oneLine(script), why: `not a valid shell script: ${msg}` }];
  }
  const vars: Vars = { ...env };
  const out: Piece[] = [];
  const textOf = (n: ShNode) => oneLine(script.slice(n.Pos().Offset(), n.End().Offset()));

  function word(w: ShNode, scope: Vars): string {
    return ((w.Parts as ShNode[]) ?? []).map((p) => part(p, scope)).join('');
  }
  function part(p: ShNode, scope: Vars): string {
    switch (syntax.NodeType(p)) {
      case 'Lit':
      case 'SglQuoted':
        return String(p.Value ?? '');
      case 'DblQuoted':
        return ((p.Parts as ShNode[]) ?? []).map((q) => part(q, scope)).join('');
      case 'ParamExp': {
        const name = String((p.Param as ShNode | null)?.Value ?? '');
        if (p.Exp || p.Repl || p.Slice || p.Index || p.Length || p.Excl || p.Names)
          throw new Unresolved(`uses a \${${name}…} expansion with an operator, which Netloom does not evaluate`);
        const v = scope[name];
        if (v === undefined) throw new Unresolved(`uses $${name}, which the node's env does not set`);
        return v;
      }
      case 'CmdSubst':
        throw new Unresolved('uses command substitution $(…), whose output Netloom cannot know');
      case 'ArithmExp':
        throw new Unresolved('uses arithmetic expansion $((…))');
      default:
        throw new Unresolved(`uses a ${syntax.NodeType(p)} expansion, which Netloom does not evaluate`);
    }
  }

  function stmt(s: ShNode, scope: Vars): void {
    const cmd = s.Cmd as ShNode | null;
    if (!cmd) return;
    const kind = syntax.NodeType(cmd);
    switch (kind) {
      case 'CallExpr':
        call(s, cmd, scope);
        return;
      case 'BinaryCmd': {
        const op = Number(cmd.Op);
        const x = cmd.X as ShNode;
        const y = cmd.Y as ShNode;
        if (op === OP_AND) {
          stmt(x, scope);
          stmt(y, scope);
        } else if (op === OP_OR) {
          stmt(x, scope);
          out.push({ kind: 'skipped', text: textOf(y), why: 'runs only when the command before "||" fails' });
        } else if (op === OP_PIPE || op === OP_PIPE_ALL) {
          pipe(x, y, scope);
        } else out.push({ kind: 'skipped', text: textOf(cmd), why: 'an operator Netloom does not evaluate' });
        return;
      }
      case 'Block':
        for (const t of cmd.Stmts as ShNode[]) stmt(t, scope);
        return;
      case 'Subshell': {
        const inner = { ...scope };
        for (const t of cmd.Stmts as ShNode[]) stmt(t, inner);
        return;
      }
      case 'DeclClause':
        for (const a of (cmd.Args as ShNode[]) ?? []) assign(a, scope);
        return;
      default:
        out.push({
          kind: 'skipped',
          text: textOf(cmd),
          why: `shell ${describeConstruct(kind)} is not evaluated (Netloom reads straight-line commands only)`,
        });
    }
  }

  function assign(a: ShNode, scope: Vars): void {
    const name = String((a.Name as ShNode | null)?.Value ?? '');
    if (!name) return;
    try {
      scope[name] = a.Value ? word(a.Value as ShNode, scope) : '';
    } catch {
      delete scope[name];
    }
  }

  function call(s: ShNode, cmd: ShNode, scope: Vars): void {
    const args = (cmd.Args as ShNode[]) ?? [];
    const assigns = (cmd.Assigns as ShNode[]) ?? [];
    if (args.length === 0) {
      for (const a of assigns) assign(a, scope);
      return;
    }
    const local = { ...scope };
    for (const a of assigns) assign(a, local);
    let argv: string[];
    let stdoutTo: string | undefined;
    try {
      argv = args.map((w) => word(w, local));
      for (const r of (s.Redirs as ShNode[]) ?? []) {
        const op = Number(r.Op);
        const fd = (r.N as ShNode | null)?.Value;
        if ((op === RDR_OUT || op === RDR_APPEND || op === RDR_ALL) && (fd === undefined || fd === '1'))
          stdoutTo = word(r.Word as ShNode, local);
      }
    } catch (e) {
      if (!(e instanceof Unresolved)) throw e;
      out.push({ kind: 'skipped', text: textOf(cmd), why: e.message });
      return;
    }
    const text = textOf(s);
    const inner = unwrap(argv);
    if (inner.length === 0) return;
    if (SHELLS.has(basename(inner[0]!))) {
      out.push(...fromArgv(argv, text, local, depth));
      return;
    }
    out.push({
      kind: 'command',
      command: { argv: [basename(inner[0]!), ...inner.slice(1)], text, ...(stdoutTo ? { stdoutTo } : {}) },
    });
  }

  /** `echo 1 | tee /proc/sys/…` is a write; any other pipeline runs both sides for their own effects. */
  function pipe(x: ShNode, y: ShNode, scope: Vars): void {
    const yc = y.Cmd as ShNode | null;
    if (yc && syntax.NodeType(yc) === 'CallExpr') {
      try {
        const argv = ((yc.Args as ShNode[]) ?? []).map((w) => word(w, scope));
        if (basename(argv[0] ?? '') === 'tee') {
          const file = argv.slice(1).find((a) => !a.startsWith('-'));
          const before = out.length;
          stmt(x, scope);
          const last = out[out.length - 1];
          if (file && out.length === before + 1 && last?.kind === 'command') last.command.stdoutTo = file;
          return;
        }
      } catch {
        /* fall through: both sides as they are */
      }
    }
    stmt(x, scope);
    stmt(y, scope);
  }

  for (const s of (file.Stmts as ShNode[]) ?? []) stmt(s, vars);
  return out;
}

function describeConstruct(kind: string): string {
  switch (kind) {
    case 'IfClause':
      return 'if/then';
    case 'ForClause':
      return 'for loop';
    case 'WhileClause':
      return 'while loop';
    case 'CaseClause':
      return 'case';
    case 'FuncDecl':
      return 'function definition';
    default:
      return kind;
  }
}
