/**
 * Per-student quotas (classroom mode): namespaces across a student's labs (checked on every lab write, so
 * create, edit, import, duplicate and exercise start all meet it), terminals and captures open at once.
 * A refusal is `QuotaExceeded` (HTTP 429) naming the quota and its limit.
 */
import type { Lab } from '../../shared';
import { AppError } from '../errors';
import type { LabStore } from '../store/labStore';

export interface Quotas {
  namespaces: number;
  terminals: number;
  captures: number;
  /** Processes (and threads) of all of a student's tools at once: RLIMIT_NPROC of their own uid (confine.ts). */
  processes: number;
}

export const DEFAULT_QUOTAS: Quotas = { namespaces: 30, terminals: 4, captures: 2, processes: 128 };

export const quotaExceeded = (what: keyof Quotas, limit: number, detail = ''): AppError =>
  new AppError(
    'QuotaExceeded',
    `quota "${what}" exceeded: at most ${limit} ${what === 'namespaces' ? 'namespaces in your labs' : `open ${what}`} per student${detail}`,
  );

export const namespaceCount = (lab: Lab): number => lab.nodes.filter((n) => n.kind === 'namespace').length;

/** Namespaces in all of `store`'s labs, with `lab` in place of its stored version. */
async function namespacesWith(store: LabStore, lab: Lab): Promise<number> {
  let n = namespaceCount(lab);
  for (const name of await store.names()) {
    if (name === lab.name) continue;
    const doc = await store.getShared(name);
    if (doc) n += namespaceCount(doc.lab);
  }
  return n;
}

/** Makes every lab write of `store` meet the namespace quota (the store object itself, for its other users). */
export function guardStore(store: LabStore, quotas: Pick<Quotas, 'namespaces'>): LabStore {
  const create = store.create.bind(store);
  const update = store.update.bind(store);
  const check = async (lab: Lab) => {
    const n = await namespacesWith(store, lab);
    if (n > quotas.namespaces) throw quotaExceeded('namespaces', quotas.namespaces, ` (this would make ${n})`);
  };
  store.create = async (lab, layout, exercise) => {
    await check(lab);
    return create(lab, layout, exercise);
  };
  store.update = async (name, input) => {
    if (input.lab) await check(input.lab);
    return update(name, input);
  };
  return store;
}

/** Sockets of one kind open at once; `take` returns the release function or throws QuotaExceeded. */
export class SocketQuota {
  private open = 0;
  constructor(
    private readonly what: 'terminals' | 'captures',
    private readonly limit: number,
  ) {}

  get count(): number {
    return this.open;
  }

  take(): () => void {
    if (this.open >= this.limit) throw quotaExceeded(this.what, this.limit);
    this.open++;
    let done = false;
    return () => {
      if (done) return;
      done = true;
      this.open--;
    };
  }
}
