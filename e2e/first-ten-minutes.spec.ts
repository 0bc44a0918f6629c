/**
 * A newcomer's first ten minutes: default lab → draw → link → apply → ready → edit, undo/redo →
 * re-apply only the edit → export PNG → destroy. Real server in sandbox mode (see playwright.config.ts).
 */
import { readFile } from 'node:fs/promises';
import { expect, test } from '@playwright/test';
import { ExecResponse } from '../shared/tools';
import { EditorPage } from './pages/EditorPage';
import { pageApi } from './support/pageApi';

test.use({ viewport: { width: 1440, height: 860 } });

// The default lab is applied early: if this test fails before its own destroy, take it off the host so the
// specs after it (which copy the default lab, same namespace names) are not refused for it.
test.afterEach(async ({ page }, info) => {
  if (info.status !== info.expectedStatus) await pageApi(page).post('/api/labs/veth-pair/destroy');
});

test('first ten minutes: draw, link, apply, edit, re-apply, export, destroy', async ({ page }) => {
  const app = new EditorPage(page);
  await app.open();

  // The default lab is on the canvas.
  const defaultNodes = await app.nodeIds();
  expect(defaultNodes.length).toBeGreaterThanOrEqual(2);
  expect((await app.edgeIds()).length).toBeGreaterThanOrEqual(1);
  await expect(app.tid('status.mode')).toHaveAttribute('data-mode', 'sandbox');

  // Apply the default lab as it is: everything turns ready. This is the README screenshot.
  await app.apply();
  await app.expectAllStates('ready');
  const [defaultLink] = await app.edgeIds();
  await app.selectEndpoint(`${defaultLink}#0`);
  await expect(app.tid('inspector.status')).toContainText('ready');
  await app.screenshot('netloom');
  await app.tid('result').getByRole('button', { name: 'Dismiss' }).click();

  // Draw two namespaces and a bridge, then link them.
  await app.zoomOut(3);
  const ns1 = await app.dragFromPalette('namespace', 150, 620);
  const br = await app.dragFromPalette('bridge', 400, 530);
  const ns2 = await app.dragFromPalette('namespace', 650, 620);
  // Each new link is selected: the inspector shows the proposed names and addresses (a fresh /24 for the LAN).
  const l1 = await app.connect(ns1, br);
  await expect(app.tid('inspector.end0.addresses')).toHaveValue(/^\d+\.\d+\.\d+\.\d+\/24$/);
  await expect(app.tid('inspector.end1.addresses')).toHaveValue(''); // a bridge port has no address
  const l2 = await app.connect(br, ns2);
  await expect(app.tid('inspector.id')).toHaveText(l2);
  await expect(app.tid('inspector.end1.addresses')).toHaveValue(/^\d+\.\d+\.\d+\.\d+\/24$/);
  const ns2Address = (await app.tid('inspector.end1.addresses').inputValue()).split('/')[0]!;
  await expect(app.endpoint(`${l1}#0`)).toHaveAttribute('title', /\/24/);
  await expect(app.tid('problems.count')).toHaveText('0');

  // Apply: every object is ready.
  await app.apply();
  await app.expectAllStates('ready');
  // Live counters arrive for an interface (the data plane is up).
  await app.selectEndpoint(`${l1}#0`);
  await expect(app.tid('inspector.status')).toContainText(/ready/);
  await expect(app.tid('inspector.status')).toContainText('UP');
  await expect(app.tid('inspector.counters')).toBeVisible();
  // A ping from the first namespace across the bridge to the second (POST /api/labs/:name/exec, shared/tools.ts).
  const exec = await pageApi(page).post(`/api/labs/${await app.labName()}/exec`, {
    data: { node: ns1, tool: 'ping', args: { target: ns2Address, count: 2, timeoutS: 2 } },
    headers: app.origin(),
  });
  expect(exec.status(), await exec.text()).toBe(200);
  const ping = ExecResponse.parse(await exec.json());
  expect(ping.ok, `ping ${ns2Address}: ${ping.stdout}${ping.stderr}`).toBe(true);
  expect(ping.command).toEqual(expect.arrayContaining(['ping', ns2Address]));
  expect(ping.parsed).toMatchObject({ transmitted: 2, received: 2, lossPct: 0 });
  expect(ping.parsed?.rttAvgMs).toBeGreaterThan(0);

  // Edit an address, undo, redo.
  const original = await app.tid('inspector.end0.addresses').inputValue();
  await app.setField('inspector.end0.addresses', '10.77.0.1/24');
  await app.press('Control+z');
  await expect(app.tid('inspector.end0.addresses')).toHaveValue(original);
  await app.press('Control+y');
  await expect(app.tid('inspector.end0.addresses')).toHaveValue('10.77.0.1/24');
  await expect(app.tid('toolbar.undo')).toBeEnabled();

  // Re-apply: the plan and the run touch only the edited endpoint.
  await app.openPlan();
  const ops = app.tid('plan.op');
  await expect(ops.first()).toBeVisible();
  const objects = await ops.evaluateAll((els) => els.map((e) => e.getAttribute('data-object') ?? ''));
  expect(objects.length).toBeGreaterThan(0);
  for (const o of objects) expect(o.startsWith(l1)).toBe(true);
  await app.apply();
  await expect(app.result).toHaveAttribute('data-ran', String(objects.length));
  await app.expectAllStates('ready');

  // Export PNG.
  const dl = await app.exportPng();
  expect(dl.suggestedFilename()).toMatch(/\.png$/);
  const bytes = await readFile((await dl.path())!);
  expect([...bytes.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

  // Destroy: everything is absent again.
  await app.destroy();
  await app.expectAllStates('absent');
  await app.screenshot('after-destroy');

  // Leave the default lab as we found it (delete what we drew, save).
  await app.deleteNodes([ns1, br, ns2]);
  await expect.poll(() => app.nodeIds()).toEqual(defaultNodes);
  await app.press('Control+s');
  await expect(app.tid('toolbar.dirty')).toHaveCount(0);
});
