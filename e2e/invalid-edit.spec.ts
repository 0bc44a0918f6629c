/** An invalid edit is shown on the object it concerns and in the problems list, and Apply is refused. */
import { expect, test } from '@playwright/test';
import { EditorPage } from './pages/EditorPage';
import { pageApi } from './support/pageApi';

test('an invalid interface name is flagged on its endpoint and blocks Apply', async ({ page }) => {
  const app = new EditorPage(page);
  await app.openCopyOfDefault();
  const [link] = await app.edgeIds();
  const key = `${link}#0`;
  await app.selectEndpoint(key);
  await expect(app.tid('problems.count')).toHaveText('0');

  await app.setField('inspector.end0.ifname', 'a;b');

  // On the right object: the endpoint label, its edge, and the inspector field.
  await expect(app.endpoint(key)).toHaveClass(/has-error/);
  await expect(app.endpoint(key)).toContainText('invalid');
  // …and on the node that owns the interface.
  const nodeErrors = app.page.locator('[data-testid^="node."][data-testid$=".error"]');
  await expect(nodeErrors).toHaveCount(1);
  await expect(nodeErrors).toContainText('may only use');
  await expect(app.page.locator(`g[data-testid="edge.${link}"]`)).toHaveClass(/state-invalid/);
  await expect(app.tid('inspector.end0.ifname.error')).toContainText('may only use');

  // Apply is disabled, and says why.
  await expect(app.applyButton).toBeDisabled();
  await expect(app.tid('toolbar.apply-blocker')).toContainText('problem');

  // In the problems list; clicking it selects the endpoint again.
  await expect(app.tid('problems.count')).toHaveText('1');
  await app.tid('panel.problems').click();
  const item = app.tid('problems.item');
  await expect(item).toHaveCount(1);
  await expect(item).toHaveAttribute('data-object', key);
  await expect(item).toContainText('interface name');
  await app.page
    .getByTestId('canvas')
    .locator('.react-flow__pane')
    .click({ position: { x: 5, y: 5 } });
  await item.click();
  await expect(app.endpoint(key)).toHaveClass(/is-selected/);
  await app.screenshot('invalid-edit');

  // The server refuses the invalid document too (the same validate() runs there).
  const name = await app.labName();
  const doc = await (await pageApi(page).get(`/api/labs/${name}`)).json();
  doc.lab.links[0].endpoints[0].ifname = 'a;b';
  const res = await pageApi(page).put(`/api/labs/${name}`, {
    data: { lab: doc.lab, layout: doc.layout, baseRevision: doc.revision },
    headers: app.origin(),
  });
  expect(res.status()).toBe(400);
  expect((await res.json()).code).toBe('InvalidLab');

  // Undo brings the valid name back and Apply is allowed again.
  await app.tid('panel.inspector').click();
  await app.press('Control+z');
  await expect(app.tid('problems.count')).toHaveText('0');
  await expect(app.applyButton).toBeEnabled();
});
