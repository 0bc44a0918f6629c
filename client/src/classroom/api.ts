/** The teacher's classroom calls (`/api/classroom*`), parsed with the shared schemas. */
import { ClassroomDashboard } from '../../../shared/classroom';
import { ApiError, request } from '../api/client';

export function createClassroomApi(fetchImpl: typeof fetch = (...a) => fetch(...a)) {
  const dashboard = async (res: Response) => {
    const parsed = ClassroomDashboard.safeParse(await res.json());
    if (!parsed.success) throw new ApiError(200, { code: 'Bug', message: 'unexpected classroom response', issues: [] });
    return parsed.data;
  };
  return {
    get: async () => dashboard(await request(fetchImpl, 'GET', '/api/classroom')),
    push: async (file: string) => dashboard(await request(fetchImpl, 'POST', '/api/classroom/push', { file })),
  };
}
