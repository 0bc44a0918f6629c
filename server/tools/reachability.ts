/**
 * Reachability explanations: does the design let a ping from one node reach an address and its reply come
 * back, and if not, why (NoRoute, NoForwarding, LinkDown, DifferentSubnetNoGateway, …). Also which pairs the
 * matrix tests and which address it pings. Pure: no I/O (the API runs the pings).
 */
import type { PathProblem } from '../../shared';
import { formatIp, type IpAddr } from '../../shared/net';
import { nodeAddress, placeLabel, sourceAddress, type Topology, type Trace, trace, vertexUp } from './path';

export interface Explanation {
  /** The design lets the request arrive and the reply come back. */
  expected: boolean;
  problem?: PathProblem;
  forward: Trace;
  reverse?: Trace;
}

/** Names the first interface that is down on a path the design would otherwise take. */
function downOnPath(t: Topology, tr: Trace): string | undefined {
  const candidates = [...(tr.first ? [tr.first.vertex] : []), ...tr.vertices];
  return candidates.find((v) => !vertexUp(t, v));
}

function linkDownProblem(t: Topology, vertex: string, direction: PathProblem['direction']): PathProblem {
  const v = t.vertices.get(vertex);
  const op = t.operstate[vertex];
  const state = v && !v.up ? 'is set down (up: false)' : `reports operstate ${op ?? 'DOWN'}`;
  return {
    reason: 'LinkDown',
    message: `${v?.ifname ?? vertex} in ${placeLabel(t, v?.place ?? '')} ${state}, and the path crosses it`,
    object: vertex,
    direction,
  };
}

/** One direction: the real trace; if it fails, tell LinkDown apart by retrying with every interface up. */
function oneWay(
  t: Topology,
  from: string,
  dst: IpAddr,
  wantAt: string | undefined,
  direction: PathProblem['direction'],
): { trace: Trace; problem?: PathProblem } {
  const real = trace(t, from, dst, true);
  const arrived = real.ok && (wantAt === undefined || real.at === wantAt);
  if (arrived) return { trace: real };
  const ideal = trace(t, from, dst, false);
  if (ideal.ok && (wantAt === undefined || ideal.at === wantAt)) {
    const down = downOnPath(t, ideal);
    if (down) return { trace: ideal, problem: linkDownProblem(t, down, direction) };
  }
  if (real.problem) return { trace: real, problem: { ...real.problem, direction } };
  return {
    trace: real,
    problem: {
      reason: 'NoRoute',
      message: `the packet for ${formatIp(dst)} ends up in ${placeLabel(t, real.at)}, not at its destination`,
      object: real.at,
      direction,
    },
  };
}

/**
 * Will a ping from `from` to `dst` get its reply? `toPlace` (the node that should answer) is optional: an
 * address outside the lab is only checked one way.
 */
export function explain(t: Topology, from: string, dst: IpAddr, toPlace?: string): Explanation {
  const fwd = oneWay(t, from, dst, toPlace, 'forward');
  if (fwd.problem) return { expected: false, problem: fwd.problem, forward: fwd.trace };
  const answeredBy = fwd.trace.at;
  if (answeredBy === from) return { expected: true, forward: fwd.trace };
  const src = sourceAddress(t, from, dst.family, fwd.trace.first);
  if (!src)
    return {
      expected: false,
      problem: {
        reason: 'NoAddress',
        message: `${placeLabel(t, from)} has no IPv${dst.family} address to send from, so no reply can come back`,
        object: from,
        direction: 'forward',
      },
      forward: fwd.trace,
    };
  const back = oneWay(t, answeredBy, src, from, 'reverse');
  return {
    expected: !back.problem,
    ...(back.problem ? { problem: back.problem } : {}),
    forward: fwd.trace,
    reverse: back.trace,
  };
}

export interface PairPlan {
  from: string;
  to: string;
  target: IpAddr;
  explanation: Explanation;
}

/** Namespace nodes with at least one address: the rows and columns of the matrix. */
export function matrixNodes(t: Topology): string[] {
  return t.lab.nodes
    .filter((n) => n.kind === 'namespace' && (t.byPlace.get(n.id) ?? []).some((i) => i.addrs.length > 0))
    .map((n) => n.id);
}

/** Every ordered pair (from ≠ to) with the address to ping and the design's prediction. */
export function planMatrix(t: Topology): { nodes: string[]; pairs: PairPlan[] } {
  const nodes = matrixNodes(t);
  const pairs: PairPlan[] = [];
  for (const from of nodes)
    for (const to of nodes) {
      if (from === to) continue;
      const target = nodeAddress(t, to);
      if (!target) continue;
      pairs.push({ from, to, target, explanation: explain(t, from, target, to) });
    }
  return { nodes, pairs };
}

/**
 * The problem to show for a measured cell: the design's reason when the ping failed as predicted; when the
 * ping disagrees with the design, say so (the host differs from the lab, or something outside it interferes).
 */
export function cellProblem(plan: PairPlan, reachable: boolean): PathProblem | undefined {
  if (!reachable && plan.explanation.problem) return plan.explanation.problem;
  if (!reachable)
    return {
      reason: 'Unknown',
      message: 'the design says this should work, but no reply came back (is the lab applied and in sync?)',
      direction: 'forward',
    };
  return undefined;
}
