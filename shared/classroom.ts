/**
 * Classroom mode (issue #17 item 4): the teacher's view of every student — who joined, the exercise pushed
 * to the class, each student's live grade report — and the requests of the teacher's dashboard. Pure zod.
 */
import * as z from 'zod';
import { GradeReport } from './exercise';

export const PrincipalRole = z.enum(['operator', 'teacher', 'student']);
export type PrincipalRole = z.infer<typeof PrincipalRole>;

/** Student ids: what the roster makes of a name (lowercase letters, digits, dashes). */
export const StudentId = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]{0,39}$/, { error: 'a student id is 1–40 lowercase letters, digits or dashes' });

export const ClassroomStudent = z.strictObject({
  id: StudentId,
  label: z.string(),
  /** The student's personal link (carries their token): shown to the teacher only. */
  link: z.string(),
  /** The student opened their link: their sandbox exists. */
  joined: z.boolean(),
  /** The lab of the pushed exercise in the student's world, once started. */
  lab: z.string().nullable(),
  /** When the student's current attempt started (ISO), once started. */
  startedAt: z.string().nullable(),
  /** Live grading of that lab (null before the first report). */
  report: GradeReport.nullable(),
  /** Why the exercise could not be started for this student (a quota, a failed apply), if so. */
  error: z.string().nullable(),
});
export type ClassroomStudent = z.infer<typeof ClassroomStudent>;

export const ClassroomDashboard = z.strictObject({
  /** The exercise pushed to everyone (catalogue file + title), or null. */
  exercise: z.strictObject({ file: z.string(), title: z.string() }).nullable(),
  students: z.array(ClassroomStudent),
  quotas: z.strictObject({
    namespaces: z.number().int(),
    terminals: z.number().int(),
    captures: z.number().int(),
    processes: z.number().int(),
  }),
  at: z.string(),
});
export type ClassroomDashboard = z.infer<typeof ClassroomDashboard>;

/** POST /api/classroom/push */
export const PushExerciseRequest = z.strictObject({ file: z.string().min(1).max(200) });
export type PushExerciseRequest = z.infer<typeof PushExerciseRequest>;

/** The /ws topic the dashboard watches (teacher only). */
export const CLASSROOM_TOPIC = 'classroom';

/** Query parameter of the student canvas the teacher opens read-only: `/?view=student&student=ID`. */
export const VIEW_PREFIX = '/classroom/view';
