/**
 * HTTP calls of the exercise feature through `request` of `api/client.ts` (same-origin, session cookie; errors
 * become `ApiError` with the server's ErrorBody); responses parsed with the shared exercise schemas.
 */
import type { z } from 'zod';
import { OperationResult } from '../../../shared/api';
import { ExerciseStarted, GradeReport, LabExercise, ListExercisesResponse } from '../../../shared/exercise';
import { ApiError, request } from '../api/client';

type Fetch = typeof fetch;

export function createExerciseApi(fetchImpl: Fetch = (...a) => fetch(...a)) {
  const enc = encodeURIComponent;
  async function call<S extends z.ZodType>(
    schema: S,
    method: string,
    path: string,
    body?: unknown,
  ): Promise<z.infer<S>> {
    const json: unknown = await (await request(fetchImpl, method, path, body)).json();
    const parsed = schema.safeParse(json);
    if (!parsed.success)
      throw new ApiError(200, { code: 'Bug', message: `unexpected response from ${method} ${path}`, issues: [] });
    return parsed.data;
  }
  return {
    list: async () => (await call(ListExercisesResponse, 'GET', '/api/exercises')).exercises,
    /** Creates the exercise's lab and brings it up (operationId), or hands back the one already started (null). */
    start: (file: string) => call(ExerciseStarted, 'POST', `/api/exercises/${enc(file)}/start`),
    /** The exercise a lab belongs to, or null when it belongs to none. */
    async ofLab(lab: string): Promise<LabExercise | null> {
      try {
        return await call(LabExercise, 'GET', `/api/labs/${enc(lab)}/exercise`);
      } catch (e) {
        if (e instanceof ApiError && e.status === 404) return null;
        throw e;
      }
    },
    reset: (lab: string) => call(ExerciseStarted, 'POST', `/api/labs/${enc(lab)}/exercise/reset`),
    check: (lab: string) => call(GradeReport, 'POST', `/api/labs/${enc(lab)}/exercise/check`),
    /** The result of an operation once it is done (null while it runs). */
    async operation(id: string): Promise<OperationResult | null> {
      const json: unknown = await (await request(fetchImpl, 'GET', `/api/operations/${enc(id)}`)).json();
      const done = OperationResult.safeParse(json);
      return done.success ? done.data : null;
    },
  };
}

export type ExerciseApi = ReturnType<typeof createExerciseApi>;
