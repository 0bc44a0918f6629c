/**
 * The Exercise document (issue #17): a starting lab, goals checked against the LIVE kernel, locks on the design,
 * an optional reference solution; plus the grading report and the pure rules both sides share (validation,
 * lock violations, which lab objects a goal is about). Goals name what a student sees: namespace and
 * interface names as `ip` shows them (`host` = the root namespace), never lab ids. Pure zod; no I/O.
 */
import * as z from 'zod';
import type { Issue } from './errors';
import { Cidr, Id, IfName, IpAddress, Lab, LabName, NetnsName } from './lab';
import { Layout } from './layout';
import { validate } from './validate';

export const EXERCISE_VERSION = 1 as const;

/** Free text shown to people (Markdown where it says so); never passed to a command. */
const Prose = (max: number) =>
  z
    .string()
    .max(max)
    // biome-ignore lint/suspicious/noControlCharactersInRegex: rejecting control characters is the point
    .regex(/^[^\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]*$/, 'text cannot contain control characters');

/** The root network namespace in goals (`from: host`). A lab of an exercise may not name a namespace so. */
export const HOST_PLACE = 'host';

/** Where a check looks: a namespace name as `ip netns` lists it, or `host` (the root namespace). */
export const Place = NetnsName;
export type Place = z.infer<typeof Place>;

const present = z.boolean().default(true);

export const NamespaceCheck = z.strictObject({
  kind: z.literal('namespace'),
  netns: NetnsName,
  /** false: the namespace must NOT exist. */
  present,
});

export const InterfaceCheck = z.strictObject({
  kind: z.literal('interface'),
  netns: Place,
  dev: IfName,
  present,
  /** Administrative state (`ip link set … up`). */
  up: z.boolean().optional(),
  /** Carrier: operstate UP (or UNKNOWN, as loopback reports when up). A veth has carrier when both ends are up. */
  carrier: z.boolean().optional(),
  mtu: z.number().int().min(68).max(65535).optional(),
  /** Bridge port of this bridge (same namespace); null: not a port of any bridge. */
  master: IfName.nullable().optional(),
  /** Link kind as `ip -d link` says: veth, bridge, vxlan, loopback, macvlan, tun, … */
  type: z
    .string()
    .regex(/^[a-z0-9_-]{1,32}$/)
    .optional(),
  /** A veth whose other end is `dev` in `netns`. */
  peer: z.strictObject({ netns: Place, dev: IfName }).optional(),
  /** VXLAN network identifier (a vxlan device). */
  vni: z.number().int().min(1).max(16777215).optional(),
});

export const AddressCheck = z.strictObject({
  kind: z.literal('address'),
  netns: Place,
  /** The interface; absent: any interface of the namespace. */
  dev: IfName.optional(),
  /** With a prefix (`10.0.0.1/24`: that exact prefix) or without (`10.0.0.1`: any prefix). */
  address: z.union([Cidr, IpAddress]),
  present,
});

export const RouteCheck = z
  .strictObject({
    kind: z.literal('route'),
    netns: Place,
    /** Exactly this destination (`default` or a network)… */
    to: z.union([z.literal('default'), Cidr]).optional(),
    /** …or: the route the kernel would pick for this address (longest prefix) — connected routes count. */
    dst: IpAddress.optional(),
    via: IpAddress.optional(),
    dev: IfName.optional(),
    present,
  })
  .refine((c) => (c.to === undefined) !== (c.dst === undefined), {
    error: 'a route check names either "to" (a destination) or "dst" (an address to look up), not both',
  });

export const ForwardingCheck = z.strictObject({
  kind: z.literal('forwarding'),
  netns: Place,
  /** IPv4 forwarding (net.ipv4.ip_forward) on (true) or off (false). */
  on: z.boolean().default(true),
});

export const ReachCheck = z.strictObject({
  kind: z.literal('reach'),
  from: Place,
  to: IpAddress,
  /** false: must NOT get a reply (isolation). */
  expect: z.boolean().default(true),
  /** ICMP payload bytes (`ping -s`), sent with "don't fragment": an MTU problem shows. */
  size: z.number().int().min(0).max(65000).optional(),
  count: z.number().int().min(1).max(5).default(2),
  /** Seconds to wait for each reply. */
  timeoutS: z.number().int().min(1).max(5).default(1),
});

export const PathCheck = z.strictObject({
  kind: z.literal('path'),
  from: Place,
  to: IpAddress,
  /** The namespace (router) the packet must cross: one of its addresses answers as a hop of traceroute. */
  via: Place,
  /** false: the path must reach `to` WITHOUT crossing `via`. */
  expect: z.boolean().default(true),
});

/** Packet kinds a capture check recognizes (each is a tcpdump filter; see captureFilter()). */
export const PacketKind = z.enum(['arp', 'icmp', 'icmp6', 'udp', 'tcp', 'vxlan', 'wireguard', 'any']);
export type PacketKind = z.infer<typeof PacketKind>;
/** Default UDP ports of the encapsulations. */
export const DEFAULT_PORTS = { vxlan: 4789, wireguard: 51820 } as const;

export const CaptureCheck = z.strictObject({
  kind: z.literal('capture'),
  netns: Place,
  dev: IfName,
  packet: PacketKind,
  /** UDP/TCP port (vxlan: 4789, wireguard: 51820 by default). */
  port: z.number().int().min(1).max(65535).optional(),
  /** Only packets from / to this address. */
  src: IpAddress.optional(),
  dst: IpAddress.optional(),
  /** false: must NOT be seen (while the trigger's ping gets its replies). */
  expect: z.boolean().default(true),
  /** Traffic made while capturing: a few pings from `from` to `to`. */
  trigger: z.strictObject({ from: Place, to: IpAddress }).optional(),
  /** How long to listen (seconds). */
  windowS: z.number().int().min(1).max(10).default(3),
});

export const ServiceCheck = z.strictObject({
  kind: z.literal('service'),
  from: Place,
  to: IpAddress,
  port: z.number().int().min(1).max(65535),
  /** tcp: a connection is accepted. udp: a datagram gets any datagram back. */
  protocol: z.enum(['tcp', 'udp']).default('tcp'),
  expect: z.boolean().default(true),
  timeoutS: z.number().int().min(1).max(5).default(1),
});

/** The student's design (the lab as stored) and the kernel agree: every object of it is ready, nothing drifted. */
export const AgreeCheck = z.strictObject({
  kind: z.literal('agree'),
  /** Only these lab objects (ids); absent: all of them. */
  objects: z.array(Id).max(256).optional(),
});

export const Check = z.discriminatedUnion('kind', [
  NamespaceCheck,
  InterfaceCheck,
  AddressCheck,
  RouteCheck,
  ForwardingCheck,
  ReachCheck,
  PathCheck,
  CaptureCheck,
  ServiceCheck,
  AgreeCheck,
]);
export type Check = z.infer<typeof Check>;
export type CheckKind = Check['kind'];
/** Checks that run a program (ping, traceroute, tcpdump, a connect) or ask for a status: run when needed. */
export const PROBE_KINDS: ReadonlySet<CheckKind> = new Set(['reach', 'path', 'capture', 'service', 'agree']);

export const Goal = z.strictObject({
  id: Id,
  title: Prose(200),
  points: z.number().int().min(0).max(100).default(1),
  /** Shown on demand. */
  hint: Prose(2000).optional(),
  /** Shown once the goal is met: why it works (Markdown). */
  explain: Prose(4000).optional(),
  /**
   * Once met, stays met until the exercise restarts: for events a re-check may not see again (an ARP exchange
   * happens once, then the answer is cached).
   */
  latch: z.boolean().default(false),
  check: Check,
});
export type Goal = z.infer<typeof Goal>;

/**
 * A part of the starting design the student may not change: a node or link (by id), whole or only some fields
 * (dot paths inside the object: `name`, `addresses`, `endpoints.0.addresses`, `forwarding`).
 */
export const Lock = z.strictObject({
  object: Id,
  fields: z
    .array(
      z
        .string()
        .max(100)
        .regex(/^[A-Za-z0-9]+(\.[A-Za-z0-9]+)*$/, 'a field is a dot path such as "name" or "endpoints.0.addresses"'),
    )
    .min(1)
    .max(32)
    .optional(),
  /** Why (shown to the student when an edit is refused). */
  reason: Prose(300).optional(),
});
export type Lock = z.infer<typeof Lock>;

/** Programs a setup or solution command may run; each targets one namespace of the exercise. */
export const COMMAND_PROGRAMS: ReadonlySet<string> = new Set(['ip', 'bridge', 'tc', 'sysctl', 'nft']);
/** Arguments that would make a program read files or run batches: never allowed. */
const FORBIDDEN_ARGS: ReadonlySet<string> = new Set([
  '-b',
  '-batch',
  '-force',
  '-f',
  '--file',
  '-i',
  '--interactive',
  '-I',
  '--includepath',
  '-p',
  '--load',
  '--system',
]);

/** One plain command as argv (never a shell string). */
export const Argv = z
  .array(
    z
      .string()
      .min(1)
      .max(256)
      // biome-ignore lint/suspicious/noControlCharactersInRegex: an argument must not carry control characters
      .regex(/^[^\u0000-\u001f\u007f]*$/, 'an argument cannot contain control characters'),
  )
  .min(2)
  .max(64);
export type Argv = z.infer<typeof Argv>;

/**
 * The reference solution: a lab (applied through the engine, as a canvas edit would be) and/or plain commands
 * (run in the sandbox after it, as a student typing `ip …` in a terminal would).
 */
export const Solution = z
  .strictObject({ lab: Lab.optional(), commands: z.array(Argv).max(200).optional() })
  .refine((s) => s.lab !== undefined || (s.commands?.length ?? 0) > 0, {
    error: 'a solution has a lab, commands, or both',
  });
export type Solution = z.infer<typeof Solution>;

export const Exercise = z.strictObject({
  version: z.literal(EXERCISE_VERSION),
  title: Prose(120),
  /** One line for the catalogue. */
  summary: Prose(300).optional(),
  /** What to do (Markdown). */
  instructions: Prose(20000),
  /** What the student gets (possibly broken on purpose). Its name is the name of the student's lab. */
  lab: Lab,
  /** How the starting lab is drawn (positions); absent: laid out automatically. */
  layout: Layout.optional(),
  /** Commands run once the starting lab is up: breakage the lab format cannot express (e.g. `lo` down). */
  setup: z.array(Argv).max(200).default([]),
  goals: z.array(Goal).min(1).max(100),
  locks: z.array(Lock).max(200).default([]),
  solution: Solution.optional(),
});
export type Exercise = z.infer<typeof Exercise>;
export type ExerciseInput = z.input<typeof Exercise>;

/** What a student's browser gets: the exercise without its solution. */
export type ExerciseView = Omit<Exercise, 'solution'>;
export const toView = ({ solution: _s, ...rest }: Exercise): ExerciseView => rest;

// ---- validation ---------------------------------------------------------------------------------------

export type ExerciseValidation =
  | { ok: true; exercise: Exercise; issues: Issue[] }
  | { ok: false; exercise?: undefined; issues: Issue[] };

const err = (path: Issue['path'], code: string, message: string): Issue => ({
  path,
  message,
  severity: 'error',
  code,
});

/**
 * Every problem of an exercise document, each with a JSON path: the starting and solution labs by the lab
 * rules (validate()), the exercise structure, unique goal ids, locks naming objects of the starting lab,
 * commands that only touch the exercise's own namespaces. Pure; never throws.
 */
export function validateExercise(input: unknown): ExerciseValidation {
  const issues: Issue[] = [];
  const data = (typeof input === 'object' && input !== null ? input : {}) as Record<string, unknown>;
  // The labs first, with the lab rules' own messages (paths prefixed).
  const labIssues = (v: unknown, at: (string | number)[]) => {
    const r = validate(v);
    for (const i of r.issues) if (i.severity === 'error') issues.push({ ...i, path: [...at, ...i.path] });
    return r.ok ? r.lab : null;
  };
  labIssues(data.lab, ['lab']);
  const sol = data.solution as Record<string, unknown> | undefined;
  if (sol && typeof sol === 'object' && sol.lab !== undefined) labIssues(sol.lab, ['solution', 'lab']);
  if (issues.length) return { ok: false, issues };

  const parsed = Exercise.safeParse(input);
  if (!parsed.success) {
    for (const zi of parsed.error.issues)
      issues.push(
        err(
          zi.path.map((p) => (typeof p === 'symbol' ? String(p) : p)),
          zi.code === 'unrecognized_keys' ? 'UnknownField' : 'InvalidValue',
          zi.message,
        ),
      );
    return { ok: false, issues };
  }
  const ex = parsed.data;
  const namespaces = new Set<string>();
  for (const lab of [ex.lab, ex.solution?.lab])
    for (const n of lab?.nodes ?? []) if (n.kind === 'namespace') namespaces.add(n.name);
  if (namespaces.has(HOST_PLACE))
    issues.push(err(['lab', 'nodes'], 'AmbiguousPlace', `a namespace of an exercise cannot be named "${HOST_PLACE}"`));
  if (ex.solution?.lab && ex.solution.lab.name !== ex.lab.name)
    issues.push(
      err(['solution', 'lab', 'name'], 'SolutionLabName', `the solution's lab must be named "${ex.lab.name}"`),
    );
  const ids = new Set<string>();
  ex.goals.forEach((g, i) => {
    if (ids.has(g.id)) issues.push(err(['goals', i, 'id'], 'DuplicateId', `two goals have the id "${g.id}"`));
    ids.add(g.id);
  });
  const objects = new Map<string, unknown>([
    ...ex.lab.nodes.map((n) => [n.id, n] as const),
    ...ex.lab.links.map((l) => [l.id, l] as const),
  ]);
  ex.locks.forEach((lock, i) => {
    const obj = objects.get(lock.object);
    if (obj === undefined) {
      issues.push(err(['locks', i, 'object'], 'UnknownObject', `the starting lab has no object "${lock.object}"`));
      return;
    }
    lock.fields?.forEach((f, j) => {
      if (!hasPath(obj, f))
        issues.push(err(['locks', i, 'fields', j], 'UnknownField', `"${lock.object}" has no field "${f}"`));
    });
  });
  const cmdIssues = (list: readonly Argv[], at: string) =>
    list.forEach((argv, i) => {
      const p = commandProblem(argv, namespaces);
      if (p) issues.push(err([at, ...(at === 'solution' ? ['commands'] : []), i], 'UnsafeCommand', p));
    });
  cmdIssues(ex.setup, 'setup');
  cmdIssues(ex.solution?.commands ?? [], 'solution');
  return issues.length ? { ok: false, issues } : { ok: true, exercise: ex, issues: [] };
}

/**
 * Why a setup/solution command may not run, or null. Shapes: `ip|bridge|tc -n NS …` and
 * `ip netns exec NS PROG …` (PROG one of COMMAND_PROGRAMS); every namespace named (also `netns NS` inside
 * the command, e.g. a veth peer's) must be one of the exercise's; nothing that reads files or batches.
 */
export function commandProblem(argv: readonly string[], namespaces: ReadonlySet<string>): string | null {
  const own = (ns: string | undefined) => ns !== undefined && namespaces.has(ns);
  let rest: readonly string[];
  if (argv[0] === 'ip' && argv[1] === 'netns' && argv[2] === 'exec') {
    if (!own(argv[3])) return `"${argv[3] ?? ''}" is not a namespace of this exercise`;
    const prog = argv[4];
    if (!prog || !COMMAND_PROGRAMS.has(prog))
      return `only ${[...COMMAND_PROGRAMS].join(', ')} may run inside a namespace (got "${prog ?? ''}")`;
    if ((prog === 'ip' || prog === 'bridge' || prog === 'tc') && argv[5] === '-n')
      return 'a command runs in one namespace: no -n inside ip netns exec';
    rest = argv.slice(5);
  } else if (argv[0] === 'ip' || argv[0] === 'bridge' || argv[0] === 'tc') {
    if (argv[1] !== '-n' || !own(argv[2]))
      return `a command must name a namespace of this exercise right after "${argv[0]}" (-n NAME)`;
    rest = argv.slice(3);
    if (argv[0] === 'ip' && rest[0] === 'netns') return 'namespaces come from the lab, not from ip netns commands';
  } else return `a command runs ip, bridge or tc with -n NAME, or "ip netns exec NAME …" (got "${argv[0] ?? ''}")`;
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i]!;
    if (FORBIDDEN_ARGS.has(a)) return `"${a}" is not allowed in an exercise command`;
    if (a === 'netns' && !own(rest[i + 1])) return `"${rest[i + 1] ?? ''}" is not a namespace of this exercise`;
  }
  return null;
}

// ---- locks --------------------------------------------------------------------------------------------

function getPath(obj: unknown, path: string): unknown {
  let cur: unknown = obj;
  for (const seg of path.split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[seg];
  }
  return cur;
}
function hasPath(obj: unknown, path: string): boolean {
  const segs = path.split('.');
  const last = segs.pop()!;
  const parent = segs.length ? getPath(obj, segs.join('.')) : obj;
  if (parent === null || typeof parent !== 'object') return false;
  // A field the schema knows but the object leaves out (e.g. no `mtu` yet) can still be locked.
  return Array.isArray(parent) ? Number(last) < parent.length : true;
}

/** Deep equality of plain data, key order ignored, an undefined value the same as no key. */
export function sameData(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    return a.length === bb.length && a.every((x, i) => sameData(x, bb[i]));
  }
  const x = a as Record<string, unknown>;
  const y = b as Record<string, unknown>;
  const keys = new Set([...Object.keys(x), ...Object.keys(y)]);
  for (const k of keys) if (!sameData(x[k], y[k])) return false;
  return true;
}

/** Defaults filled in (a canvas lab may leave `routes: []` out), so both sides compare the same thing. */
function normalized(lab: Lab): Lab {
  const r = Lab.safeParse(lab);
  return r.success ? r.data : lab;
}

/**
 * The edits of `lab` that break a lock of the exercise (compared with the starting lab): a locked object
 * removed, or a locked field (the whole object when no fields are given) changed. Each issue names the JSON
 * path in `lab` and the object, so the canvas and the server both point at it. Pure.
 */
export function lockViolations(ex: Pick<Exercise, 'lab' | 'locks'>, lab: Lab): Issue[] {
  if (!ex.locks.length) return [];
  const start = normalized(ex.lab);
  const now = normalized(lab);
  const out: Issue[] = [];
  const find = (l: Lab, id: string) => {
    const n = l.nodes.findIndex((x) => x.id === id);
    if (n >= 0) return { coll: 'nodes' as const, index: n, obj: l.nodes[n] as unknown };
    const k = l.links.findIndex((x) => x.id === id);
    return k >= 0 ? { coll: 'links' as const, index: k, obj: l.links[k] as unknown } : null;
  };
  for (const lock of ex.locks) {
    const before = find(start, lock.object);
    if (!before) continue;
    const after = find(now, lock.object);
    const why = lock.reason ? ` (${lock.reason})` : '';
    if (!after) {
      out.push({
        path: [before.coll],
        message: `"${lock.object}" is locked by the exercise and cannot be removed${why}`,
        severity: 'error',
        code: 'Locked',
        object: lock.object,
      });
      continue;
    }
    for (const f of lock.fields ?? [null]) {
      const a = f === null ? before.obj : getPath(before.obj, f);
      const b = f === null ? after.obj : getPath(after.obj, f);
      if (sameData(a, b)) continue;
      out.push({
        path: [
          after.coll,
          after.index,
          ...(f === null ? [] : f.split('.').map((s) => (/^\d+$/.test(s) ? Number(s) : s))),
        ],
        message: `${f === null ? `"${lock.object}"` : `"${f}" of "${lock.object}"`} is locked by the exercise${why}`,
        severity: 'error',
        code: 'Locked',
        object: lock.object,
      });
    }
  }
  return out;
}

/** Lab object ids a lock covers whole or in part (for a lock badge). */
export const lockedObjects = (ex: Pick<Exercise, 'locks'>): string[] => [...new Set(ex.locks.map((l) => l.object))];

// ---- what a goal is about -----------------------------------------------------------------------------

/** The kernel places (and interfaces) a check reads, in the names a student sees. */
export function checkRefs(c: Check): { netns: Place; dev?: string }[] {
  switch (c.kind) {
    case 'namespace':
      return [{ netns: c.netns }];
    case 'interface':
      return [{ netns: c.netns, dev: c.dev }, ...(c.peer ? [{ netns: c.peer.netns, dev: c.peer.dev }] : [])];
    case 'address':
    case 'route':
      return [c.dev ? { netns: c.netns, dev: c.dev } : { netns: c.netns }];
    case 'forwarding':
      return [{ netns: c.netns }];
    case 'reach':
    case 'service':
      return [{ netns: c.from }];
    case 'path':
      return [{ netns: c.from }, { netns: c.via }];
    case 'capture':
      return [{ netns: c.netns, dev: c.dev }, ...(c.trigger ? [{ netns: c.trigger.from }] : [])];
    case 'agree':
      return [];
  }
}

/**
 * Lab object ids (nodes, links) a check is about, resolved in the student's current design by kernel name:
 * a namespace → its node (`host` → the host node); an interface → the link whose end it is (or the bridge /
 * the namespace holding an attached interface). Names the design does not have resolve to nothing.
 */
export function goalObjects(c: Check, lab: Lab): string[] {
  if (c.kind === 'agree') return c.objects ? [...c.objects] : [];
  const out = new Set<string>();
  const nsNode = (place: string) =>
    place === HOST_PLACE
      ? lab.nodes.find((n) => n.kind === 'host')
      : lab.nodes.find((n) => n.kind === 'namespace' && n.name === place);
  for (const ref of checkRefs(c)) {
    const node = nsNode(ref.netns);
    if (ref.dev === undefined) {
      if (node) out.add(node.id);
      continue;
    }
    // The place an endpoint lives in: its namespace node, the host, or the namespace of its bridge.
    const placeOf = (nodeId: string): string | undefined => {
      const n = lab.nodes.find((x) => x.id === nodeId);
      if (!n) return undefined;
      if (n.kind === 'namespace') return n.name;
      if (n.kind === 'host') return HOST_PLACE;
      if (n.namespace === undefined) return HOST_PLACE;
      const holder = lab.nodes.find((x) => x.id === n.namespace);
      return holder?.kind === 'namespace' ? holder.name : undefined;
    };
    let found = false;
    for (const l of lab.links)
      for (const ep of l.endpoints)
        if (ep.ifname === ref.dev && placeOf(ep.node) === ref.netns) {
          out.add(l.id);
          found = true;
        }
    for (const n of lab.nodes) {
      if (n.kind === 'bridge' && n.name === ref.dev && placeOf(n.id) === ref.netns) {
        out.add(n.id);
        found = true;
      }
      if (n.kind === 'namespace' && n.name === ref.netns && n.interfaces?.some((i) => i.name === ref.dev)) {
        out.add(n.id);
        found = true;
      }
    }
    if (!found && node) out.add(node.id);
  }
  return [...out];
}

// ---- grading report ------------------------------------------------------------------------------------

export const GoalResult = z.strictObject({
  id: z.string(),
  title: z.string(),
  points: z.number().int(),
  /** true met, false not met, null not judged yet (a probe is still running for the first time). */
  met: z.boolean().nullable(),
  /** Why, in one sentence (what was seen on the host). */
  reason: z.string(),
  /** Lab object ids the goal is about (badges on the canvas). */
  objects: z.array(z.string()),
  /** When this verdict was reached (ISO). */
  at: z.string(),
});
export type GoalResult = z.infer<typeof GoalResult>;

export const GradeReport = z.strictObject({
  lab: z.string(),
  title: z.string(),
  at: z.string(),
  earned: z.number().int(),
  total: z.number().int(),
  /** Every goal met. */
  complete: z.boolean(),
  goals: z.array(GoalResult),
});
export type GradeReport = z.infer<typeof GradeReport>;

/** Points of the met goals, the total, and whether all are met. */
export function tally(goals: readonly Pick<GoalResult, 'points' | 'met'>[]): {
  earned: number;
  total: number;
  complete: boolean;
} {
  let earned = 0;
  let total = 0;
  for (const g of goals) {
    total += g.points;
    if (g.met === true) earned += g.points;
  }
  return { earned, total, complete: goals.every((g) => g.met === true) };
}

// ---- HTTP contract --------------------------------------------------------------------------------------

/** GET /api/exercises */
export const ExerciseSummary = z.strictObject({
  /** Catalogue key (the file name). */
  file: z.string(),
  lab: LabName,
  title: z.string(),
  summary: z.string(),
  goals: z.number().int(),
  points: z.number().int(),
});
export type ExerciseSummary = z.infer<typeof ExerciseSummary>;
export const ListExercisesResponse = z.strictObject({ exercises: z.array(ExerciseSummary) });

/**
 * POST /api/exercises/:file/start (202: created — or found but not on the host — and being brought up; 200 with
 * operationId null: this exercise's lab exists and is up, kept as the student left it) and
 * POST /api/labs/:name/exercise/reset (202).
 */
export const ExerciseStarted = z.strictObject({
  lab: LabName,
  revision: z.number().int(),
  operationId: z.string().nullable(),
});
export type ExerciseStarted = z.infer<typeof ExerciseStarted>;

/** GET /api/labs/:name/exercise: the exercise a lab belongs to (no solution) and its latest report. */
export const LabExercise = z.strictObject({
  file: z.string(),
  exercise: Exercise.omit({ solution: true }),
  report: GradeReport.nullable(),
});
export type LabExercise = z.infer<typeof LabExercise>;

/** Stored with a student's lab (server/store): which exercise it belongs to, as it was when started. */
export const ExerciseBinding = z.strictObject({
  file: z.string().max(200),
  exercise: Exercise.omit({ solution: true }),
  startedAt: z.string(),
});
export type ExerciseBinding = z.infer<typeof ExerciseBinding>;
