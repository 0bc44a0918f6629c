/**
 * The HTTP + WebSocket contract between canvas and server. The client imports these schemas (never server
 * code) and parses responses with them; the server parses requests with them.
 */
import * as z from 'zod';
import { ClassroomDashboard } from './classroom';
import { GradeReport } from './exercise';
import { Lab, LabName } from './lab';
import { Layout } from './layout';
import { LabStatus, ObjectStatus } from './status';

export const DEFAULT_PORT = 7411;

export const LabSummary = z.strictObject({
  name: z.string(),
  title: z.string().optional(),
  revision: z.number().int(),
  updatedAt: z.string(),
  /** Revision last applied to the host, or null. */
  appliedRevision: z.number().int().nullable(),
  nodes: z.number().int(),
  links: z.number().int(),
});
export type LabSummary = z.infer<typeof LabSummary>;

/** GET /api/labs */
export const ListLabsResponse = z.strictObject({ labs: z.array(LabSummary) });
/** GET /api/labs/:name, and the body of successful create/update responses. */
export const LabDocument = z.strictObject({ lab: Lab, layout: Layout, revision: z.number().int() });
export type LabDocument = z.infer<typeof LabDocument>;
/** POST /api/labs */
export const CreateLabRequest = z.strictObject({ lab: z.unknown(), layout: z.unknown().optional() });
/** PUT /api/labs/:name — `baseRevision` must equal the stored revision, else 409. */
export const UpdateLabRequest = z.strictObject({
  /** Omitted = a layout-only edit (the stored lab is kept). */
  lab: z.unknown().optional(),
  layout: z.unknown().optional(),
  baseRevision: z.number().int(),
});
/** POST /api/labs/import — a lab file's text, JSON or YAML. */
export const ImportLabRequest = z.strictObject({
  text: z.string().max(5_000_000),
  format: z.enum(['json', 'yaml']).optional(),
});

/**
 * POST /api/labs/:name/plan → PlanResult (dry run; 400 InvalidLab first).
 * POST /api/labs/:name/apply → 202 OperationStarted. Both take an optional `baseRevision`: when given and
 * stale, 409 and nothing runs (so the canvas never applies a lab it has not seen).
 */
export const OperationRequest = z.strictObject({ baseRevision: z.number().int().optional() });
export type OperationRequest = z.infer<typeof OperationRequest>;

/** POST /api/labs/:name/rename | duplicate — the new lab name (and, optionally, its title). */
export const LabTransferRequest = z.strictObject({
  to: LabName,
  title: z.string().max(120).optional(),
});
export type LabTransferRequest = z.infer<typeof LabTransferRequest>;

/**
 * GET /api/names?lab=NAME — kernel names already taken where every lab shares them: namespace names and
 * interfaces of the root namespace, from every other stored lab and from the host (minus what NAME made).
 */
export const NamesInUse = z.strictObject({
  namespaces: z.array(z.string()),
  rootInterfaces: z.array(z.string()),
});
export type NamesInUse = z.infer<typeof NamesInUse>;

/** GET /api/labs/:name/export?format=json|yaml */
export const ExportFormat = z.enum(['json', 'yaml']).default('json');

/** GET /api/examples; POST /api/examples/:file/open → LabDocument (the existing lab if already opened). */
export const ExampleSummary = z.strictObject({
  file: z.string(),
  name: z.string(),
  title: z.string(),
  description: z.string(),
});
export const ListExamplesResponse = z.strictObject({ examples: z.array(ExampleSummary) });

/** POST /api/labs/:name/apply | destroy → 202 */
export const OperationStarted = z.strictObject({ operationId: z.string() });

export const OperationResult = z.strictObject({
  operationId: z.string(),
  lab: z.string(),
  action: z.enum(['apply', 'destroy', 'recover']),
  ok: z.boolean(),
  /** Number of host operations executed (0 for a no-op apply). */
  ran: z.number().int(),
  durationMs: z.number(),
  /** The shell text of every command this operation ran, in order (the equivalent `ip …` commands). */
  commands: z.array(z.string()).optional(),
  error: z
    .strictObject({
      code: z.string(),
      message: z.string(),
      /** The failing command's argv, and the lab object it concerned. */
      argv: z.array(z.string()).optional(),
      object: z.string().optional(),
      stderr: z.string().optional(),
      rolledBack: z.boolean(),
    })
    .optional(),
});
export type OperationResult = z.infer<typeof OperationResult>;

export const Mode = z.enum(['host', 'sandbox']);
export type Mode = z.infer<typeof Mode>;

/**
 * GET /api/info. Not strict: a client bundle still cached from an older version keeps working against a newer
 * server that reports more (it was strict once, and a new `driver` field left such a page on "untitled").
 */
export const InfoResponse = z.object({
  mode: Mode,
  version: z.string(),
  capabilities: z.record(z.string(), z.boolean()),
  versions: z.record(z.string(), z.string()),
  /** What runs operations on the host: `ip-batch` (iproute2 processes) or `netlink` (the native agent). */
  driver: z.string().optional(),
  defaultLab: z.string().optional(),
});
export type InfoResponse = z.infer<typeof InfoResponse>;

// ---- WebSocket /ws ----
export const ClientMessage = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('subscribe'), lab: z.string() }),
  z.strictObject({ type: z.literal('unsubscribe'), lab: z.string() }),
  /** A topic that is not a lab (the teacher's `classroom` dashboard); refused where the hub has no such topic. */
  z.strictObject({ type: z.literal('watch'), topic: z.string() }),
  z.strictObject({ type: z.literal('unwatch'), topic: z.string() }),
]);
export type ClientMessage = z.infer<typeof ClientMessage>;

export const ServerMessage = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('hello'), mode: Mode }),
  z.strictObject({ type: z.literal('snapshot'), status: LabStatus }),
  z.strictObject({
    type: z.literal('delta'),
    lab: z.string(),
    at: z.string(),
    observedRevision: z.number().int(),
    appliedRevision: z.number().int().nullable(),
    /** Changed objects (full ObjectStatus each); ids in `removed` no longer exist in the lab. */
    objects: z.record(z.string(), ObjectStatus),
    removed: z.array(z.string()).default([]),
  }),
  z.strictObject({
    type: z.literal('progress'),
    operationId: z.string(),
    lab: z.string(),
    step: z.number().int(),
    total: z.number().int(),
    phase: z.enum(['observe', 'plan', 'execute', 'verify', 'rollback', 'done']),
    command: z.string().optional(),
    object: z.string().optional(),
  }),
  z.strictObject({ type: z.literal('result'), result: OperationResult }),
  z.strictObject({ type: z.literal('error'), message: z.string() }),
  /**
   * Live grading of a lab that belongs to an exercise (issue #17), to the lab's subscribers: the whole report
   * whenever a goal's verdict or reason changes; null when the lab no longer belongs to an exercise.
   */
  z.strictObject({ type: z.literal('exercise'), lab: z.string(), report: GradeReport.nullable() }),
  /** Classroom mode (teacher only): the whole dashboard, whenever a student joins or a verdict changes. */
  z.strictObject({ type: z.literal('classroom'), dashboard: ClassroomDashboard }),
]);
export type ServerMessage = z.infer<typeof ServerMessage>;
