/**
 * The canvas shows what the kernel has, and says which is which (issue #16, items 1–6): a link set down
 * goes down as the kernel would (the route through it goes, shown on the canvas); the commands listed are
 * exactly those of the apply; a refused plan says nothing changed and recover is offered only when needed;
 * plan-time conflicts and warnings reach the Problems count; live values are marked, the diff names objects
 * and a hand-changed MTU is reported; a duplicate address is flagged on the field just edited.
 * Every lab here has kernel names of its own and is destroyed afterwards (other specs share the sandbox).
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { expect, test } from '@playwright/test';
import { CanvasPage, pairLab, routerLab } from './pages/CanvasPage';
import { EditorPage } from './pages/EditorPage';
import { inSandbox } from './support/hostShell';
import { pageApi } from './support/pageApi';

test.use({ viewport: { width: 1440, height: 900 } });

let applied: string[] = [];
test.afterEach(async ({ page }) => {
  const canvas = new CanvasPage(new EditorPage(page));
  for (const name of applied) await canvas.cleanUp(name);
  applied = [];
});

test('1: a link set down takes the route through it away, as the kernel does, and says so on the canvas', async ({
  page,
}) => {
  const app = new EditorPage(page);
  const canvas = new CanvasPage(app);
  await canvas.start();
  const lab = await canvas.createLab(routerLab(CanvasPage.unique('e2e-t1'), 't1'));
  applied.push(lab);
  await canvas.openLab(lab);
  await app.apply();
  await app.expectAllStates('ready');
  expect(await canvas.pingReceived(lab, 'left', '10.1.2.2')).toBe(1);

  // Down: the kernel deletes routes through a down interface, so right's default route goes too (shown).
  await canvas.toggleLink('rtr-right', 'down');
  await expect(app.result).toHaveAttribute('data-ok', 'true', { timeout: 20_000 });
  await expect(app.edge('rtr-right')).toHaveAttribute('data-down', 'true');
  await expect(app.result).toContainText('default via 10.1.2.254');
  await expect(app.tid('node.right.notice')).toContainText('default via 10.1.2.254');
  // What the canvas says is what the host has: the link is really down, and the design has no such route.
  await expect.poll(() => canvas.pingReceived(lab, 'left', '10.1.2.2')).toBe(0);
  await app.node('right').click();
  await expect(app.tid('inspector.route.0')).toHaveCount(0);
  await expect(app.tid('problems.count')).toHaveText('0');
  await app.screenshot('truth-link-down');

  // Up again: the removed route comes back with it, and the ping crosses the router again.
  await canvas.toggleLink('rtr-right', 'up');
  await expect(app.result).toHaveAttribute('data-ok', 'true', { timeout: 20_000 });
  await expect(app.edge('rtr-right')).toHaveAttribute('data-down', 'false');
  await expect(app.tid('node.right.notice')).toHaveCount(0);
  await expect(app.tid('inspector.route.0.to')).toHaveValue('default');
  await expect.poll(() => canvas.pingReceived(lab, 'left', '10.1.2.2')).toBe(1);
});

test('2: "Show the commands" lists exactly the commands of this apply, in order', async ({ page }) => {
  const app = new EditorPage(page);
  const canvas = new CanvasPage(app);
  await canvas.start();
  const lab = await canvas.createLab(routerLab(CanvasPage.unique('e2e-t2'), 't2'));
  applied.push(lab);
  await canvas.openLab(lab);
  // What the plan says will run: one line per command (an operation may be several, joined by "&&").
  const plan = await (await pageApi(page).post(`/api/labs/${lab}/plan`, { data: {}, headers: app.origin() })).json();
  const planned: string[] = plan.operations.flatMap((op: { argv: string[] }) =>
    op.argv
      .join(' ')
      .split(' && ')
      .map((s) => s.trim()),
  );
  expect(planned.length).toBeGreaterThan(7);
  await app.apply();
  const shown = await canvas.resultCommands();
  expect(shown.length).toBe(planned.length);
  expect([...shown].sort()).toEqual([...planned].sort());
  // Creation comes before what uses it: every namespace exists before a command runs inside it.
  const firstUse = (ns: string) => shown.findIndex((c) => c.includes(`-n ${ns} `));
  for (const ns of ['t2left', 't2rtr', 't2right'])
    expect(shown.indexOf(`ip netns add ${ns}`)).toBeLessThan(firstUse(ns));

  // A one-operation apply lists that one command, nothing left from the previous apply.
  await canvas.dismissResult();
  await app.selectEndpoint('left-rtr#0');
  await app.setField('inspector.end0.mtu', '1400');
  await app.apply();
  expect(await canvas.resultCommands()).toEqual(['ip -n t2left link set dev eth0 mtu 1400']);
});

test('3: a refused plan says nothing changed; recover is offered only when a rollback failed', async ({ page }) => {
  const app = new EditorPage(page);
  const canvas = new CanvasPage(app);
  await canvas.start();
  const doc = pairLab(CanvasPage.unique('e2e-t3'), 't3a', 't3b');
  // GRE is not in this kernel: the plan refuses before anything runs. (A VLAN would not reach the server:
  // the inspector says "not available on this kernel" and Apply is disabled for it, issue #15 item 4.)
  (doc.lab.nodes as Record<string, unknown>[])[0]!.interfaces = [
    { kind: 'gre', name: 'gre-t3', local: '10.0.0.1', remote: '10.0.0.2', addresses: [] },
  ];
  const lab = await canvas.createLab(doc);
  await canvas.openLab(lab);
  await app.applyButton.click();
  await expect(app.result).toHaveAttribute('data-ok', 'false', { timeout: 20_000 });
  await expect(app.result).toContainText(/GRE|gre/);
  await expect(app.tid('result.summary')).toContainText('nothing was changed on the host');
  await expect(app.result).not.toContainText('recover');
  await expect(app.tid('result.recover')).toHaveCount(0);

  // A rollback that failed earlier leaves the engine asking for recovery (its flag, as the engine writes it).
  const pid = readFileSync(`reports/e2e-sandbox-${process.env.E2E_PORT ?? '7420'}.pid`, 'utf8').trim();
  const flag = `reports/e2e-state-${process.env.E2E_PORT ?? '7420'}/sandbox-${pid}/recovery-required.json`;
  writeFileSync(flag, JSON.stringify({ at: new Date().toISOString(), message: 'simulated', lab }));
  try {
    await canvas.dismissResult();
    await app.applyButton.click();
    await expect(app.result).toHaveAttribute('data-ok', 'false', { timeout: 20_000 });
    await expect(app.tid('result.recover')).toBeVisible();
    await app.screenshot('truth-recover');
    await app.tid('result.recover').click();
    await expect(app.result).toHaveAttribute('data-ok', 'true', { timeout: 20_000 });
    await expect(app.result).toContainText('Recovery succeeded');
  } finally {
    rmSync(flag, { force: true }); // never leave the engine blocked for the specs that follow
  }
});

test('4: plan-time conflicts and warnings reach the Problems count, the list and the object', async ({ page }) => {
  const app = new EditorPage(page);
  const canvas = new CanvasPage(app);
  await canvas.start();
  // Lab A holds t4a/t4b on the host; lab B designs namespaces of the same names.
  const a = await canvas.createLab(pairLab(CanvasPage.unique('e2e-t4a'), 't4a', 't4b'));
  applied.push(a);
  expect((await canvas.operate(a, 'apply')).ok).toBe(true);
  const docB = pairLab(CanvasPage.unique('e2e-t4b'), 't4a', 't4c');
  // …and a route through a namespace that does not forward: a warning of validate().
  (docB.lab.nodes as Record<string, unknown>[])[0]!.routes = [{ to: '10.9.0.0/24', via: '10.0.0.2' }];
  const b = await canvas.createLab(docB);
  await canvas.openLab(b);
  await expect(app.tid('problems.count')).toHaveText('1', { timeout: 15_000 });
  await expect(app.tid('problems.warnings')).toHaveText('1');
  await expect(app.node('ns1')).toHaveClass(/has-error/);
  await expect(app.tid('node.ns1.error')).toContainText(a);
  await app.tid('panel.problems').click();
  const conflict = app.page.locator('[data-testid="problems.item"][data-object="ns1"].sev-error');
  await expect(conflict).toContainText('t4a');
  await expect(app.page.locator('[data-testid="problems.item"].sev-warning')).toHaveCount(1);
  await app.screenshot('truth-problems');
  // Once lab A is gone from the host, the conflict goes too.
  await canvas.operate(a, 'destroy');
  applied = [];
  await expect(app.tid('problems.count')).toHaveText('0', { timeout: 15_000 });
});

test('5: live values are marked; the diff names objects, one line per value; a hand-changed MTU is reported', async ({
  page,
}) => {
  const app = new EditorPage(page);
  const canvas = new CanvasPage(app);
  await canvas.start();
  const lab = await canvas.createLab(pairLab(CanvasPage.unique('e2e-t5'), 't5a', 't5b'));
  applied.push(lab);
  await canvas.openLab(lab);
  await app.apply();
  await app.expectAllStates('ready');
  await expect(app.tid('endpoint.link1#0.live')).toHaveCount(0);

  // Someone adds an address and changes the MTU by hand; the design sets neither.
  await inSandbox(
    ['ip', '-n', 't5a', 'addr', 'add', '10.0.0.9/24', 'dev', 'veth-t5a'],
    ['ip', '-n', 't5a', 'link', 'set', 'dev', 'veth-t5a', 'mtu', '1400'],
  );
  // The edge label keeps the design value and marks what the host has besides.
  const live = app.tid('endpoint.link1#0.live');
  await expect(live).toContainText('10.0.0.9/24', { timeout: 10_000 });
  await expect(live).toContainText('host');
  await expect(app.endpoint('link1#0').locator('.nl-end-addr')).toHaveText('10.0.0.1/24');
  // The MTU is reported although the design leaves it unset (the kernel's default is 1500).
  await expect(app.endpoint('link1#0')).toHaveClass(/state-drifted/);
  await app.selectEndpoint('link1#0');
  await expect(app.tid('inspector.status')).toContainText('MTU');
  await expect(app.tid('inspector.status')).toContainText('1500');

  // The diff panel names objects (not ids) and keeps each value on one line.
  await app.tid('toolbar.diff').click();
  const end = app.tid('diff.object.link1#0');
  await expect(end).toHaveAttribute('data-badge', 'drifted');
  await expect(end.locator('.hv-diff-obj')).toContainText('veth-t5a');
  await expect(end.locator('.hv-diff-obj')).not.toContainText('link1');
  await expect(app.tid('diff.object.ns1').locator('.hv-diff-obj')).toContainText('t5a');
  await expect(app.tid('diff.field.link1#0.mtu')).toContainText('1400');
  const wrapped = await app.tid('diff').evaluate(
    (root) =>
      [...root.querySelectorAll('.hv-fields td, .hv-fields th')].filter((cell) => {
        const r = document.createRange();
        r.selectNodeContents(cell);
        // Lines, not inline boxes: a smaller inline box on the same line starts a few pixels lower.
        const tops = [...r.getClientRects()].map((x) => x.top).sort((a, b) => a - b);
        return tops.some((t) => t - tops[0]! > 8);
      }).length,
  );
  expect(wrapped).toBe(0);
  await app.screenshot('truth-live-values');
});

test('6: a duplicate address is flagged on the field just edited, not on the untouched interface', async ({ page }) => {
  const app = new EditorPage(page);
  const canvas = new CanvasPage(app);
  await canvas.start();
  const lab = await canvas.createLab(pairLab(CanvasPage.unique('e2e-t6'), 't6a', 't6b'));
  await canvas.openLab(lab);
  await app.selectEndpoint('link1#0');
  await app.setField('inspector.end0.addresses', '10.0.0.2/24');
  await expect(app.tid('inspector.end0.addresses.error')).toContainText('also the address');
  await expect(app.endpoint('link1#0')).toHaveClass(/has-error/);
  await expect(app.endpoint('link1#1')).not.toHaveClass(/has-error/);
  // And the other way round: editing the second end flags the second end.
  await app.press('Control+z');
  await app.selectEndpoint('link1#1');
  await app.setField('inspector.end1.addresses', '10.0.0.1/24');
  await expect(app.tid('inspector.end1.addresses.error')).toContainText('also the address');
  await expect(app.endpoint('link1#0')).not.toHaveClass(/has-error/);
});
