/**
 * The engine's on-disk memory in stateDir: the journal of the operation in flight (written atomically —
 * temp file, fsync, rename, fsync dir — before each side effect), the last applied lab per name, and the
 * "recovery required" flag after a failed rollback. An unreadable journal is reported, never acted upon.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, fsync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import type { Lab } from '../../shared';
import { migrateLab } from '../../shared/migrate';
import type { Operation } from './types';

const fsyncAsync = promisify(fsync);

/**
 * The cheap steps are synchronous (a few small files on a local disk, where each awaited fs/promises step
 * would be a thread-pool round trip); the two fsyncs run on the thread pool: on a loaded disk they take
 * tens of ms, and 30 classroom worlds applying at once must not block each other's event loop
 * (bench/classroom.ts --prof: the synchronous fsyncs were ~0.7 s of the server's main thread at start).
 */
export async function atomicWrite(path: string, data: string): Promise<void> {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  const fd = openSync(tmp, 'w', 0o600);
  try {
    writeFileSync(fd, data);
    await fsyncAsync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
  const dir = openSync(dirname(path), 'r');
  try {
    await fsyncAsync(dir);
  } finally {
    closeSync(dir);
  }
}

/** A small state file's text, or null when it does not exist (other errors are thrown). */
function readSmall(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
}

export interface JournalRecord {
  kind: 'apply' | 'destroy';
  lab: string;
  startedAt: string;
  ops: Operation[];
  /** Indices of operations known complete (journaled after their wave). */
  completed: number[];
  /** Indices of operations whose wave has started (they may have partly run). */
  attempted: number[];
}

export type JournalRead =
  | { state: 'empty' }
  | { state: 'ok'; record: JournalRecord }
  | { state: 'unreadable'; error: string };

export interface RecoveryFlag {
  at: string;
  message: string;
  lab: string;
}

export class StateDir {
  constructor(readonly dir: string) {}

  get journalPath(): string {
    return join(this.dir, 'journal.json');
  }
  private get flagPath(): string {
    return join(this.dir, 'recovery-required.json');
  }
  private appliedPath(lab: string): string {
    return join(this.dir, 'applied', `${lab}.json`);
  }

  async init(): Promise<void> {
    await mkdir(join(this.dir, 'applied'), { recursive: true, mode: 0o700 });
  }

  async readJournal(): Promise<JournalRead> {
    let text: string;
    try {
      const t = readSmall(this.journalPath);
      if (t === null) return { state: 'empty' };
      text = t;
    } catch (e) {
      return { state: 'unreadable', error: String(e) };
    }
    if (text.trim() === '') return { state: 'unreadable', error: 'journal is empty' };
    try {
      const r = JSON.parse(text) as JournalRecord;
      if (
        (r.kind !== 'apply' && r.kind !== 'destroy') ||
        !Array.isArray(r.ops) ||
        !Array.isArray(r.completed) ||
        !Array.isArray(r.attempted)
      )
        return { state: 'unreadable', error: 'journal has an unexpected shape' };
      return { state: 'ok', record: r };
    } catch (e) {
      return { state: 'unreadable', error: `journal is not JSON: ${String(e)}` };
    }
  }

  writeJournal(r: JournalRecord): Promise<void> {
    return atomicWrite(this.journalPath, JSON.stringify(r));
  }

  /** Keeps an unreadable journal aside for a person to look at; acts on nothing. */
  async quarantineJournal(): Promise<string> {
    const to = `${this.journalPath}.unreadable-${Date.now()}`;
    await rename(this.journalPath, to).catch(() => {});
    return to;
  }

  async clearJournal(): Promise<void> {
    rmSync(this.journalPath, { force: true });
  }

  async readFlag(): Promise<RecoveryFlag | null> {
    try {
      const t = readSmall(this.flagPath);
      return t === null ? null : (JSON.parse(t) as RecoveryFlag);
    } catch {
      // Unreadable flag: stay on the safe side.
      return { at: new Date(0).toISOString(), message: 'recovery flag is unreadable', lab: '' };
    }
  }
  setFlag(f: RecoveryFlag): Promise<void> {
    return atomicWrite(this.flagPath, JSON.stringify(f));
  }
  async clearFlag(): Promise<void> {
    await rm(this.flagPath, { force: true });
  }

  async readApplied(lab: string): Promise<Lab | null> {
    try {
      // Written by an older Netloom, it is read in today's format (one from a newer one reads as unknown).
      const m = migrateLab(JSON.parse(await readFile(this.appliedPath(lab), 'utf8')));
      return m.ok ? (m.doc as Lab) : null;
    } catch {
      return null;
    }
  }
  /** Written (and synced) only when it differs from what is there: a no-op re-apply writes nothing. */
  async writeApplied(lab: Lab): Promise<void> {
    const text = JSON.stringify(lab);
    const path = this.appliedPath(lab.name);
    let cur: string | null = null;
    try {
      cur = readSmall(path);
    } catch {}
    if (cur === text) return;
    await atomicWrite(path, text);
  }
  async clearApplied(lab: string): Promise<void> {
    await rm(this.appliedPath(lab), { force: true });
  }
  async appliedNames(): Promise<string[]> {
    try {
      return (await readdir(join(this.dir, 'applied'))).filter((f) => f.endsWith('.json')).map((f) => f.slice(0, -5));
    } catch {
      return [];
    }
  }
}
