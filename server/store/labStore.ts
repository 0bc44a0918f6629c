/**
 * Lab store: one JSON file per lab in `<stateDir>/labs/<name>.json` holding {lab, layout, revision,
 * updatedAt, appliedRevision}. Writes are atomic (temp file, fsync, rename, fsync dir) and serialized in
 * process; every document write bumps the revision, and a write carrying a stale base revision is refused.
 * Knows nothing of HTTP or the host.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, rm, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import * as z from 'zod';
import { ExerciseBinding, Lab, LabName, type LabSummary, Layout, lockViolations, migrateLab } from '../../shared';
import { AppError } from '../errors';
import type { Logger } from '../log';

export const StoredLab = z.strictObject({
  lab: Lab,
  layout: Layout,
  revision: z.number().int().min(1),
  updatedAt: z.string(),
  /** Revision whose lab is on the host (recorded after a successful apply), or null. */
  appliedRevision: z.number().int().nullable().default(null),
  /** The exercise this lab belongs to (issue #17): its goals and locks travel with the lab. */
  exercise: ExerciseBinding.optional(),
});
export type StoredLab = z.infer<typeof StoredLab>;

export interface UpdateInput {
  /** Omitted = keep the stored lab (layout-only update). */
  lab?: Lab;
  layout?: Layout;
  baseRevision: number;
  /** Binds the lab to an exercise (null: unbinds it); omitted = keep. A new binding skips its lock check. */
  exercise?: ExerciseBinding | null;
}

export class LabStore {
  readonly dir: string;
  private readonly log: Logger;
  private chain: Promise<unknown> = Promise.resolve();
  /** getShared()'s parsed documents, keyed by file name, valid while the file's identity and times match. */
  private readonly shared = new Map<string, { key: string; doc: StoredLab }>();

  private constructor(dir: string, log: Logger) {
    this.dir = dir;
    this.log = log;
  }

  /** Opens (creating if needed) `<stateDir>/labs`; `fresh` wipes it first (tests). */
  static async open(stateDir: string, log: Logger, opts: { fresh?: boolean } = {}): Promise<LabStore> {
    const dir = join(stateDir, 'labs');
    if (opts.fresh) await rm(dir, { recursive: true, force: true });
    await mkdir(dir, { recursive: true, mode: 0o700 });
    return new LabStore(dir, log);
  }

  private file(name: string): string {
    // The name is the only user value in the path: it must pass the lab-name allowlist (no "/", no "..").
    if (!LabName.safeParse(name).success) throw new AppError('InvalidRequest', `"${name}" is not a valid lab name`);
    return join(this.dir, `${name}.json`);
  }

  /** Serializes writers: read-modify-write sequences never interleave. */
  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.chain.then(fn, fn);
    this.chain = run.catch(() => undefined);
    return run;
  }

  async names(): Promise<string[]> {
    const entries = await readdir(this.dir);
    return entries
      .filter((f) => f.endsWith('.json') && !f.startsWith('.'))
      .map((f) => f.slice(0, -'.json'.length))
      .filter((n) => LabName.safeParse(n).success)
      .sort();
  }

  /** The stored lab, or null if there is none (an unreadable file is logged and treated as absent). */
  async get(name: string): Promise<StoredLab | null> {
    const path = this.file(name);
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw e;
    }
    try {
      const raw = JSON.parse(text) as { lab?: unknown };
      // A lab stored by an older Netloom is read in today's format; one from a newer Netloom is left alone.
      const m = migrateLab(raw?.lab);
      if (!m.ok) {
        this.log.error({ file: path, version: (raw.lab as { version?: unknown }).version }, m.issue.message);
        return null;
      }
      return StoredLab.parse({ ...raw, lab: m.doc });
    } catch (e) {
      this.log.error({ file: path, err: String(e) }, 'unreadable lab file ignored');
      return null;
    }
  }

  /**
   * As get(), for readers that ask again and again (the status hub, once per tick): the parsed document is
   * kept and handed out again while the file is unchanged (same inode, size and times; every write here
   * renames a new file into place, so an edit always changes the inode). The same object may go to many
   * callers: it must not be mutated.
   */
  async getShared(name: string): Promise<Readonly<StoredLab> | null> {
    const path = this.file(name);
    let key: string;
    try {
      const st = await stat(path, { bigint: true });
      key = `${st.ino}:${st.size}:${st.mtimeNs}:${st.ctimeNs}`;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
        this.shared.delete(name);
        return null;
      }
      throw e;
    }
    const hit = this.shared.get(name);
    if (hit?.key === key) return hit.doc;
    const doc = await this.get(name);
    if (doc) this.shared.set(name, { key, doc });
    else this.shared.delete(name);
    return doc;
  }

  async require(name: string): Promise<StoredLab> {
    const doc = await this.get(name);
    if (!doc) throw new AppError('NotFound', `no lab named "${name}"`);
    return doc;
  }

  async list(): Promise<LabSummary[]> {
    const out: LabSummary[] = [];
    for (const name of await this.names()) {
      const doc = await this.get(name);
      if (doc) out.push(summarize(doc));
    }
    return out;
  }

  async create(lab: Lab, layout: Layout, exercise?: ExerciseBinding): Promise<StoredLab> {
    return this.exclusive(async () => {
      if (await this.exists(lab.name)) throw new AppError('Conflict', `a lab named "${lab.name}" already exists`);
      const doc: StoredLab = {
        lab,
        layout,
        revision: 1,
        updatedAt: new Date().toISOString(),
        appliedRevision: null,
        ...(exercise ? { exercise } : {}),
      };
      await this.write(lab.name, doc);
      return doc;
    });
  }

  async update(name: string, input: UpdateInput): Promise<StoredLab> {
    return this.exclusive(async () => {
      const cur = await this.require(name);
      if (input.baseRevision !== cur.revision)
        throw new AppError(
          'Conflict',
          `lab "${name}" changed since revision ${input.baseRevision} (now ${cur.revision}); reload and retry`,
        );
      const lab = input.lab ?? cur.lab;
      if (lab.name !== name)
        throw new AppError(
          'InvalidRequest',
          `the lab's name "${lab.name}" must stay "${name}" (renaming is not supported)`,
          [{ path: ['name'], message: 'a lab cannot be renamed', severity: 'error', code: 'Rename' }],
        );
      // Every writer (the canvas, take-live, adopt, import) meets the exercise's locks here.
      if (input.lab && input.exercise === undefined && cur.exercise) {
        const locked = lockViolations(cur.exercise.exercise, lab);
        if (locked.length)
          throw new AppError(
            'PermissionDenied',
            `${locked[0]!.message}${locked.length > 1 ? ` (and ${locked.length - 1} more)` : ''}`,
            locked,
          );
      }
      const exercise = input.exercise === undefined ? cur.exercise : (input.exercise ?? undefined);
      const revision = cur.revision + 1;
      // A layout-only write leaves the lab on the host current: carry the applied mark to the new revision.
      const labUnchanged = isDeepStrictEqual(lab, cur.lab);
      const appliedRevision = labUnchanged && cur.appliedRevision === cur.revision ? revision : cur.appliedRevision;
      const doc: StoredLab = {
        lab,
        layout: input.layout ?? cur.layout,
        revision,
        updatedAt: new Date().toISOString(),
        appliedRevision,
        ...(exercise ? { exercise } : {}),
      };
      await this.write(name, doc);
      return doc;
    });
  }

  /** Records which revision is on the host (null after destroy). Not a document edit: the revision stays. */
  async setApplied(name: string, appliedRevision: number | null): Promise<void> {
    await this.exclusive(async () => {
      const cur = await this.get(name);
      if (!cur || cur.appliedRevision === appliedRevision) return;
      await this.write(name, { ...cur, appliedRevision });
    });
  }

  /** Forgets every applied mark (sandbox start: a fresh sandbox holds nothing). */
  async clearApplied(): Promise<void> {
    for (const name of await this.names()) await this.setApplied(name, null);
  }

  async delete(name: string): Promise<void> {
    await this.exclusive(async () => {
      const path = this.file(name);
      try {
        await unlink(path);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new AppError('NotFound', `no lab named "${name}"`);
        throw e;
      }
    });
  }

  private async exists(name: string): Promise<boolean> {
    try {
      await readFile(this.file(name));
      return true;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw e;
    }
  }

  /** Write temp → fsync → rename → fsync dir: a crash leaves the old file or the new one, never a torn one. */
  private async write(name: string, doc: StoredLab): Promise<void> {
    const path = this.file(name);
    const tmp = join(this.dir, `.${name}.${randomBytes(6).toString('hex')}.tmp`);
    const fh = await open(tmp, 'wx', 0o600);
    try {
      await fh.writeFile(`${JSON.stringify(doc, null, 2)}\n`, 'utf8');
      await fh.sync();
    } finally {
      await fh.close();
    }
    try {
      await rename(tmp, path);
    } catch (e) {
      await rm(tmp, { force: true });
      throw e;
    }
    const dh = await open(this.dir, 'r');
    try {
      await dh.sync();
    } finally {
      await dh.close();
    }
  }
}

export function summarize(doc: StoredLab): LabSummary {
  return {
    name: doc.lab.name,
    ...(doc.lab.title !== undefined ? { title: doc.lab.title } : {}),
    revision: doc.revision,
    updatedAt: doc.updatedAt,
    appliedRevision: doc.appliedRevision,
    nodes: doc.lab.nodes.length,
    links: doc.lab.links.length,
  };
}
