/**
 * App actions: the glue between the store, the HTTP client and the status socket (open, save, apply,
 * destroy, plan, import/export). UI components call these; they never call fetch themselves.
 */

import { createContext, useContext } from 'react';
import type { OperationResult, ServerMessage } from '../../shared/api';
import type { Lab } from '../../shared/lab';
import { emptyLayout, type Layout } from '../../shared/layout';
import { validate } from '../../shared/validate';
import { type ApiClient, ApiError } from './api/client';
import { StatusSocket } from './api/statusSocket';
import { exerciseStore } from './exercise/store';
import { kernelBlocker } from './kernelFeatures';
import type { EditorState, EditorStore } from './store/editorStore';
import { routeText, type SuspendedRoute, setLinkDown, setLinkUp } from './store/linkFault';
import { conflictsOf, netemUseOf, planIssuesOf, problemsOf, selectDirty } from './store/selectors';

export type Actions = ReturnType<typeof createActions>;

/** localStorage key of the last lab opened in this browser (the bare URL reopens it). */
const LAST_LAB_KEY = 'netloom.lastLab';

/** The actions: lab files, operations on the host, the link fault and the live tools, in one object. */
export function createActions(store: EditorStore, api: ApiClient) {
  // The socket's result messages reopen the plan panel: bound once the operations exist.
  let loadPlan: () => Promise<void> = async () => {};
  const core = createCore(store, api, () => loadPlan());
  const files = labFileActions(core);
  const operations = operationActions(core, files);
  loadPlan = operations.loadPlan;
  return {
    socket: core.socket,
    ...files,
    ...operations,
    toggleLinkUp: linkFaultAction(core, files, operations),
    ...toolActions(core),
  };
}

/** What every group of actions shares: the store, the API, the status socket, the background checks. */
interface Core {
  store: EditorStore;
  api: ApiClient;
  st: () => EditorState;
  fail: (e: unknown, what: string) => void;
  socket: StatusSocket;
  checkPlan: () => Promise<void>;
  refreshNames: () => Promise<void>;
  /** What to do when an operation's result arrives (it may arrive before the POST that started it returns). */
  whenDone: (operationId: string, fn: (r: OperationResult) => void) => void;
  /** Shows a lab document (opened, created, imported) and watches it. */
  load: (lab: Lab, layout: Layout, revision: number | null) => void;
}

function createCore(store: EditorStore, api: ApiClient, loadPlan: () => Promise<void>): Core {
  const st = () => store.getState();
  const fail = (e: unknown, what: string) => {
    const msg = e instanceof ApiError ? e.body.message : (e as Error).message;
    st().notify(`${what}: ${msg}`, 'error');
  };
  const onResult = new Map<string, (r: OperationResult) => void>();
  const whenDone = (operationId: string, fn: (r: OperationResult) => void) => {
    const r = st().result;
    if (r?.operationId === operationId) fn(r);
    else onResult.set(operationId, fn);
  };
  const checkPlan = planChecker(store, api);
  const refreshNames = namesRefresher(store, api);
  const socket = new StatusSocket({
    onMessage: (m) => onServerMessage(st, m, { onResult, checkPlan, refreshNames, loadPlan }),
    onState: (s) => st().setConnection(s),
  });
  const core: Core = { store, api, st, fail, socket, checkPlan, refreshNames, whenDone, load: () => {} };
  core.load = loader(core);
  return core;
}

/** A message of the status socket into the store (only those about the open lab, and recoveries). */
function onServerMessage(
  st: () => EditorState,
  m: ServerMessage,
  on: {
    onResult: Map<string, (r: OperationResult) => void>;
    checkPlan: () => Promise<void>;
    refreshNames: () => Promise<void>;
    loadPlan: () => Promise<void>;
  },
): void {
  const name = st().lab.name;
  switch (m.type) {
    case 'hello':
      st().setMode(m.mode);
      break;
    case 'snapshot':
      if (m.status.lab === name) st().applySnapshot(m.status);
      break;
    case 'delta':
      if (m.lab === name) st().applyDelta(m);
      break;
    case 'progress':
      if (m.lab !== name) break;
      if (st().result?.operationId === m.operationId) break;
      st().setProgress({
        operationId: m.operationId,
        step: m.step,
        total: m.total,
        phase: m.phase,
        ...(m.command ? { command: m.command } : {}),
        ...(m.object ? { object: m.object } : {}),
      });
      break;
    case 'result':
      // A recovery concerns every lab (its result names lab "*").
      if (m.result.lab !== name && m.result.action !== 'recover') break;
      st().setResult(m.result);
      on.onResult.get(m.result.operationId)?.(m.result);
      on.onResult.delete(m.result.operationId);
      void on.checkPlan();
      void on.refreshNames();
      if (st().panel === 'plan') void on.loadPlan();
      break;
    case 'error':
      st().notify(m.message, 'error');
      break;
    case 'exercise':
      exerciseStore.getState().receive(m.lab, m.report);
      break;
  }
}

/**
 * Plan-time problems (a name another lab or something else holds, a feature the kernel lacks) reach the
 * Problems tab without pressing Plan: the stored lab is planned after it is opened or saved, after every
 * operation, and when the live conflicts change. One check at a time; a request meanwhile runs once after.
 */
function planChecker(store: EditorStore, api: ApiClient): () => Promise<void> {
  const st = () => store.getState();
  let planCheck: 'idle' | 'running' | 'again' = 'idle';
  const checkPlan = async (): Promise<void> => {
    if (planCheck !== 'idle') {
      planCheck = 'again';
      return;
    }
    planCheck = 'running';
    try {
      do {
        planCheck = 'running';
        const { lab, revision } = st();
        if (revision === null || selectDirty(st()) || problemsOf(lab).errors) break;
        try {
          const r = await api.plan(lab.name, revision);
          if (st().lab === lab)
            st().setPlanIssues({
              lab,
              issues: [...planIssuesOf(lab, r.errors), ...planIssuesOf(lab, r.warnings ?? [], 'warning')],
            });
        } catch {
          // A stale revision or a lost connection: the next save, result or reconnect checks again.
        }
      } while ((planCheck as string) === 'again');
    } finally {
      planCheck = 'idle';
    }
  };
  let liveConflicts = conflictsOf(st().objects);
  store.subscribe((s, prev) => {
    if (s.objects === prev.objects) return;
    const now = conflictsOf(s.objects);
    if (now !== liveConflicts) {
      liveConflicts = now;
      void checkPlan();
    }
  });
  return checkPlan;
}

/** Names other labs and the host use (proposals avoid them): on opening a lab and after every operation. */
function namesRefresher(store: EditorStore, api: ApiClient): () => Promise<void> {
  const st = () => store.getState();
  return async () => {
    const name = st().lab.name;
    try {
      const r = await api.namesInUse(name);
      if (st().lab.name === name)
        st().setReserved({ namespaces: new Set(r.namespaces), rootInterfaces: new Set(r.rootInterfaces) });
    } catch {
      // Not fatal: proposals are still free within the lab, and the plan reports a clash.
    }
  };
}

function loader({ store, st, socket, checkPlan, refreshNames }: Core): Core['load'] {
  return (lab, layout, revision) => {
    // Re-opening the lab we already watch keeps its live status: the server sends a snapshot only on a new
    // subscription and then deltas of what changes, so clearing it here would leave stale greys.
    const sameLab = st().lab.name === lab.name && st().revision !== null;
    st().loadDocument(lab, layout, revision);
    store.temporal.getState().clear();
    if (!sameLab) {
      st().resetStatus();
      // Routes a link fault took away, and notes about them, belong to the lab that was open.
      for (const id of Object.keys(st().suspended)) st().setSuspended(id, null);
      st().setNotices({}, true);
      // Path highlight and matrix describe the previous lab's objects.
      st().setPing(null);
      if (st().matrix) st().closeTab('matrix');
    }
    st().setPlan({ state: 'idle', result: null });
    void refreshNames();
    // A lab file without positions (hand-written, imported): arrange it once with ELK so nothing overlaps.
    if (lab.nodes.length > 0 && lab.nodes.every((n) => !layout.positions[n.id])) {
      void import('./canvas/autoLayout')
        .then(({ autoLayout }) => autoLayout(lab, new Map()))
        .then((positions) => {
          if (st().lab === lab) st().adoptPositions(positions);
        })
        .catch(() => undefined);
    }
    // A lab the server has never stored has no status to watch yet: subscribe after the first save.
    if (revision !== null) {
      socket.subscribe(lab.name);
      void checkPlan();
    }
    rememberInUrl(lab.name, revision);
  };
}

function rememberInUrl(name: string, revision: number | null): void {
  try {
    history.replaceState(null, '', `${location.pathname}${location.search}#${encodeURIComponent(name)}`);
    // The bare URL reopens it next time (a lab never saved has nothing to reopen).
    if (revision !== null) localStorage.setItem(LAST_LAB_KEY, name);
  } catch {
    /* not in a browser, or private mode */
  }
}

type LabFileActions = ReturnType<typeof labFileActions>;

/** Lab files: start-up, open, create, rename, duplicate, delete, save, import. */
function labFileActions(core: Core) {
  const { api, st, fail, load } = core;
  const docs = labDocumentActions(core);
  const stored = storedLabActions(core, docs);
  return {
    async init() {
      core.socket.start();
      try {
        const info = await api.info();
        st().setMode(info.mode);
        st().setCapabilities(info.capabilities);
        // The URL names the lab; a bare URL reopens the last lab used in this browser.
        const wanted = decodeURIComponent(location.hash.slice(1)) || lastLab();
        const { labs } = await api.listLabs();
        const pick =
          labs.find((l) => l.name === wanted)?.name ??
          labs.find((l) => l.name === info.defaultLab)?.name ??
          labs[0]?.name;
        if (pick) await docs.openLab(pick);
        else docs.newLab();
      } catch (e) {
        fail(e, 'Cannot load');
      }
    },
    ...docs,
    ...stored,
    /** Import a lab file (JSON or YAML): checked in the browser first for a fast message, stored by the server. */
    async importText(text: string, filename = '') {
      try {
        const format = filename.endsWith('.json') || text.trimStart().startsWith('{') ? 'json' : 'yaml';
        const data = format === 'json' ? JSON.parse(text) : (await import('yaml')).parse(text);
        const labInput = data && typeof data === 'object' && 'lab' in data ? (data as { lab: unknown }).lab : data;
        const res = validate(labInput);
        if (!res.ok) {
          const i = res.issues[0];
          st().notify(`Import failed: ${i ? `${i.path.join('.')}: ${i.message}` : 'invalid lab'}`, 'error');
          return;
        }
        const doc = await api.importLab(text, format);
        load(doc.lab, doc.layout, doc.revision);
        st().notify(`Imported ${doc.lab.name}`);
      } catch (e) {
        fail(e, 'Import failed');
      }
    },
  };
}

function lastLab(): string {
  try {
    return localStorage.getItem(LAST_LAB_KEY) ?? '';
  } catch {
    /* private mode */
    return '';
  }
}

/** Documents into the editor: open (stored or example), create, a new unsaved lab; the lists to pick from. */
function labDocumentActions({ api, st, fail, load }: Core) {
  return {
    /** Opens a stored lab; the dialog it was picked in closes (unless `keepDialog`: a rename in the list). */
    async openLab(name: string, keepDialog = false) {
      try {
        const doc = await api.getLab(name);
        load(doc.lab, doc.layout, doc.revision);
        if (!keepDialog) st().setDialog(null);
      } catch (e) {
        fail(e, `Cannot open ${name}`);
      }
    },
    async openExample(file: string) {
      try {
        const doc = await api.openExample(file);
        load(doc.lab, doc.layout, doc.revision);
        st().setDialog(null);
      } catch (e) {
        fail(e, 'Cannot open example');
      }
    },
    async listLabs() {
      return (await api.listLabs()).labs;
    },
    async listExamples() {
      return (await api.listExamples()).examples;
    },
    /** Creates an empty lab named (and titled) by the user, stored at once, and opens it. */
    async createLab(name: string, title?: string) {
      try {
        const doc = await api.createLab(
          { version: 1, name, ...(title ? { title } : {}), nodes: [], links: [] },
          emptyLayout(),
        );
        load(doc.lab, doc.layout, doc.revision);
        st().setDialog(null);
      } catch (e) {
        fail(e, 'Cannot create the lab');
      }
    },
    newLab(name?: string) {
      const n = name ?? `lab-${Date.now().toString(36).slice(-5)}`;
      load({ version: 1, name: n, title: 'New lab', nodes: [], links: [] }, emptyLayout(), null);
    },
  };
}

/** Saving the open lab (the first save creates it on the server and starts watching it). */
function savingActions({ api, st, fail, socket, checkPlan }: Core) {
  const saving = {
    /** Save; returns false (after telling the user why) when it could not. */
    async save(): Promise<boolean> {
      const { lab, layout, revision } = st();
      if (problemsOf(lab).errors && revision === null) {
        st().notify('Fix the problems before the first save', 'error');
        return false;
      }
      try {
        const doc = revision === null ? await api.createLab(lab, layout) : await api.saveLab(lab, layout, revision);
        // Keep the user's objects (undo history stays valid); adopt the server's revision.
        st().markSaved(doc.revision);
        if (revision === null) socket.subscribe(lab.name);
        void checkPlan();
        return true;
      } catch (e) {
        if (e instanceof ApiError && e.status === 409)
          st().notify('This lab was changed elsewhere (revision conflict). Reopen it to get the latest.', 'error');
        else fail(e, 'Save failed');
        return false;
      }
    },
    async saveIfDirty(): Promise<boolean> {
      return selectDirty(st()) ? saving.save() : true;
    },
  };
  return saving;
}

/** The stored labs: save, rename, duplicate, delete (the open lab follows). */
function storedLabActions(core: Core, docs: ReturnType<typeof labDocumentActions>) {
  const { api, st } = core;
  const saving = savingActions(core);
  /** After the open lab was renamed or deleted elsewhere (the Open dialog): show what is there now. */
  const reopen = async (name: string | null) => {
    if (name) return docs.openLab(name, true);
    const { labs } = await api.listLabs();
    const info = await api.info();
    const pick = labs.find((l) => l.name === info.defaultLab)?.name ?? labs[0]?.name;
    if (pick) await docs.openLab(pick, true);
    else {
      // The last lab is gone: an empty one, and the dialog that names it.
      docs.newLab();
      st().setDialog('new');
    }
  };
  return {
    /** Renames a stored lab (refused while it is applied); the open lab follows. Throws the server's refusal. */
    async renameLab(name: string, to: string) {
      const open = st().lab.name === name;
      if (open && !(await saving.saveIfDirty())) throw new Error('save the lab first');
      await api.renameLab(name, to);
      if (open) await reopen(to);
    },
    async duplicateLab(name: string, to: string) {
      if (st().lab.name === name && !(await saving.saveIfDirty())) throw new Error('save the lab first');
      await api.duplicateLab(name, to);
    },
    /** Deletes a stored lab (refused while it is applied); if it was open, another one is opened. */
    async deleteLab(name: string) {
      await api.deleteLab(name);
      try {
        if (localStorage.getItem(LAST_LAB_KEY) === name) localStorage.removeItem(LAST_LAB_KEY);
      } catch {
        /* private mode */
      }
      if (st().lab.name === name) await reopen(null);
    },
    ...saving,
  };
}

type OperationActions = ReturnType<typeof operationActions>;

/** Operations on the host: apply, destroy, recover, and the plan they would run. */
function operationActions({ api, st, fail }: Core, files: Pick<LabFileActions, 'saveIfDirty'>) {
  /** Starts an operation (unless its progress or result already arrived); null when the server refused. */
  const start = async (
    action: 'apply' | 'destroy' | 'recover',
    refused: string,
    request: () => Promise<{ operationId: string }>,
  ): Promise<string | null> => {
    try {
      const { operationId } = await request();
      if (st().result?.operationId !== operationId && st().progress?.operationId !== operationId)
        st().startOperation(operationId, action);
      return operationId;
    } catch (e) {
      fail(e, refused);
      return null;
    }
  };
  return {
    /** Saves if needed and starts an apply; returns its operation id, or null when it did not start. */
    async apply(): Promise<string | null> {
      const refusal = applyRefusal(st());
      if (refusal) {
        st().notify(`Apply refused: ${refusal}`, 'error');
        return null;
      }
      if (!(await files.saveIfDirty())) return null;
      return start('apply', 'Apply refused', () => api.apply(st().lab.name, st().revision ?? undefined));
    },
    async destroy() {
      await start('destroy', 'Destroy refused', () => api.destroy(st().lab.name));
    },
    /** Rolls back what an interrupted or failed change left on the host (offered only when the engine needs it). */
    async recover() {
      await start('recover', 'Recover refused', () => api.recover());
    },
    async loadPlan() {
      st().setPanel('plan');
      if (problemsOf(st().lab).errors) {
        st().setPlan({ state: 'error', result: null, error: 'Fix the problems first: a plan needs a valid lab.' });
        return;
      }
      st().setPlan({ state: 'loading', result: st().plan.result });
      if (!(await files.saveIfDirty())) {
        st().setPlan({ state: 'error', result: null, error: 'Save failed' });
        return;
      }
      try {
        const lab = st().lab;
        const result = await api.plan(lab.name, st().revision ?? undefined);
        st().setPlan({ state: 'ready', result });
        if (st().lab === lab)
          st().setPlanIssues({
            lab,
            issues: [...planIssuesOf(lab, result.errors), ...planIssuesOf(lab, result.warnings ?? [], 'warning')],
          });
      } catch (e) {
        st().setPlan({ state: 'error', result: null, error: e instanceof Error ? e.message : String(e) });
      }
    },
  };
}

/** Why the browser refuses to apply the open lab (problems, netem or a kernel feature missing), or null. */
function applyRefusal(s: EditorState): string | null {
  if (problemsOf(s.lab).errors) return 'fix the problems first';
  const netem = s.capabilities?.netem === false ? netemUseOf(s.lab) : null;
  if (netem) return `${netem} needs netem, which this kernel does not have`;
  return kernelBlocker(s.lab, s.capabilities);
}

/**
 * Teaching fault: sets a link down (or back up) on both ends and applies at once. Down, as the kernel
 * does it: the routes through the link go too (the design says so, the banner and the nodes name them);
 * up, they come back. When the change cannot be applied, the design is put back and the banner says why,
 * so the canvas never shows a link down that is up on the host.
 */
function linkFaultAction(
  core: Core,
  files: Pick<LabFileActions, 'save'>,
  operations: Pick<OperationActions, 'apply'>,
): (linkId: string) => Promise<void> {
  const { store, st } = core;
  return async (linkId) => {
    st().closeMenu();
    const toggle = linkToggle(st, linkId);
    if (!toggle) return;
    const { goingUp, step } = toggle;
    store.setState({ lab: step.lab }); // one undo entry for the link and its routes
    const put = () => {
      // The change did not reach the host: the design goes back to what the host has, and is stored so.
      const now = st().lab;
      store.setState({
        lab: goingUp ? setLinkDown(now, linkId).lab : setLinkUp(now, linkId, step.removed),
      });
      void files.save();
    };
    const operationId = await operations.apply();
    if (!operationId) {
      put();
      return;
    }
    core.whenDone(operationId, (r) => linkToggled(st, linkId, toggle, r, put));
  };
}

interface LinkToggle {
  /** `eth0 ⇄ eth1`, for messages. */
  name: string;
  goingUp: boolean;
  /** The design after the toggle, and the routes going down took away. */
  step: { lab: Lab; removed: SuspendedRoute[] };
  /** The routes that go (down) or come back (up). */
  moved: SuspendedRoute[];
  /** `node: route; …` of the moved routes. */
  list: string;
}

/** What toggling the link does to the design, or null (the user told why) when it must not change. */
function linkToggle(st: () => EditorState, linkId: string): LinkToggle | null {
  const before = st().lab;
  const link = before.links.find((l) => l.id === linkId);
  if (!link) return null;
  const name = `${link.endpoints[0].ifname} ⇄ ${link.endpoints[1].ifname}`;
  const goingUp = !link.endpoints.every((e) => e.up);
  if (problemsOf(before).errors) {
    st().notify(`Link ${name} not changed: fix the lab's problems first`, 'error');
    return null;
  }
  const restore = st().suspended[linkId] ?? [];
  const step = goingUp
    ? { lab: setLinkUp(before, linkId, restore), removed: [] as SuspendedRoute[] }
    : setLinkDown(before, linkId);
  const refused = problemsOf(step.lab).issues.find((i) => i.severity === 'error');
  if (refused) {
    st().notify(`Link ${name} stays ${goingUp ? 'down' : 'up'}: ${refused.message}`, 'error');
    return null;
  }
  const labelOf = (id: string) => {
    const n = before.nodes.find((x) => x.id === id);
    return n?.kind === 'namespace' ? n.name : id;
  };
  const moved = goingUp ? restore : step.removed;
  const list = moved.map((x) => `${labelOf(x.node)}: ${routeText(x.route)}`).join('; ');
  return { name, goingUp, step, moved, list };
}

/** The toggle's apply finished: the design is put back (failure), or the routes it moved are noted. */
function linkToggled(
  st: () => EditorState,
  linkId: string,
  { name, goingUp, step, moved, list }: LinkToggle,
  r: OperationResult,
  put: () => void,
): void {
  if (!r.ok) {
    put();
    st().setResult({
      ...r,
      notice: `The design was put back: link ${name} is still ${goingUp ? 'down' : 'up'}.`,
    });
    return;
  }
  const notes: Record<string, string | null> = {};
  for (const x of moved) notes[x.node] = null;
  if (goingUp) st().setSuspended(linkId, null);
  else if (step.removed.length) {
    st().setSuspended(linkId, step.removed);
    for (const x of step.removed)
      notes[x.node] =
        `route ${routeText(x.route)} removed with ${name}: the kernel deletes routes through a down interface (back when the link goes up)`;
  }
  st().setNotices(notes);
  if (moved.length)
    st().setResult({
      ...r,
      notice: goingUp
        ? `Link ${name} is up, and the routes it took away are back: ${list}.`
        : `Link ${name} is down. The kernel deletes every route through a down interface, so these went too: ${list}. They come back when the link goes up.`,
    });
}

/** Live tools: a ping along the path, the reachability matrix. */
function toolActions({ api, st }: Core) {
  return {
    /** Path + one ping from `from` to a node id or an address: the result badge and the path highlight. */
    async ping(from: string, to: string) {
      const name = st().lab.name;
      st().setPingPrompt(null);
      st().setPing({ from, to, state: 'running' });
      try {
        const result = await api.path(name, from, to, true);
        if (st().ping?.from === from && st().ping?.to === to) st().setPing({ from, to, state: 'done', result });
      } catch (e) {
        const error = e instanceof ApiError ? e.body.message : (e as Error).message;
        if (st().ping?.from === from && st().ping?.to === to) st().setPing({ from, to, state: 'error', error });
      }
    },
    /** Runs the reachability matrix and shows it in the dock. */
    async reachability() {
      const name = st().lab.name;
      st().setMatrix({ state: 'loading', result: st().matrix?.result ?? null, selected: null });
      st().openTab({ kind: 'matrix', key: 'matrix' });
      try {
        const result = await api.reachability(name);
        if (st().matrix) st().setMatrix({ state: 'ready', result, selected: null });
      } catch (e) {
        const error = e instanceof ApiError ? e.body.message : (e as Error).message;
        if (st().matrix) st().setMatrix({ state: 'error', result: null, error, selected: null });
      }
    },
  };
}

const ActionsCtx = createContext<Actions | null>(null);
export const ActionsProvider = ActionsCtx.Provider;
/** The actions when an `<ActionsProvider>` is above (null in isolated component tests). */
export function useMaybeActions(): Actions | null {
  return useContext(ActionsCtx);
}
export function useActions(): Actions {
  const a = useContext(ActionsCtx);
  if (!a) throw new Error('useActions outside <ActionsProvider>');
  return a;
}
