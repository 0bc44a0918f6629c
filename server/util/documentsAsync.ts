/**
 * parseDocumentTextAsync(text, opts): parseDocumentText off the event loop. A small document is parsed here
 * (it costs less than a worker's message); a larger one in a worker thread that must answer within
 * `deadlineMs` (5 s) of receiving it, else the worker is terminated and the document refused (limit
 * `deadline`). One warm worker is kept (unref'd: it never holds the process open); a second concurrent
 * parse gets its own. The worker file is dist/server/documentWorker.mjs in the compiled build and
 * server/util/documentWorker.ts (through tsx) from the sources.
 */
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { COMPILED, REPO_ROOT } from '../paths';
import {
  checkBytes,
  documentError,
  formatOf,
  type ParseDocumentOptions,
  type ParseOutcome,
  parseBounded,
} from './documents';

/** Below this many characters a YAML document is parsed inline (at its slowest: a few tens of ms). */
export const INLINE_CHARS = 16 * 1024;
/**
 * The worker's deadline. Hostile documents are refused by the limits long before it (the key bomb in ~0.3 s,
 * aliases in ms); the deadline only bounds what gets past them. A real 1000-namespace YAML lab reads in
 * ~0.4 s on a quiet 2-core machine but 3–4 s under load, so 1 s would refuse honest labs there; the event loop
 * is free meanwhile either way.
 */
export const PARSE_DEADLINE_MS = 5000;
/** Loading the worker (tsx compiles it from the sources) is not the document's fault: a separate guard. */
const START_TIMEOUT_MS = 15_000;

export interface AsyncParseOptions extends ParseDocumentOptions {
  deadlineMs?: number;
  /** Parse in a worker whatever the size (tests, bench). */
  forceWorker?: boolean;
}

interface Slot {
  worker: Worker;
  ready: Promise<void>;
  busy: boolean;
}

let idle: Slot | null = null;
let nextId = 1;

function spawn(): Slot {
  const worker = COMPILED
    ? new Worker(join(REPO_ROOT, 'dist', 'server', 'documentWorker.mjs'))
    : new Worker(
        `import(${JSON.stringify(pathToFileURL(join(REPO_ROOT, 'node_modules/tsx/dist/esm/api/index.mjs')).href)})` +
          `.then((api) => api.tsImport(${JSON.stringify(pathToFileURL(join(REPO_ROOT, 'server/util/documentWorker.ts')).href)}, ${JSON.stringify(pathToFileURL(join(REPO_ROOT, 'package.json')).href)}))`,
        { eval: true },
      );
  worker.unref();
  const ready = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the document worker did not start')), START_TIMEOUT_MS);
    const onMessage = (m: { ready?: boolean }) => {
      if (!m.ready) return;
      clearTimeout(timer);
      worker.off('message', onMessage);
      resolve();
    };
    worker.on('message', onMessage);
    worker.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    worker.once('exit', () => {
      clearTimeout(timer);
      reject(new Error('the document worker exited'));
    });
  });
  ready.catch(() => {});
  return { worker, ready, busy: false };
}

function discard(slot: Slot): void {
  if (idle === slot) idle = null;
  void slot.worker.terminate();
}

async function inWorker(text: string, opts: AsyncParseOptions): Promise<ParseOutcome> {
  const slot = idle && !idle.busy ? idle : spawn();
  if (idle === slot) idle = null;
  slot.busy = true;
  try {
    await slot.ready;
  } catch (e) {
    discard(slot);
    // No worker (a broken install): refuse rather than block the event loop, and say why.
    return { ok: false, limit: 'deadline', message: `cannot be read off the event loop (${(e as Error).message})` };
  }
  const deadline = opts.deadlineMs ?? PARSE_DEADLINE_MS;
  const id = nextId++;
  const { deadlineMs: _d, forceWorker: _f, ...core } = opts;
  return new Promise<ParseOutcome>((resolve) => {
    const done = (o: ParseOutcome, keep: boolean) => {
      clearTimeout(timer);
      slot.worker.off('message', onMessage);
      slot.worker.off('error', onError);
      slot.busy = false;
      if (keep && !idle) idle = slot;
      else discard(slot);
      resolve(o);
    };
    const onMessage = (m: { id?: number; outcome?: ParseOutcome }) => {
      if (m.id === id && m.outcome) done(m.outcome, true);
    };
    const onError = (e: Error) =>
      done({ ok: false, limit: 'syntax', message: `cannot be read: ${e.message.split('\n')[0]}` }, false);
    const timer = setTimeout(
      () =>
        done(
          { ok: false, limit: 'deadline', message: `took longer than ${deadline} ms to read (limit deadline)` },
          false,
        ),
      deadline,
    );
    slot.worker.on('message', onMessage);
    slot.worker.on('error', onError);
    slot.worker.postMessage({ id, text, opts: core });
  });
}

/** Text → plain data within the limits, never blocking the event loop for long; throws DocumentError. */
export async function parseDocumentTextAsync(text: string, opts: AsyncParseOptions = {}): Promise<unknown> {
  // JSON entirely here (the scan and V8's JSON.parse take a few ms per MB), small YAML too; larger YAML in
  // the worker, even its pre-scan (this thread only checks the size).
  const inline = !opts.forceWorker && (text.length <= INLINE_CHARS || formatOf(text, opts.format) === 'json');
  const r = inline ? parseBounded(text, opts) : (checkBytes(text, opts) ?? (await inWorker(text, opts)));
  if (r.ok) return r.value;
  throw documentError(r, opts);
}

/** Ends the warm worker (tests). */
export async function closeDocumentWorkers(): Promise<void> {
  const s = idle;
  idle = null;
  if (s) await s.worker.terminate();
}
