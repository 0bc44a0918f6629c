/**
 * Adoption as an engine verb (issue #14 item 4, #13 item 2): what `engine.adopt(lab, ops)` checks, on a fresh
 * observation, before it runs the marker operations through the same journaled, locked path as apply.
 * Only `link.setAlias` operations writing this lab's marker; every target still on the host with no alias
 * (or already this very marker); nothing the host's default route depends on unless the host node allows it.
 * Pure.
 */
import type { Lab } from '../../shared';
import { guardAdoption } from './hostGuard';
import { aliasToMarker, formatMarker } from './marker';
import type { ObservedState, Operation } from './types';

export interface AdoptionRefusal {
  code: 'Conflict' | 'InvalidLab';
  message: string;
  object?: string;
}

/** Why the marker operations may not run on `observed`, or null when they may. */
export function checkAdoption(lab: Lab, ops: readonly Operation[], observed: ObservedState): AdoptionRefusal | null {
  for (const op of ops) {
    if (op.kind !== 'link.setAlias')
      return { code: 'InvalidLab', message: `adoption runs only marker operations, not ${op.kind}`, object: op.object };
    if (op.alias !== formatMarker(lab.name, op.object))
      return {
        code: 'InvalidLab',
        message: `adoption of '${op.object}' must write the marker of lab '${lab.name}'`,
        object: op.object,
      };
    const ns = op.netns === null ? observed.root : observed.namespaces[op.netns];
    const l = ns?.links.find((x) => x.ifname === op.ifname);
    if (!l)
      return {
        code: 'Conflict',
        message: `'${op.ifname}' is no longer on the host; discover again`,
        object: op.object,
      };
    const alias = l.alias === undefined ? '' : aliasToMarker(l.alias);
    if (alias !== '' && alias !== op.alias)
      return {
        code: 'Conflict',
        message: `'${op.ifname}' now carries the alias '${alias}'; discover again`,
        object: op.object,
      };
  }
  const allowed = lab.nodes.some((n) => n.kind === 'host' && n.allowDefaultRouteInterface === true);
  const targets = ops.map((op) => ({
    netns: op.kind === 'link.setAlias' ? op.netns : null,
    ifname: op.kind === 'link.setAlias' ? op.ifname : '',
    object: op.object,
  }));
  const why = guardAdoption(targets, observed, allowed);
  if (why) {
    const t = targets.find((x) => why.includes(`'${x.object}'`));
    return { code: 'Conflict', message: why, ...(t && { object: t.object }) };
  }
  return null;
}

/** Do the marker operations show on `observed` (verify after running them)? The first that does not, or null. */
export function unmarked(ops: readonly Operation[], observed: ObservedState): Operation | null {
  for (const op of ops) {
    if (op.kind !== 'link.setAlias') continue;
    const ns = op.netns === null ? observed.root : observed.namespaces[op.netns];
    const l = ns?.links.find((x) => x.ifname === op.ifname);
    if (!l || (l.alias === undefined ? '' : aliasToMarker(l.alias)) !== op.alias) return op;
  }
  return null;
}
