/**
 * Contract of the live tools (issue #7): exec (ping, traceroute, ip …), path, reachability matrix, terminal and
 * packet-capture WebSockets. Requests are parsed with these schemas on the server; the client parses responses
 * and control frames with them. Pure zod; no server code.
 */
import * as z from 'zod';
import { Id, IpAddress } from './lab';

// ---- POST /api/labs/:name/exec ----

export const ExecTool = z.enum(['ping', 'ping6', 'traceroute', 'routeGet', 'ipAddr', 'ipRoute', 'ipNeigh', 'ipLink']);
export type ExecTool = z.infer<typeof ExecTool>;

export const PingArgs = z.strictObject({
  target: IpAddress,
  /** Echo requests to send. */
  count: z.number().int().min(1).max(10).default(3),
  /** Seconds to wait for each reply (ping -W). */
  timeoutS: z.number().int().min(1).max(10).default(2),
});
export type PingArgs = z.infer<typeof PingArgs>;

export const TracerouteArgs = z.strictObject({
  target: IpAddress,
  maxHops: z.number().int().min(1).max(30).default(16),
});
export const RouteGetArgs = z.strictObject({ target: IpAddress });
export const FamilyArgs = z.strictObject({ family: z.enum(['inet', 'inet6']).optional() });
const NoArgs = z.strictObject({});

/** `node`: id of a namespace or host node of the lab; the command runs inside that node's network namespace. */
export const ExecRequest = z.discriminatedUnion('tool', [
  z.strictObject({ node: Id, tool: z.literal('ping'), args: PingArgs }),
  z.strictObject({ node: Id, tool: z.literal('ping6'), args: PingArgs }),
  z.strictObject({ node: Id, tool: z.literal('traceroute'), args: TracerouteArgs }),
  z.strictObject({ node: Id, tool: z.literal('routeGet'), args: RouteGetArgs }),
  z.strictObject({ node: Id, tool: z.literal('ipAddr'), args: FamilyArgs.default({}) }),
  z.strictObject({ node: Id, tool: z.literal('ipRoute'), args: FamilyArgs.default({}) }),
  z.strictObject({ node: Id, tool: z.literal('ipNeigh'), args: FamilyArgs.default({}) }),
  z.strictObject({ node: Id, tool: z.literal('ipLink'), args: NoArgs.default({}) }),
]);
export type ExecRequest = z.infer<typeof ExecRequest>;
export type ExecRequestInput = z.input<typeof ExecRequest>;

/** Summary of ping's output. `rttAvgMs` is null when no reply came back. */
export const PingSummary = z.strictObject({
  transmitted: z.number().int(),
  received: z.number().int(),
  lossPct: z.number(),
  rttAvgMs: z.number().nullable(),
});
export type PingSummary = z.infer<typeof PingSummary>;

export const ExecResponse = z.strictObject({
  /** Exit code 0. A ping without replies is `ok: false` with exit code 1; a timeout is exit code 124. */
  ok: z.boolean(),
  exitCode: z.number().int(),
  stdout: z.string(),
  stderr: z.string(),
  durationMs: z.number(),
  /** The command as it ran inside the node (without the sandbox prefix), for display. */
  command: z.array(z.string()),
  parsed: PingSummary.optional(),
});
export type ExecResponse = z.infer<typeof ExecResponse>;

// ---- reasons shared by path and reachability ----

/**
 * Why a packet cannot make it, as computed from the lab design (+ observed operstate):
 * NoRoute — no connected subnet or route covers the destination at some hop;
 * NoForwarding — the path crosses a namespace with forwarding off;
 * LinkDown — an interface on the path is set down (up:false) or its operstate is DOWN/LOWERLAYERDOWN;
 * DifferentSubnetNoGateway — both ends share a wire/bridge but their addresses are on different subnets and no
 * route says how to get there; GatewayAbsent — a route's next hop is an address nobody on that network has;
 * AddressAbsent — the destination subnet is connected but no interface there has the address;
 * RoutingLoop — routes send the packet round in circles; NoAddress — an end has no address to ping/answer with;
 * Unknown — the design says it works but the ping failed (host out of sync with the lab, or outside interference).
 */
export const PathReason = z.enum([
  'NoRoute',
  'NoForwarding',
  'LinkDown',
  'DifferentSubnetNoGateway',
  'GatewayAbsent',
  'AddressAbsent',
  'RoutingLoop',
  'NoAddress',
  'Unknown',
]);
export type PathReason = z.infer<typeof PathReason>;

export const PathProblem = z.strictObject({
  reason: PathReason,
  message: z.string(),
  /** Lab object id (node, link or endpoint key `link#0`) where the problem is. */
  object: z.string().optional(),
  /** Which way the problem is on: the request, or the reply coming back. */
  direction: z.enum(['forward', 'reverse']),
});
export type PathProblem = z.infer<typeof PathProblem>;

/** One L3 stop: a namespace (or the host) the packet is in, and how it entered and leaves. */
const PathLeg = z.strictObject({
  node: z.string(),
  /** Interface the packet came in by (absent at the source). */
  in: z.string().optional(),
  /** Interface the packet leaves by (absent at the destination). */
  out: z.string().optional(),
  /** Gateway used when leaving, when the route has one. */
  via: z.string().optional(),
  /** Link ids and bridge ids crossed at L2 after leaving this hop, in order (a VXLAN tunnel: its tunnel id). */
  l2: z.array(z.string()).default([]),
});

export const PathHop = PathLeg.extend({
  /**
   * The leg leaves by a tunnel (an overlay, issue #15): which one, and the underlay hops its UDP packets take
   * from this end to the remote one.
   */
  tunnel: z
    .strictObject({
      id: z.string(),
      kind: z.literal('vxlan'),
      vni: z.number(),
      remote: z.string(),
      underlay: z.array(PathLeg),
    })
    .optional(),
});
export type PathHop = z.infer<typeof PathHop>;

// ---- POST /api/labs/:name/path ----

export const PathRequest = z.strictObject({
  from: Id,
  /** A node id (one of its addresses is used) or an address. */
  to: z.union([IpAddress, Id]),
  /** Also run one ping along the path (default true). */
  ping: z.boolean().default(true),
});
export type PathRequest = z.infer<typeof PathRequest>;

export const RouteGetResult = z.strictObject({
  ok: z.boolean(),
  dev: z.string().optional(),
  via: z.string().optional(),
  src: z.string().optional(),
  /** `local`, `unicast`, `unreachable`, … as `ip -j route get` says. */
  type: z.string().optional(),
  /** True when the kernel's first hop (dev + gateway) equals the designed one. */
  agrees: z.boolean(),
  error: z.string().optional(),
});
export type RouteGetResult = z.infer<typeof RouteGetResult>;

export const PathResponse = z.strictObject({
  from: z.string(),
  /** The destination address used. */
  target: z.string(),
  /** Node id holding the target address, when the lab has one. */
  toNode: z.string().optional(),
  /** True when the design says the packet arrives (forward path only). */
  complete: z.boolean(),
  hops: z.array(PathHop),
  /** Every lab object on the forward path, in order: nodes, links, bridges (for highlighting). */
  objects: z.array(z.string()),
  /** Lab objects on the reply's path (may differ with asymmetric routes). */
  reverseObjects: z.array(z.string()),
  problem: PathProblem.optional(),
  routeGet: RouteGetResult,
  ping: ExecResponse.optional(),
});
export type PathResponse = z.infer<typeof PathResponse>;

// ---- POST /api/labs/:name/reachability ----

export const ReachabilityRequest = z.strictObject({
  /** Seconds to wait for each reply (ping -W). */
  timeoutS: z.number().int().min(1).max(5).default(1),
});

export const ReachabilityCell = z.strictObject({
  from: z.string(),
  to: z.string(),
  target: z.string(),
  /** A ping got its reply. */
  reachable: z.boolean(),
  rttMs: z.number().nullable(),
  /** What the design predicts. */
  expected: z.boolean(),
  /** Why not (or why the prediction and the ping disagree), where known. */
  problem: PathProblem.optional(),
});
export type ReachabilityCell = z.infer<typeof ReachabilityCell>;

export const ReachabilityResponse = z.strictObject({
  lab: z.string(),
  /** Namespace node ids with addresses, the grid's rows and columns. */
  nodes: z.array(z.string()),
  /** One cell per ordered pair (from ≠ to). */
  cells: z.array(ReachabilityCell),
  durationMs: z.number(),
});
export type ReachabilityResponse = z.infer<typeof ReachabilityResponse>;

// ---- WebSocket /ws/term?lab=NAME&node=ID&cols=80&rows=24 ----
// Server → client: binary frames = terminal output bytes; text frames = TerminalServerMessage (JSON).
// Client → server: binary frames = keyboard input bytes; text frames = TerminalClientMessage (JSON).

export const TERMINAL_PATH = '/ws/term';
export const MAX_TERMINALS = 32;

export const TerminalQuery = z.strictObject({
  lab: z.string(),
  node: Id,
  cols: z.coerce.number().int().min(2).max(1000).default(80),
  rows: z.coerce.number().int().min(2).max(500).default(24),
  /** Browsers cannot set headers on a WebSocket: the token may come in the query (or the cookie). */
  token: z.string().optional(),
});

export const TerminalClientMessage = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('resize'),
    cols: z.number().int().min(2).max(1000),
    rows: z.number().int().min(2).max(500),
  }),
  z.strictObject({ type: z.literal('input'), data: z.string().max(65536) }),
]);
export type TerminalClientMessage = z.infer<typeof TerminalClientMessage>;

export const TerminalServerMessage = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('ready'), node: z.string(), netns: z.string().nullable() }),
  z.strictObject({ type: z.literal('exit'), exitCode: z.number().int(), signal: z.number().int().optional() }),
  z.strictObject({ type: z.literal('error'), code: z.string(), message: z.string() }),
]);
export type TerminalServerMessage = z.infer<typeof TerminalServerMessage>;

// ---- WebSocket /ws/capture?lab=NAME&link=ID&end=0|1&filter=… ----
// Server → client: binary frames = pcap bytes: the first is the 24-byte global header, each later one is exactly
// one record (16-byte record header + captured bytes); text frames = CaptureServerMessage (JSON).
// Client → server: nothing needed; closing the socket stops the capture.

export const CAPTURE_PATH = '/ws/capture';
export const MAX_CAPTURES = 16;
export const CAPTURE_FILTER_MAX = 256;
/** Characters a BPF filter may use; anything else is refused before tcpdump sees it. */
export const CAPTURE_FILTER_CHARS = /^[A-Za-z0-9 .:/()!<>=&|-]*$/;

export const CaptureFilter = z
  .string()
  .max(CAPTURE_FILTER_MAX, `a capture filter is at most ${CAPTURE_FILTER_MAX} characters`)
  .regex(CAPTURE_FILTER_CHARS, 'a capture filter may use letters, digits, spaces and . : / ( ) ! < > = & | -');

export const CaptureQuery = z.strictObject({
  lab: z.string(),
  link: Id,
  end: z
    .enum(['0', '1'])
    .transform(Number)
    .pipe(z.union([z.literal(0), z.literal(1)])),
  filter: CaptureFilter.default(''),
  token: z.string().optional(),
});

export const CaptureServerMessage = z.discriminatedUnion('type', [
  /** tcpdump is listening: packets from now on are captured. */
  z.strictObject({
    type: z.literal('started'),
    link: z.string(),
    end: z.number().int(),
    ifname: z.string(),
    netns: z.string().nullable(),
    filter: z.string(),
  }),
  /** Sent about once a second while running: records sent, records dropped because the client was slow. */
  z.strictObject({ type: z.literal('stats'), packets: z.number().int(), dropped: z.number().int() }),
  z.strictObject({ type: z.literal('error'), code: z.string(), message: z.string() }),
  z.strictObject({
    type: z.literal('stopped'),
    reason: z.string(),
    packets: z.number().int(),
    dropped: z.number().int(),
  }),
]);
export type CaptureServerMessage = z.infer<typeof CaptureServerMessage>;

/** WebSocket close codes used by the tool sockets (4000 + the HTTP status they correspond to). */
export const ToolCloseCode = {
  BadRequest: 4400,
  /** The target is not owned by this lab (another lab's, foreign, or the host's root shell). */
  Forbidden: 4403,
  NotFound: 4404,
  Conflict: 4409,
  TooMany: 4429,
  Failed: 4500,
} as const;
