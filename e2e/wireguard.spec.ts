/**
 * Issue #15 (the VPN across an internet) in the browser, against the real server in sandbox mode: the
 * wireguard-vpn example shows ONE tunnel link between the two site routers; before apply the inspector shows
 * the public key the server generated at plan time; applied (wireguard-go on this kernel), a ping from one site LAN to the
 * other goes through, the tunnel link turns ready, and router-a's wg0 shows its public key (never a private
 * one), its running daemon and the peer's handshake and bytes, all read from the host.
 */
import { expect, test } from '@playwright/test';
import { CanvasPage } from './pages/CanvasPage';
import { EditorPage } from './pages/EditorPage';
import { ToolsPage } from './pages/ToolsPage';

test.use({ viewport: { width: 1440, height: 900 } });

const TUNNEL = 'tunnel-edge.router-a/wg0~router-b/wg0';
const KEY = /^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=$/;

test('wireguard: one tunnel link, site-to-site ping, live key, daemon and handshake in the inspector', async ({
  page,
}) => {
  test.setTimeout(150_000);
  const app = new EditorPage(page);
  const canvas = new CanvasPage(app);
  const tools = new ToolsPage(app);
  await canvas.start();
  await app.openExample('wireguard-vpn.yaml', 'wireguard-vpn');

  // One tunnel link between the two routers, not yet on the host.
  await expect(page.locator('[data-testid^="tunnel-edge."]')).toHaveCount(1);
  const tunnel = app.tid(TUNNEL);
  await expect(tunnel).toHaveClass(/state-absent/);
  await app.node('router-a').click({ position: { x: 40, y: 16 } });
  await expect(app.tid('inspector.id')).toHaveText('router-a');
  const wg = app.tid('inspector.iface.0');
  await expect(wg).toHaveAttribute('data-kind', 'wireguard');
  // The key pair is made by the server when the lab is first planned: its public half shows at once.
  await expect(wg.getByTestId('inspector.iface.0.publicKey')).toHaveText(KEY);
  const planned = (await wg.getByTestId('inspector.iface.0.publicKey').textContent())?.trim();
  await page.keyboard.press('Escape');

  await app.apply();
  await app.expectAllStates('ready');

  // Site to site through the tunnel (the internet in between has no route to either LAN).
  const ping = await tools.ping('host-a', '10.2.0.10');
  await expect(ping).toHaveAttribute('data-ok', 'true');
  await page.keyboard.press('Escape');
  await expect(tunnel).toHaveClass(/state-ready/);

  // The inspector reads the live interface: a public key, the daemon, the peer's handshake and bytes.
  await app.node('router-a').click({ position: { x: 40, y: 16 } });
  await expect(app.tid('inspector.id')).toHaveText('router-a');
  // The same key the plan showed, now read from the running interface.
  await expect(wg.getByTestId('inspector.iface.0.publicKey')).toHaveText(planned ?? 'no key before apply');
  await expect(wg.getByTestId('inspector.iface.0.wireguard')).toContainText(/running \(pid \d+\), port 51820/);
  const peer = wg.getByTestId('inspector.iface.0.peer.0.live');
  await expect(peer).toContainText(/rx [1-9]\d* B · tx [1-9]\d* B/);
  await expect(peer).not.toContainText('never');
  // The other end's key is a different one; no private key reaches the page.
  const mine = (await wg.getByTestId('inspector.iface.0.publicKey').textContent())?.trim();
  const html = await page.content();
  expect(html).not.toMatch(/privateKey|private-key\s+[A-Za-z0-9+/]{43}=/);
  await app.screenshot('wireguard-inspector');

  await page.keyboard.press('Escape');
  await app.node('router-b').click({ position: { x: 40, y: 16 } });
  await expect(app.tid('inspector.id')).toHaveText('router-b');
  await expect(wg.getByTestId('inspector.iface.0.publicKey')).toHaveText(KEY);
  await expect(wg.getByTestId('inspector.iface.0.publicKey')).not.toHaveText(mine ?? '');

  await app.destroy();
  await expect(tunnel).toHaveClass(/state-absent/);
});
