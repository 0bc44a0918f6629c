/**
 * The session model in the real browser (issue #13 item 5): the token link lands authenticated with the token
 * gone from the address bar and an HttpOnly cookie page scripts cannot read; the dedicated host name
 * netloom.localhost (Chromium resolves *.localhost to loopback) works the same; logout ends the session.
 */
import { expect, test } from '@playwright/test';
import { EditorPage } from './pages/EditorPage';
import { E2E_PORT, E2E_TOKEN, login, pageApi } from './support/pageApi';

test('token link → session: no token in the URL or in reach of scripts; logout ends it', async ({ page, context }) => {
  const app = new EditorPage(page);
  await login(page);
  await expect(app.tid('status.connection')).toHaveAttribute('data-state', 'connected');
  expect(page.url()).not.toContain(E2E_TOKEN);
  expect(await page.evaluate(() => document.cookie)).toBe('');
  const [cookie] = await context.cookies();
  expect(cookie).toMatchObject({ name: `netloom_session_${E2E_PORT}`, httpOnly: true, sameSite: 'Strict', path: '/' });
  expect(cookie?.value).not.toContain(E2E_TOKEN);
  expect((await (await pageApi(page).get('/api/session')).json()).principal.role).toBe('operator');
  // Without the header our page sends, the same cookie is refused.
  expect((await page.request.get('/api/labs')).status()).toBe(403);
  expect((await pageApi(page).post('/api/logout')).status()).toBe(204);
  expect((await pageApi(page).get('/api/labs')).status()).toBe(401);
});

test('netloom.localhost: the token link lands authenticated on the dedicated host name', async ({ page, context }) => {
  const app = new EditorPage(page);
  await page.goto(`http://netloom.localhost:${E2E_PORT}/?token=${E2E_TOKEN}`);
  await expect(page).toHaveURL(`http://netloom.localhost:${E2E_PORT}/`);
  await expect(app.tid('status.connection')).toHaveAttribute('data-state', 'connected');
  const cookies = await context.cookies(`http://netloom.localhost:${E2E_PORT}/`);
  expect(cookies.map((c) => c.domain)).toEqual(['netloom.localhost']);
  // The session cookie is not sent to 127.0.0.1 (another "site" for cookies).
  expect(await context.cookies(`http://127.0.0.1:${E2E_PORT}/`)).toEqual([]);
});
