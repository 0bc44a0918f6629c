/**
 * Network features on a running lab (issue #6), on a private copy of the default veth-pair lab: a link set
 * down from the canvas (both ends, applied at once) stops the ping and is drawn down; set up, the ping is
 * back; a rate limit in the inspector shows as an edge badge and applies (tbf); a delay needs netem, which
 * this kernel lacks: the field says so, and Apply and the plan refuse it naming the setting.
 */
import { expect, test } from '@playwright/test';
import { EditorPage } from './pages/EditorPage';
import { FaultsPage } from './pages/FaultsPage';
import { pageApi } from './support/pageApi';

test.use({ viewport: { width: 1440, height: 900 } });

test('faults: link down/up from the canvas, rate limit badge + apply, netem refused', async ({ page }) => {
  test.setTimeout(120_000);
  const app = new EditorPage(page);
  const faults = new FaultsPage(app);
  const lab = await app.openCopyOfDefault();
  const link = 'red-blue';
  const ping = () => faults.pingReceived(lab, 'red', '10.0.0.2');

  await app.apply();
  await app.expectAllStates('ready');
  await expect(app.edge(link)).toHaveAttribute('data-down', 'false');
  expect(await ping()).toBe(1);

  // Down from the context menu: both ends, applied right away (only the two setUp operations run).
  const down = await faults.setLink(link, 'down');
  await expect(down).toHaveAttribute('data-ran', '2');
  await expect(app.edge(link)).toHaveAttribute('data-down', 'true');
  await expect(app.tid(`edge.${link}.down`)).toBeVisible();
  await expect.poll(ping).toBe(0);
  await app.screenshot('faults-link-down');

  // And up again: the ping works.
  await faults.setLink(link, 'up');
  await expect(app.edge(link)).toHaveAttribute('data-down', 'false');
  await expect(app.tid(`edge.${link}.down`)).toHaveCount(0);
  await expect.poll(ping).toBe(1);

  // A 1 Mbit/s rate limit on red's end: a badge beside that end; Apply realizes it (tbf).
  const section = await faults.openImpairment(link, 0);
  await faults.setRate(0, '1', 'Mbit');
  await expect(faults.impairmentBadge(link, 0)).toHaveText('1 Mbit/s');
  await expect(section.locator('summary')).toContainText('1 Mbit/s');
  await app.apply();
  await app.expectAllStates('ready');
  await expect.poll(ping).toBe(1);
  await app.screenshot('faults-rate-limit');

  // Delay needs netem, which this kernel does not have: the field is disabled and says why.
  await expect(app.tid('inspector.end0.delay')).toBeDisabled();
  await expect(app.tid('inspector.end0.netem-note')).toContainText('needs netem: not available on this kernel');

  // A lab that asks for a delay anyway (saved through the API, as an import would): refused, naming the field.
  const doc = await (await pageApi(page).get(`/api/labs/${lab}`)).json();
  doc.lab.links[0].endpoints[0].impairment = { rateKbit: 1000, delayMs: 50 };
  const saved = await pageApi(page).put(`/api/labs/${lab}`, {
    data: { lab: doc.lab, layout: doc.layout, baseRevision: doc.revision },
    headers: app.origin(),
  });
  expect(saved.status()).toBe(200);
  await page.reload();
  await expect(app.tid('status.connection')).toHaveAttribute('data-state', 'connected');
  await expect(faults.impairmentBadge(link, 0)).toHaveText('1 Mbit/s · delay 50 ms');
  await faults.openImpairment(link, 0);
  await expect(app.tid('inspector.end0.delay')).toHaveValue('50');
  await expect(app.tid('inspector.end0.delay.error')).toContainText('needs netem');
  await expect(app.applyButton).toBeDisabled();
  await expect(app.applyButton.locator('xpath=..')).toHaveAttribute('title', /delay on veth-red needs netem/);
  const plan = await app.openPlan();
  await expect(plan).toContainText(/delay on 'veth-red' needs the netem qdisc/);
  await app.screenshot('faults-netem-refused');

  // One click removes the netem settings; the rate limit stays and Apply is allowed again.
  await app.tid('panel.inspector').click();
  await faults.openImpairment(link, 0);
  await app.tid('inspector.end0.netem-clear').click();
  await expect(faults.impairmentBadge(link, 0)).toHaveText('1 Mbit/s');
  await expect(app.applyButton).toBeEnabled();

  await app.destroy();

  // Routing UI on red: a row added from the table (one undo entry), then removed.
  await app.node('red').click();
  await app.tid('inspector.route-new.to').fill('10.9.0.0/24');
  await app.tid('inspector.route-new.via').fill('10.0.0.2');
  await app.tid('inspector.route-add').click();
  await expect(app.tid('inspector.route.0.to')).toHaveValue('10.9.0.0/24');
  await expect(app.tid('inspector.route.0.error')).toHaveCount(0);
  // validate()'s advice shows on the row: blue would have to be a router.
  await expect(app.tid('inspector.route.0.warning')).toContainText('does not forward packets');
  await app.tid('inspector.rp-filter').selectOption('2');
  await app.screenshot('faults-routes');
  await app.tid('inspector.route.0.remove').click();
  await expect(app.tid('inspector.route.0')).toHaveCount(0);

  // Host NAT: the toggle, the ownership note and the advanced escape hatch.
  await app.zoomOut(2);
  const host = await app.dragFromPalette('host', 700, 150);
  await app.node(host).click();
  await app.tid('inspector.nat').locator('xpath=..').click();
  await expect(app.tid('inspector.nat')).toBeChecked();
  await expect(app.tid('inspector.nat-note')).toContainText('own nftables table');
  await app.tid('inspector.host-advanced').click();
  await expect(app.tid('inspector.allow-default-route.warning')).toBeVisible();
  await app.screenshot('faults-host-nat');
});
