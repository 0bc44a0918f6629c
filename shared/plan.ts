/**
 * Operation/Plan as seen outside the engine (API, CLI, canvas): what will run, why, and the equivalent
 * shell command a student could type. The engine's internal operations carry typed parameters; this is
 * their public view.
 */
import * as z from 'zod';

/** `noun.verb`, e.g. netns.create, veth.create, addr.add, link.up, route.replace, link.setMaster. */
export const OperationKind = z.string().regex(/^[a-z]+\.[a-zA-Z]+$/);

export const PlanOp = z.strictObject({
  index: z.number().int(),
  kind: OperationKind,
  /** Id of the lab object the operation concerns (node, link, or endpoint key). */
  object: z.string(),
  /** Network namespace the command runs in; null = the root namespace. */
  netns: z.string().nullable(),
  reason: z.string(),
  /** The equivalent command as argv, e.g. ["ip","-n","red","link","set","red-eth0","up"]. */
  argv: z.array(z.string()),
  /** The command that undoes it (what rollback would run). */
  inverseArgv: z.array(z.string()).nullable(),
});
export type PlanOp = z.infer<typeof PlanOp>;

export const PlanResult = z.strictObject({
  lab: z.string(),
  operations: z.array(PlanOp),
  /** A POSIX shell script equivalent to the plan (for teaching; never executed by Netloom). */
  script: z.string(),
  /** Plan-time errors (e.g. a name held by a foreign object); when non-empty nothing may run. */
  errors: z.array(
    z.strictObject({
      code: z.string(),
      message: z.string(),
      path: z.string().optional(),
      /** Id of the lab object it concerns (node, link, endpoint key), so the canvas can show it there. */
      object: z.string().optional(),
    }),
  ),
  /**
   * Plan-time warnings (same shape as errors, `severity: 'warning'`): nothing is refused, but the user should
   * see them before applying (a very short host-side prefix, a scale limit close by). Absent when none.
   */
  warnings: z
    .array(
      z.strictObject({
        code: z.string(),
        message: z.string(),
        severity: z.literal('warning'),
        path: z.string().optional(),
        object: z.string().optional(),
      }),
    )
    .optional(),
});
export type PlanResult = z.infer<typeof PlanResult>;
