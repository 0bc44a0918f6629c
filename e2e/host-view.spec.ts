/**
 * Visual debugging (issue #8) on a copy of the default veth-pair lab applied through the UI: the host view draws
 * what is really there (both namespaces and the veth, owned by the lab), finds `red`, inspects it, exports the
 * discovered lab and the shell script; adopting objects that belong to another lab is refused in the dialog;
 * the Diff panel shows in-sync → drifted after a design edit, takes the live value (one undo step) and reverts
 * the host to the design with Apply.
 */
import { readFile } from 'node:fs/promises';
import { expect, test } from '@playwright/test';
import { EditorPage } from './pages/EditorPage';
import { HostViewPage } from './pages/HostViewPage';
import { inSandbox } from './support/hostShell';
import { pageApi } from './support/pageApi';

test.use({ viewport: { width: 1440, height: 900 } });

let labName: string | null = null;

test.afterEach(async ({ page }) => {
  // Leave the sandbox as we found it (other specs apply red/blue too).
  if (!labName) return;
  const app = new EditorPage(page);
  await pageApi(page).post(`/api/labs/${labName}/destroy`, { data: {}, headers: app.origin() });
  await expect
    .poll(async () => ((await (await pageApi(page).get('/api/discovery')).json()).lab.nodes as unknown[]).length, {
      timeout: 30_000,
    })
    .toBe(0);
  labName = null;
});

test('host view: draw the host live, search, inspect, export, refused adoption', async ({ page, context }) => {
  test.setTimeout(90_000);
  await context.grantPermissions(['clipboard-read', 'clipboard-write']);
  const app = new EditorPage(page);
  const host = new HostViewPage(app);
  labName = await app.openCopyOfDefault();
  await app.apply();
  await app.expectAllStates('ready');

  await host.open();
  // Both namespaces and the veth, owned by the lab that created them.
  await host.expectOwned('red', labName);
  await host.expectOwned('blue', labName);
  await expect(host.edge('red-blue')).toBeAttached();
  await expect(host.edge('red-blue')).toHaveAttribute('data-state', 'ready');
  await expect(host.tid('hostview.counts')).toContainText(/\d+ namespaces · \d+ objects · \d+ owned/);

  // Live: the poll keeps running (the status line's timestamp moves) without redrawing anything.
  const at = await host.tid('hostview.status').getAttribute('data-at');
  await expect(host.tid('hostview.status')).not.toHaveAttribute('data-at', at ?? '', { timeout: 8_000 });

  // Search finds red, dims blue, centres and selects red: the inspector shows kernel names and the owner.
  await host.search('red');
  await expect(host.node('red')).toHaveAttribute('data-dim', 'false');
  await expect(host.node('blue')).toHaveAttribute('data-dim', 'true');
  await expect(host.tid('hostview.inspector.title')).toHaveText("namespace 'red'");
  await expect(host.inspector).toContainText('veth-red');
  await expect(host.inspector).toContainText('10.0.0.1/24');
  await expect(host.tid('hostview.inspector.ownership')).toHaveText(`owned by lab ${labName} (object red)`);
  await host.tid('hostview.search').fill('');
  await expect(host.node('blue')).toHaveAttribute('data-dim', 'false');
  await host.view.locator('.react-flow__controls-fitview').click();
  await expect(host.node('blue')).toBeInViewport();
  await page.screenshot({ path: 'reports/screenshots/host-view.png' });

  // Export: the discovered lab as JSON, and the shell script that recreates it.
  await host.tid('hostview.export').click();
  const wait = page.waitForEvent('download');
  await host.tid('hostview.export-json').click();
  const file = await wait;
  expect(file.suggestedFilename()).toBe('host.json');
  const exported = JSON.parse(await readFile((await file.path())!, 'utf8'));
  expect(exported.nodes.map((n: { id: string }) => n.id).sort()).toEqual(['blue', 'red']);
  await host.tid('hostview.export').click();
  await host.tid('hostview.copy-script').click();
  await expect(app.tid('toast')).toContainText('Shell script copied');
  expect(await page.evaluate(() => navigator.clipboard.readText())).toContain('ip netns add red');

  // Adopt everything: the objects carry another lab's marker, so the server refuses and the dialog says why.
  await host.tid('hostview.select-all').click();
  await expect(host.tid('hostview.adopt')).toHaveText(/^Adopt… \(\d+\)$/);
  await host.openAdopt();
  for (const id of ['red', 'blue', 'red-blue'])
    await expect(host.tid('hostview.adopt-list').locator(`li[data-id="${id}"]`)).toBeVisible();
  await expect(host.tid('hostview.adopt-warnings')).toContainText(`already belongs to lab '${labName}'`);
  await host.confirmAdopt('refused-adoption');
  await expect(host.tid('hostview.adopt-error')).toContainText('Conflict');
  await expect(host.tid('hostview.adopt-error')).toContainText(`already belongs to Netloom lab '${labName}'`);
  await expect(host.adoptDialog).toBeVisible(); // still open, nothing created
  const labs = await (await pageApi(page).get('/api/labs')).json();
  expect(labs.labs.map((l: { name: string }) => l.name)).not.toContain('refused-adoption');
  await host.tid('hostview.adopt-cancel').click();
  await host.close();
  await expect(app.tid('toolbar.lab').locator('.nl-lab-key')).toHaveText(labName);
});

test('diff: in sync, drifted after a design edit, take live value (one undo step), revert with Apply', async ({
  page,
}) => {
  test.setTimeout(90_000);
  const app = new EditorPage(page);
  const host = new HostViewPage(app);
  labName = await app.openCopyOfDefault();
  await app.apply();
  await app.expectAllStates('ready');
  await app.tid('result').getByRole('button', { name: 'Dismiss' }).click();

  await host.openDiff();
  await expect(app.tid('diff.summary.in-sync')).toHaveAttribute('data-count', '4');
  await expect(host.diffObject('red')).toHaveAttribute('data-badge', 'in-sync');
  await expect(app.node('red')).toHaveAttribute('data-diff', 'in-sync'); // badge on the canvas too

  // Edit the design and save: the end drifts (design moved, host did not).
  await app.selectEndpoint('red-blue#0');
  await app.setField('inspector.end0.addresses', '10.0.0.5/24');
  await app.tid('toolbar.save').click();
  await expect(app.tid('toolbar.dirty')).toHaveCount(0);
  await expect(host.diffObject('red-blue#0')).toHaveAttribute('data-badge', 'drifted');
  const field = app.tid('diff.field.red-blue#0.addresses');
  await expect(field).toContainText('10.0.0.5/24');
  await expect(field).toContainText('10.0.0.1/24');
  await expect(app.endpoint('red-blue#0')).toHaveAttribute('data-diff', 'drifted');
  await page.screenshot({ path: 'reports/screenshots/diff.png' });

  // Take the live value: the design gets 10.0.0.1/24 back, as one undoable edit.
  await app.tid('diff.take.red-blue#0.addresses').click();
  await expect(app.tid('diff.taken.red-blue#0.addresses')).toBeVisible();
  await expect(app.tid('inspector.end0.addresses')).toHaveValue('10.0.0.1/24');
  await app.tid('toolbar.undo').click();
  await expect(app.tid('inspector.end0.addresses')).toHaveValue('10.0.0.5/24');
  await expect(app.tid('diff.take.red-blue#0.addresses')).toBeVisible();

  // Revert to design = Apply: the host follows the design and the diff is in sync again.
  await app.tid('diff.revert.red-blue#0.addresses').click();
  await expect(app.result).toHaveAttribute('data-ok', 'true', { timeout: 45_000 });
  await expect(host.diffObject('red-blue#0')).toHaveAttribute('data-badge', 'in-sync');
  await expect(app.tid('diff.summary.in-sync')).toHaveAttribute('data-count', '4');
  await app.tid('diff.close').click();
  await expect(host.diff).toHaveCount(0);
  await expect(app.node('red')).not.toHaveAttribute('data-diff', /.*/);
});

test('host view: a topology built by a plain ip script is drawn; a namespace added by hand appears within 3 s', async ({
  page,
}) => {
  test.setTimeout(60_000);
  const app = new EditorPage(page);
  const host = new HostViewPage(app);
  await app.open();
  // Not Netloom: the kind of script a user runs on a host. Two LAN namespaces on a root bridge, a direct
  // veth between two namespaces, a bridge inside a namespace, a macvlan on a root interface, routes.
  const ip = (...a: string[]) => ['ip', ...a];
  await inSandbox(
    ip('netns', 'add', 'h1'),
    ip('netns', 'add', 'h2'),
    ip('netns', 'add', 'h3'),
    ip('link', 'add', 'name', 'brs', 'type', 'bridge'),
    ip('link', 'set', 'brs', 'up'),
    ip('link', 'add', 'name', 'a1', 'netns', 'h1', 'type', 'veth', 'peer', 'name', 'a2', 'netns', 'h2'),
    ip('link', 'add', 'name', 'up1', 'netns', 'h1', 'type', 'veth', 'peer', 'name', 'brs-h1'),
    ip('link', 'set', 'brs-h1', 'master', 'brs', 'up'),
    ip('link', 'add', 'name', 'up3', 'netns', 'h3', 'type', 'veth', 'peer', 'name', 'brs-h3'),
    ip('link', 'set', 'brs-h3', 'master', 'brs', 'up'),
    ip('-n', 'h3', 'link', 'add', 'name', 'brin', 'type', 'bridge'),
    ip('link', 'add', 'name', 'uplink0', 'type', 'veth', 'peer', 'name', 'uplink1'),
    ip('link', 'add', 'link', 'uplink0', 'name', 'mv0', 'netns', 'h2', 'type', 'macvlan', 'mode', 'bridge'),
    ip('-n', 'h1', 'addr', 'add', '10.1.0.1/24', 'dev', 'a1'),
    ip('-n', 'h2', 'addr', 'add', '10.1.0.2/24', 'dev', 'a2'),
    ip('-n', 'h1', 'link', 'set', 'a1', 'up'),
    ip('-n', 'h2', 'link', 'set', 'a2', 'up'),
    ip('-n', 'h2', 'route', 'add', '10.9.0.0/24', 'via', '10.1.0.1'),
  );
  try {
    await host.open();
    for (const id of ['ns-h1', 'ns-h2', 'ns-h3', 'br-brs', 'br-h3-brin']) {
      await expect(host.node(id)).toBeAttached();
      await expect(host.node(id)).toHaveAttribute('data-ownership', 'foreign');
    }
    await expect(host.edge('veth-a1-a2')).toBeAttached();
    await expect(host.edge('veth-brs-h1-up1')).toBeAttached();
    await expect(host.edge('veth-brs-h3-up3')).toBeAttached();
    // The macvlan is a labelled stub hanging off h2; the root veth pair it sits on is drawn too.
    await expect(host.node('x-h2-mv0')).toHaveAttribute('data-kind', 'macvlan');
    await host.search('h2');
    await expect(host.tid('hostview.inspector.title')).toHaveText("namespace 'h2'");
    await expect(host.inspector).toContainText('10.1.0.2/24');
    await host.tid('hostview.search').fill('');
    await host.view.locator('.react-flow__controls-fitview').click();
    await page.screenshot({ path: 'reports/screenshots/host-view-script.png' });

    // Live: a namespace added by hand shows up within 3 s (the view polls every 2 s).
    await inSandbox(ip('netns', 'add', 'late'));
    await expect(host.node('ns-late')).toBeAttached({ timeout: 3_000 });
    await inSandbox(ip('netns', 'del', 'late'));
    await expect(host.node('ns-late')).toHaveCount(0, { timeout: 3_000 });
  } finally {
    // Remove what the script made (by hand again: these objects are not Netloom's).
    await inSandbox(
      ip('netns', 'del', 'h1'),
      ip('netns', 'del', 'h2'),
      ip('netns', 'del', 'h3'),
      ip('link', 'del', 'brs'),
      ip('link', 'del', 'uplink0'),
    ).catch(() => {});
    await inSandbox(ip('netns', 'del', 'late')).catch(() => {});
  }
  await expect
    .poll(async () => ((await (await pageApi(page).get('/api/discovery')).json()).lab.nodes as unknown[]).length, {
      timeout: 30_000,
    })
    .toBe(0);
});
