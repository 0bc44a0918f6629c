/**
 * Named selectors: every component reads the store through one of these (narrow, stable outputs).
 * Only the canvas adapter reads the whole node/link arrays; panels read one object by id.
 * Derived values that allocate are memoized on their inputs so `useStore` sees a stable result.
 */
import type { Issue } from '../../../shared/errors';
import { type Lab, type LabNode, NETEM_FIELDS, NETEM_WORDS, type VethLink } from '../../../shared/lab';
import { validate } from '../../../shared/validate';
import type { EditorState } from './editorStore';

export const selectLab = (s: EditorState) => s.lab;
export const selectLayout = (s: EditorState) => s.layout;
export const selectObjects = (s: EditorState) => s.objects;
export const selectSelection = (s: EditorState) => s.selection;
export const selectTheme = (s: EditorState) => s.theme;
export const selectConnection = (s: EditorState) => s.connection;
export const selectMode = (s: EditorState) => s.mode;
export const selectProgress = (s: EditorState) => s.progress;
export const selectResult = (s: EditorState) => s.result;
export const selectPlan = (s: EditorState) => s.plan;
export const selectPanel = (s: EditorState) => s.panel;
export const selectLabName = (s: EditorState) => s.lab.name;
export const selectLabTitle = (s: EditorState) => s.lab.title;
export const selectNodeCount = (s: EditorState) => s.lab.nodes.length;
export const selectLinkCount = (s: EditorState) => s.lab.links.length;
export const selectBusy = (s: EditorState) => s.progress !== null;
export const selectDirty = (s: EditorState) =>
  s.revision === null || !s.saved || s.saved.lab !== s.lab || s.saved.layout !== s.layout;
export const selectAppliedRevision = (s: EditorState) => s.appliedRevision;

export const selectNode =
  (id: string) =>
  (s: EditorState): LabNode | undefined =>
    s.lab.nodes.find((n) => n.id === id);
export const selectLink =
  (id: string) =>
  (s: EditorState): VethLink | undefined =>
    s.lab.links.find((l) => l.id === id);
export const selectStatusOf = (id: string) => (s: EditorState) => s.objects[id];

/** Ids of the namespaces (for the bridge "lives in" picker): a joined string keeps the output stable. */
export const selectNamespaceChoices = (s: EditorState): string =>
  s.lab.nodes
    .filter((n) => n.kind === 'namespace')
    .map((n) => `${n.id}\t${n.kind === 'namespace' ? n.name : ''}`)
    .join('\n');

// ---- validation: memoized on the lab object ----

export interface Problems {
  issues: (Issue & { object?: string })[];
  errors: number;
  warnings: number;
  /** Issues by object id (node id, link id or endpoint key). */
  byObject: Map<string, Issue[]>;
}

/** The object a schema issue concerns, derived from its path when the validator did not say. */
export function objectOfPath(lab: Lab, path: ReadonlyArray<string | number>): string | undefined {
  const [head, i, sub, j] = path;
  if (head === 'nodes' && typeof i === 'number') return lab.nodes[i]?.id;
  if (head === 'links' && typeof i === 'number') {
    const link = lab.links[i];
    if (!link) return undefined;
    if (sub === 'endpoints' && (j === 0 || j === 1)) return `${link.id}#${j}`;
    return link.id;
  }
  return undefined;
}

let lastLab: Lab | null = null;
let lastProblems: Problems = { issues: [], errors: 0, warnings: 0, byObject: new Map() };

export function problemsOf(lab: Lab): Problems {
  if (lab === lastLab) return lastProblems;
  const res = validate(lab);
  const issues = res.issues.map((i) => ({ ...i, object: i.object ?? objectOfPath(lab, i.path) }));
  const byObject = new Map<string, Issue[]>();
  for (const i of issues) {
    if (!i.object) continue;
    const list = byObject.get(i.object) ?? [];
    list.push(i);
    byObject.set(i.object, list);
    // An endpoint problem is also a problem of its link (so the edge turns red too).
    if (i.object.includes('#')) {
      const link = i.object.split('#')[0]!;
      const l2 = byObject.get(link) ?? [];
      l2.push(i);
      byObject.set(link, l2);
    }
  }
  lastLab = lab;
  lastProblems = {
    issues,
    byObject,
    errors: issues.filter((i) => i.severity === 'error').length,
    warnings: issues.filter((i) => i.severity === 'warning').length,
  };
  return lastProblems;
}

export const selectProblems = (s: EditorState) => problemsOf(s.lab);
export const selectErrorCount = (s: EditorState) => problemsOf(s.lab).errors;
export const selectIssuesOf = (id: string) => (s: EditorState) => problemsOf(s.lab).byObject.get(id);
let netemLab: Lab | null = null;
let netemUse: string | null = null;
/** The first netem setting of the lab ("delay on veth-red"), or null; memoized on the lab object. */
export function netemUseOf(lab: Lab): string | null {
  if (lab === netemLab) return netemUse;
  netemLab = lab;
  netemUse = null;
  for (const l of lab.links)
    for (const e of l.endpoints)
      for (const f of NETEM_FIELDS)
        if (!netemUse && e.impairment?.[f] !== undefined) netemUse = `${NETEM_WORDS[f]} on ${e.ifname}`;
  return netemUse;
}

/** Why Apply is disabled, or null when it may run. */
export const selectApplyBlocker = (s: EditorState): string | null => {
  if (s.progress) return 'an operation is running';
  const n = problemsOf(s.lab).errors;
  if (n) return `${n} problem${n > 1 ? 's' : ''} must be fixed first`;
  if (s.capabilities?.netem === false) {
    const use = netemUseOf(s.lab);
    if (use) return `${use} needs netem, which this kernel does not have`;
  }
  if (s.connection === 'disconnected') return 'not connected to the server';
  return null;
};

/** The failing command of the last operation and the object it concerned (stable while the result stands). */
let lastResult: unknown = null;
let lastFailure: { object: string; text: string } | null = null;
export const selectFailure = (s: EditorState): { object: string; text: string } | null => {
  if (s.result !== lastResult) {
    lastResult = s.result;
    const e = s.result && !s.result.ok ? s.result.error : undefined;
    lastFailure =
      e?.object !== undefined
        ? {
            object: e.object,
            text: `${e.argv ? `$ ${e.argv.join(' ')} — ` : ''}${e.message}${e.rolledBack ? ' (rolled back)' : ''}`,
          }
        : null;
  }
  return lastFailure;
};
