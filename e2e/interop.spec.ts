/**
 * Interop in the browser: Lab ▸ Import containerlab / CORE — drop a real corpus file on the dialog, read
 * the report, the lab opens on the canvas (and applies in the sandbox); then Export ▸ containerlab gives a
 * .clab.yml with linux nodes, links and exec lines. Real server in sandbox mode; no sleeps.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { parse } from 'yaml';
import { CORPUS_DIR } from '../server/interop/testing';
import { EditorPage } from './pages/EditorPage';
import { pageApi } from './support/pageApi';

test.use({ viewport: { width: 1440, height: 900 } });

test('import a containerlab file by dropping it, see the report, the lab opens; export it back', async ({ page }) => {
  const file = 'C35-topology.clab.yml';
  // Read from ../shared/corpus: a missing corpus fails here (never skips).
  const text = await readFile(join(CORPUS_DIR, 'containerlab', file), 'utf8');
  const app = new EditorPage(page);
  await app.open();

  await app.tid('toolbar.lab-menu').click();
  await app.tid('toolbar.import-foreign').click();
  const drop = app.tid('interop.drop');
  await expect(drop).toBeVisible();
  // A real drop: a DataTransfer carrying the file, dispatched on the drop zone.
  const dataTransfer = await page.evaluateHandle(
    ({ name, body }) => {
      const dt = new DataTransfer();
      dt.items.add(new File([body], name, { type: 'application/yaml' }));
      return dt;
    },
    { name: file, body: text },
  );
  await drop.dispatchEvent('dragover', { dataTransfer });
  await drop.dispatchEvent('drop', { dataTransfer });

  const report = app.tid('interop.report');
  await expect(report).toBeVisible();
  const labName = await report.getAttribute('data-lab');
  expect(labName).toMatch(/^netns-basics/);
  await expect(app.tid('interop.summary')).toContainText('imported');
  // Something was approximated (images are not run) and the report says what.
  await expect(app.tid('interop.item').filter({ hasText: 'images' })).toContainText('container images are not run');

  // The lab is open on the canvas: its four namespaces and three links.
  await expect(app.tid('toolbar.lab').locator('.nl-lab-key')).toHaveText(labName!);
  await expect.poll(async () => (await app.nodeIds()).sort()).toEqual(['host1', 'host2', 'host3', 'router']);
  await expect.poll(async () => (await app.edgeIds()).length).toBe(3);
  await app.tid('interop.close').click();

  // It comes up in the sandbox, and host1 reaches host2 through the router.
  await app.apply();
  await app.expectAllStates('ready');
  const exec = await pageApi(page).post(`/api/labs/${labName}/exec`, {
    data: { node: 'host1', tool: 'ping', args: { target: '10.0.3.20', count: 2, timeoutS: 3 } },
    headers: app.origin(),
  });
  expect(exec.status(), await exec.text()).toBe(200);
  const ping = await exec.json();
  expect(ping.ok, `ping: ${ping.stdout}${ping.stderr}`).toBe(true);
  expect(ping.parsed).toMatchObject({ transmitted: 2, received: 2 });

  // Export ▸ containerlab: preview, then the downloaded file.
  await app.tid('toolbar.export').click();
  await app.tid('toolbar.export-clab').click();
  const preview = app.tid('interop.preview');
  await expect(preview).toContainText('kind: linux');
  await expect(preview).toContainText('ip route add 10.0.2.0/24 via 10.0.1.1');
  const wait = page.waitForEvent('download');
  await app.tid('interop.download').click();
  const download = await wait;
  expect(download.suggestedFilename()).toBe(`${labName}.clab.yml`);
  const doc = parse(await readFile((await download.path())!, 'utf8'));
  expect(Object.keys(doc.topology.nodes).sort()).toEqual(['host1', 'host2', 'host3', 'router']);
  expect(doc.topology.links).toHaveLength(3);
  expect(doc.topology.nodes.router.exec).toContain('sysctl -w net.ipv4.ip_forward=1');
  await app.tid('interop.close').click();
  await app.destroy();
});

test('a Go template is refused in the dialog, naming the construct', async ({ page }) => {
  const app = new EditorPage(page);
  await app.open();
  await app.tid('toolbar.lab-menu').click();
  await app.tid('toolbar.import-foreign').click();
  await app.tid('interop.file').setInputFiles({
    name: 'x.clab.yml',
    mimeType: 'application/yaml',
    buffer: Buffer.from('name: t\ntopology:\n  nodes:\n{{ range .nodes }}\n    a: {kind: linux}\n{{ end }}\n'),
  });
  await expect(app.tid('interop.error')).toContainText('Go template');
  await expect(app.tid('interop.report')).toHaveCount(0);
});
