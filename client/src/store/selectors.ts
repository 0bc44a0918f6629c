/**
 * Named selectors: every component reads the store through one of these (narrow, stable outputs).
 * Only the canvas adapter reads the whole node/link arrays; panels read one object by id.
 * Derived values that allocate are memoized on their inputs so `useStore` sees a stable result.
 */

import type { Issue } from '../../../shared/errors';
import { type Lab, type LabNode, NETEM_FIELDS, NETEM_WORDS, type VethLink } from '../../../shared/lab';
import type { PlanResult } from '../../../shared/plan';
import { validate } from '../../../shared/validate';
import { kernelBlocker } from '../kernelFeatures';
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

/**
 * What people call an object: a node's kernel name, an end's interface name and where it lives
 * (`veth-red in red`), a link's two interface names; the id itself when the lab has no such object.
 */
export function objectLabel(lab: Lab, id: string): string {
  const nodeName = (nid: string) => {
    const n = lab.nodes.find((x) => x.id === nid);
    return n ? (n.kind === 'host' ? 'host' : n.name) : nid;
  };
  const [linkId, end] = id.split('#');
  const link = lab.links.find((l) => l.id === linkId);
  if (link && end !== undefined) {
    const e = link.endpoints[end === '1' ? 1 : 0];
    return `${e.ifname} in ${nodeName(e.node)}`;
  }
  if (link) return `${link.endpoints[0].ifname} ⇄ ${link.endpoints[1].ifname}`;
  const slash = id.indexOf('/');
  if (slash > 0 && lab.nodes.some((n) => n.id === id.slice(0, slash)))
    return `${id.slice(slash + 1)} in ${nodeName(id.slice(0, slash))}`;
  return nodeName(id);
}

/** validate()'s problems per lab object (labs are values: an edit makes a new object). */
const designProblems = new WeakMap<Lab, { prefer: string | null; problems: Problems }>();

/**
 * validate()'s problems of a lab, by object. `prefer` is the object just edited (the store's `edited`): a
 * clash between two interfaces is reported on it. Without `prefer`, whatever was computed for this lab is
 * reused (the counts do not depend on where a clash is reported), so a lab is validated once per edit.
 */
export function problemsOf(lab: Lab, prefer?: string | null): Problems {
  const hit = designProblems.get(lab);
  if (hit && (prefer === undefined || hit.prefer === prefer)) return hit.problems;
  const res = validate(lab, prefer ? { prefer } : {});
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
  const problems: Problems = {
    issues,
    byObject,
    errors: issues.filter((i) => i.severity === 'error').length,
    warnings: issues.filter((i) => i.severity === 'warning').length,
  };
  designProblems.set(lab, { prefer: prefer ?? null, problems });
  return problems;
}

// ---- problems of the host: plan-time errors and live conflicts, merged with validate()'s ----

const NO_ISSUES: Issue[] = [];

/**
 * Plan-time problems (POST /plan `errors`; plan warnings too, with `severity`) as issues, each on its
 * object (as the server names it, else from its JSON path).
 */
export function planIssuesOf(
  lab: Lab,
  found: readonly PlanResult['errors'][number][],
  severity: Issue['severity'] = 'error',
): Issue[] {
  return found.map((e) => {
    const path = e.path ? e.path.split('.').map((p) => (/^\d+$/.test(p) ? Number(p) : p)) : [];
    const object = e.object ?? objectOfPath(lab, path);
    return { path, message: e.message, severity, code: e.code, ...(object ? { object } : {}) };
  });
}

let lastObjects: EditorState['objects'] | null = null;
let lastConflicts: Issue[] = NO_ISSUES;
let lastConflictKey = '';
/** Objects the host holds for someone else (live status `conflict`), as issues; stable while unchanged. */
export function conflictsOf(objects: EditorState['objects']): Issue[] {
  if (objects === lastObjects) return lastConflicts;
  lastObjects = objects;
  const found: Issue[] = [];
  for (const st of Object.values(objects)) {
    if (st.state !== 'conflict') continue;
    const c = st.conditions.find((x) => x.type === 'Conflict') ?? st.conditions[0];
    found.push({ path: [], severity: 'error', code: 'Conflict', object: st.id, message: c?.message ?? 'name taken' });
  }
  const key = found.map((i) => `${i.object}\t${i.message}`).join('\n');
  if (key !== lastConflictKey) {
    lastConflictKey = key;
    lastConflicts = found.length ? found : NO_ISSUES;
  }
  return lastConflicts;
}

function merge(base: Problems, extra: Issue[]): Problems {
  if (!extra.length) return base;
  const issues = [...base.issues, ...extra];
  const byObject = new Map(base.byObject);
  for (const i of extra) {
    if (!i.object) continue;
    for (const id of i.object.includes('#') ? [i.object, i.object.split('#')[0]!] : [i.object])
      byObject.set(id, [...(byObject.get(id) ?? []), i]);
  }
  return {
    issues,
    byObject,
    errors: base.errors + extra.filter((i) => i.severity === 'error').length,
    warnings: base.warnings + extra.filter((i) => i.severity === 'warning').length,
  };
}

let mergedKey: [Problems, Issue[], Issue[]] | null = null;
let merged: Problems | null = null;
/**
 * Everything wrong with the lab: validate()'s issues, the last plan's errors and the live conflicts. Plan and
 * live problems describe the stored lab, so they count only while the design is the one they were made for
 * (an edit hides them until the next save checks again); a live conflict the plan also names is shown once.
 */
export function allProblems(s: EditorState): Problems {
  const base = problemsOf(s.lab, s.edited);
  const plan = s.planIssues?.lab === s.lab ? s.planIssues.issues : NO_ISSUES;
  const live = s.saved?.lab === s.lab ? conflictsOf(s.objects) : NO_ISSUES;
  if (mergedKey && mergedKey[0] === base && mergedKey[1] === plan && mergedKey[2] === live) return merged!;
  // One problem per cause: a live conflict the plan names already, a link's (the sum of its ends), or an
  // interface inside a namespace already in conflict (it is that namespace's) adds nothing.
  const named = new Set(plan.map((i) => i.object));
  for (const i of live) if (i.object && !i.object.includes('#')) named.add(i.object);
  const links = new Map(s.lab.links.map((l) => [l.id, l] as const));
  const liveOnly = live.filter((i) => {
    const id = i.object ?? '';
    if (links.has(id)) return false;
    const [linkId, end] = id.split('#');
    const node = end === undefined ? undefined : links.get(linkId!)?.endpoints[end === '1' ? 1 : 0]?.node;
    return node === undefined ? !plan.some((p) => p.object === id) : !named.has(node) && !named.has(id);
  });
  mergedKey = [base, plan, live];
  merged = merge(base, [...plan, ...liveOnly]);
  return merged;
}

export const selectProblems = allProblems;
/** Errors of every kind (the Problems tab). Apply's own gate is `problemsOf(lab).errors` (the design). */
export const selectErrorCount = (s: EditorState) => allProblems(s).errors;
export const selectWarningCount = (s: EditorState) => allProblems(s).warnings;
/** Errors of the design itself (validate): what blocks Apply in the browser. */
export const selectDesignErrorCount = (s: EditorState) => problemsOf(s.lab).errors;
export const selectIssuesOf = (id: string) => (s: EditorState) => allProblems(s).byObject.get(id);

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
  const kernel = kernelBlocker(s.lab, s.capabilities);
  if (kernel) return kernel;
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
