/**
 * Issue #15 items 3–5 in the browser, against the real server in sandbox mode: the vxlan-sites example shows
 * its tunnel as ONE dashed link between the two sites; applied, a ping across the overlay succeeds and the
 * badge names the underlay it rides on (no "AddressAbsent" beside a working tunnel); the inspector of site-a
 * shows `lo` and its address, the live routing table (design rows and the kernel's own) and, after the ping,
 * the neighbour learned across the tunnel. A bridge's VLAN filtering says "not available on this kernel" by
 * the field, and Apply is refused before anything runs.
 */
import { expect, test } from '@playwright/test';
import { CanvasPage } from './pages/CanvasPage';
import { EditorPage } from './pages/EditorPage';
import { ToolsPage } from './pages/ToolsPage';

test.use({ viewport: { width: 1440, height: 900 } });

const TUNNEL = 'vxlan:site-a/vx0~site-b/vx0';

test('tunnels: dashed VXLAN link, overlay ping, live routes and neighbours, VLAN note before apply', async ({
  page,
}) => {
  test.setTimeout(150_000);
  const app = new EditorPage(page);
  const canvas = new CanvasPage(app);
  const tools = new ToolsPage(app);
  await canvas.start();
  await app.openExample('vxlan-sites.yaml', 'vxlan-sites');

  // One dashed link between the two sites, labelled with its VNI; no problem on either end.
  await expect(page.locator('[data-testid^="tunnel-edge."]')).toHaveCount(1);
  const tunnel = app.tid(`tunnel-edge.${TUNNEL}`);
  await expect(tunnel).toHaveAttribute('data-ok', 'true');
  await expect(app.tid(`tunnel-label.${TUNNEL}`)).toHaveText('VXLAN · VNI 100');
  const dash = await tunnel.locator('.nl-edge-path').evaluate((p) => getComputedStyle(p).strokeDasharray);
  expect(dash).not.toBe('none');

  await app.apply();
  await app.expectAllStates('ready');
  await expect(tunnel).toHaveAttribute('class', /state-ready/);

  // A ping across the overlay: it arrives, and the badge shows the underlay hops under the tunnel.
  const ping = await tools.ping('site-a', '10.200.0.2');
  await expect(ping).toHaveAttribute('data-ok', 'true');
  await expect(ping).not.toContainText('AddressAbsent');
  await expect(app.tid('ping.overlay')).toHaveText('⇢ vx0 · VXLAN 100 over site-a → wan → site-b');
  await expect(tunnel).toHaveAttribute('data-path', 'true');
  await app.screenshot('tunnels-overlay-ping');
  await page.keyboard.press('Escape');

  // Live kernel state of site-a in its inspector.
  await app.node('site-a').click({ position: { x: 40, y: 16 } });
  await expect(app.tid('inspector.id')).toHaveText('site-a');
  const live = app.tid('inspector.live');
  await expect(live.getByTestId('inspector.live.if.lo')).toContainText('127.0.0.1/8');
  await expect(live.getByTestId('inspector.live.if.lo').locator('[data-origin]').first()).toHaveAttribute(
    'data-origin',
    'live',
  );
  const routes = live.getByTestId('inspector.live.routes');
  await expect(routes.locator('tr', { hasText: 'via 172.16.1.254' })).toHaveAttribute('data-origin', 'design');
  await expect(routes.locator('tr', { hasText: '10.200.0.0/24' })).toHaveAttribute('data-origin', 'design');
  await app.tid('inspector.live.refresh').click();
  await expect(live.getByTestId('inspector.live.neighbours')).toContainText('10.200.0.2');
  await expect(live.getByTestId('inspector.live.fdb')).toContainText('dst 172.16.2.1');
  await live.scrollIntoViewIfNeeded();
  await app.screenshot('tunnels-live-state');

  // A bridge: VLAN filtering is not available on this kernel — said by the field, before Apply.
  await app.dragFromPalette('bridge', 700, 620);
  await expect(app.tid('inspector.vlanFiltering.unavailable')).toContainText('not available on this kernel');
  await app.tid('inspector.vlanFiltering').check({ force: true });
  await expect(app.tid('inspector.vlanFiltering')).toBeChecked();
  await expect(app.applyButton).toBeDisabled();
  await expect(app.applyButton.locator('xpath=..')).toHaveAttribute('title', /not available on this kernel/);
  await app.screenshot('tunnels-vlan-unavailable');

  // Back out the bridge (undo twice), then take the lab off the host.
  await app.press('Control+z');
  await app.press('Control+z');
  await expect(app.applyButton).toBeEnabled();
  await app.destroy();
});
