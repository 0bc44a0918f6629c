/**
 * `/api/session` (who am I: principal, how authenticated, when the session ends) and `/api/logout` (ends
 * this session and clears its cookie). Mounted after the security middleware, so `res.locals.auth` is set.
 */
import express, { type Router } from 'express';
import type { SessionResponse } from '../../shared/session';
import type { Authenticated, Security } from './security';

export function sessionRouter(security: Security): Router {
  const r = express.Router();
  r.get('/session', (_req, res) => {
    const auth = res.locals.auth as Authenticated;
    const body: SessionResponse = {
      principal: auth.principal,
      via: auth.via,
      ...(auth.expiresAt !== undefined ? { expiresAt: auth.expiresAt } : {}),
    };
    res.json(body);
  });
  r.post('/logout', (req, res) => {
    res.setHeader('Set-Cookie', security.logout(req));
    res.status(204).end();
  });
  return r;
}
