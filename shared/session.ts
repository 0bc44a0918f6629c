/**
 * The session contract (issue #13 item 5): who a request acts for (a principal), and the two marks a browser
 * only sends from our own page — the `X-Netloom-Client: web` header on every API call (a foreign page cannot
 * add it without a CORS preflight we never answer) and the `netloom.web` WebSocket subprotocol.
 */
import * as z from 'zod';

export const CLIENT_HEADER = 'X-Netloom-Client';
export const CLIENT_HEADER_VALUE = 'web';
export const WS_PROTOCOL = 'netloom.web';

export const Role = z.enum(['operator', 'teacher', 'student']);
export type Role = z.infer<typeof Role>;

export const Principal = z.strictObject({ id: z.string().min(1), role: Role, label: z.string() });
export type Principal = z.infer<typeof Principal>;

/** GET /api/session: who this request acts for, and how it authenticated. */
export const SessionResponse = z.strictObject({
  principal: Principal,
  via: z.enum(['session', 'bearer']),
  /** When the session ends at the latest (absolute expiry), epoch ms; absent for bearer tokens. */
  expiresAt: z.number().optional(),
});
export type SessionResponse = z.infer<typeof SessionResponse>;
