/**
 * `netloom import FILE [--from containerlab|core] [-o OUT] [--name N] [--json]` and
 * `netloom export FILE --to containerlab [-o OUT]`: file I/O around the pure importers/exporter. The
 * report goes to stderr (stdout with -o). Exit codes: 0 ok, 2 refused or bad usage.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { stringify } from 'yaml';
import { ForeignFormat } from '../../shared';
import { readLabFile } from '../store/labFiles';
import { exportContainerlab, formatReport, ImportRefused, importTopology } from './index';

const USAGE = `Usage:
  netloom import FILE [--from containerlab|core] [-o OUT] [--name NAME] [--json]
  netloom export FILE --to containerlab [-o OUT]`;

interface Opts {
  file?: string;
  values: Map<string, string>;
  flags: Set<string>;
}

function parse(args: string[]): Opts | string {
  const o: Opts = { values: new Map(), flags: new Set() };
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const key = a === '-o' ? 'output' : a.startsWith('--') ? a.slice(2) : undefined;
    if (key === 'json' || key === 'verbose' || key === 'help') o.flags.add(key);
    else if (key !== undefined) {
      const [k, inline] = key.split('=', 2) as [string, string | undefined];
      const v = inline ?? args[++i];
      if (v === undefined) return `--${k} needs a value`;
      o.values.set(k, v);
    } else if (o.file === undefined) o.file = a;
    else return `unexpected argument "${a}"`;
  }
  return o;
}

const readInput = async (file: string): Promise<string> => {
  if (file !== '-') return readFile(file, 'utf8');
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
};

export async function runInterop(cmd: 'import' | 'export', args: string[]): Promise<number> {
  const o = parse(args);
  if (typeof o === 'string' || o.flags.has('help') || !o.file) {
    process.stderr.write(`${typeof o === 'string' ? `netloom ${cmd}: ${o}\n` : ''}${USAGE}\n`);
    return typeof o !== 'string' && o.flags.has('help') ? 0 : 2;
  }
  return cmd === 'import' ? runImport(o) : runExport(o);
}

async function runImport(o: Opts): Promise<number> {
  const from = o.values.get('from');
  if (from !== undefined && !ForeignFormat.safeParse(from).success) {
    process.stderr.write(`netloom import: --from is containerlab or core, not "${from}"\n`);
    return 2;
  }
  let text: string;
  try {
    text = await readInput(o.file!);
  } catch (e) {
    process.stderr.write(`netloom import: cannot read ${o.file}: ${(e as Error).message}\n`);
    return 2;
  }
  try {
    const r = importTopology(text, {
      filename: o.file === '-' ? '-' : basename(o.file!),
      // containerlab substitutes ${VAR} from the environment of whoever runs it: here, this shell's.
      env: process.env,
      ...(from ? { from: from as ForeignFormat } : {}),
      ...(o.values.get('name') ? { name: o.values.get('name')! } : {}),
    });
    const doc = r.layout ? { lab: r.lab, layout: r.layout } : r.lab;
    const output = o.values.get('output');
    if (o.flags.has('json')) {
      const json = `${JSON.stringify({ lab: r.lab, ...(r.layout ? { layout: r.layout } : {}), report: r.report }, null, 2)}\n`;
      if (output) await writeFile(output, stringify(doc));
      process.stdout.write(json);
      return 0;
    }
    const report = formatReport(r.report, { verbose: o.flags.has('verbose') });
    if (output) {
      await writeFile(output, stringify(doc));
      process.stdout.write(`${report}wrote ${output}\n`);
    } else {
      process.stdout.write(stringify(doc));
      process.stderr.write(report);
    }
    return 0;
  } catch (e) {
    if (e instanceof ImportRefused) {
      process.stderr.write(`netloom import: ${o.file} refused (${e.construct}): ${e.message}\n`);
      return 2;
    }
    throw e;
  }
}

async function runExport(o: Opts): Promise<number> {
  const to = o.values.get('to') ?? 'containerlab';
  if (to !== 'containerlab') {
    process.stderr.write(`netloom export: --to containerlab is the only target, not "${to}"\n`);
    return 2;
  }
  let lab: Awaited<ReturnType<typeof readLabFile>>;
  try {
    lab = await readLabFile(o.file!);
  } catch (e) {
    process.stderr.write(`netloom export: ${o.file}: ${(e as Error).message}\n`);
    return 2;
  }
  const r = exportContainerlab(lab.lab, lab.layout);
  const output = o.values.get('output');
  if (output) {
    await writeFile(output, r.text);
    process.stdout.write(
      `wrote ${output}${r.notes.length ? `\n${r.notes.map((n) => `not exported: ${n}`).join('\n')}` : ''}\n`,
    );
  } else {
    process.stdout.write(r.text);
    for (const n of r.notes) process.stderr.write(`not exported: ${n}\n`);
  }
  return 0;
}
