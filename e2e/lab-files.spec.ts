/**
 * Labs and their pictures (issue #16, items 12–13): a lab is named when created; renamed, duplicated and
 * deleted from the Open dialog; the bare URL reopens the last lab used. PNG export leaves the selection out;
 * SVG export is a real vector drawing (standalone XML, no HTML inside) an editor like Inkscape opens.
 */
import { readFile } from 'node:fs/promises';
import { expect, test } from '@playwright/test';
import { CanvasPage, pairLab } from './pages/CanvasPage';
import { EditorPage } from './pages/EditorPage';
import { pageApi } from './support/pageApi';

test.use({ viewport: { width: 1440, height: 900 } });

const labNames = async (canvas: CanvasPage): Promise<string[]> =>
  ((await (await pageApi(canvas.page).get('/api/labs')).json()).labs as { name: string }[]).map((l) => l.name);

test('12: name a new lab, rename, duplicate and delete from the Open dialog; the bare URL reopens the last lab', async ({
  page,
}) => {
  const app = new EditorPage(page);
  const canvas = new CanvasPage(app);
  await canvas.openApp();
  const name = CanvasPage.unique('e2e-class');

  // New lab: named (and titled) at creation, stored at once.
  await app.tid('toolbar.lab-menu').click();
  await app.tid('toolbar.new').click();
  const dialog = app.tid('dialog.new');
  await expect(dialog).toBeVisible();
  await app.tid('dialog.new.name').fill('Bad Name');
  await expect(app.tid('dialog.new.name.error')).toContainText('lowercase');
  await expect(app.tid('dialog.new.create')).toBeDisabled();
  await app.tid('dialog.new.name').fill(name);
  await app.tid('dialog.new.title').fill('Class A');
  await app.tid('dialog.new.create').click();
  await expect(dialog).toHaveCount(0);
  await expect(app.tid('toolbar.lab').locator('.nl-lab-key')).toHaveText(name);
  await expect(app.tid('toolbar.lab').locator('.nl-lab-title')).toHaveText('Class A');
  expect(await labNames(canvas)).toContain(name);
  // A name already used is refused before asking the server.
  await app.tid('toolbar.lab-menu').click();
  await app.tid('toolbar.new').click();
  await app.tid('dialog.new.name').fill(name);
  await expect(app.tid('dialog.new.name.error')).toContainText('already');
  await app.press('Escape');

  // Rename from the Open dialog (the canvas follows: it is the open lab).
  const renamed = `${name}-b`;
  await app.tid('toolbar.lab-menu').click();
  await app.tid('toolbar.open').click();
  await app.tid(`dialog.rename.${name}`).click();
  await app.tid(`dialog.rename-input.${name}`).fill(renamed);
  await app.tid(`dialog.rename-input.${name}`).press('Enter');
  await expect(app.tid(`dialog.item.${renamed}`)).toBeVisible();
  await expect(app.tid(`dialog.item.${name}`)).toHaveCount(0);
  await expect(app.tid('toolbar.lab').locator('.nl-lab-key')).toHaveText(renamed);

  // Duplicate (a proposed free name), then delete the copy, with a confirmation.
  await app.tid(`dialog.duplicate.${renamed}`).click();
  await expect(app.tid(`dialog.item.${renamed}-copy`)).toBeVisible();
  await app.tid(`dialog.delete.${renamed}-copy`).click();
  await app.tid(`dialog.delete-confirm.${renamed}-copy`).click();
  await expect(app.tid(`dialog.item.${renamed}-copy`)).toHaveCount(0);
  expect(await labNames(canvas)).not.toContain(`${renamed}-copy`);
  expect(await labNames(canvas)).not.toContain(name);

  // An applied lab cannot be deleted or renamed: the dialog says why.
  const held = await canvas.createLab(pairLab(CanvasPage.unique('e2e-held'), 't12a', 't12b'));
  expect((await canvas.operate(held, 'apply')).ok).toBe(true);
  try {
    await app.press('Escape');
    await app.tid('toolbar.lab-menu').click();
    await app.tid('toolbar.open').click();
    await app.tid(`dialog.delete.${held}`).click();
    await app.tid(`dialog.delete-confirm.${held}`).click();
    await expect(app.tid('dialog.error')).toContainText('destroy it first');
    expect(await labNames(canvas)).toContain(held);
    await app.tid(`dialog.item.${renamed}`).click();
    await expect(app.tid('dialog.open')).toHaveCount(0);
  } finally {
    await canvas.operate(held, 'destroy');
  }

  // The bare URL reopens the last lab used.
  await page.goto('/');
  await expect(app.tid('toolbar.lab').locator('.nl-lab-key')).toHaveText(renamed);
});

test('13: PNG export leaves the selection out; SVG export is vector SVG with no HTML', async ({ page }) => {
  const app = new EditorPage(page);
  const canvas = new CanvasPage(app);
  await canvas.start();
  const name = await canvas.createLab(pairLab(CanvasPage.unique('e2e-t13'), 't13a', 't13b'));
  await canvas.openLab(name);
  await expect(app.edge('link1')).toBeAttached();

  const png = async () => {
    const dl = await app.exportPng();
    return readFile((await dl.path())!);
  };
  const plain = await png();
  await app.node('ns1').click();
  await expect(app.node('ns1')).toHaveClass(/is-selected/);
  const selected = await png();
  if (!selected.equals(plain)) {
    const { writeFile } = await import('node:fs/promises');
    await writeFile('reports/t13-plain.png', plain);
    await writeFile('reports/t13-selected.png', selected);
  }
  expect(selected.equals(plain), 'the PNG with a node selected equals the one without').toBe(true);
  await expect(app.node('ns1')).toHaveClass(/is-selected/); // the selection is back on the canvas

  await app.tid('toolbar.export').click();
  const wait = page.waitForEvent('download');
  await app.tid('toolbar.export-svg').click();
  const dl = await wait;
  expect(dl.suggestedFilename()).toBe(`${name}.svg`);
  const svg = await readFile((await dl.path())!, 'utf8');
  expect(svg.startsWith('<?xml version="1.0" encoding="UTF-8"?>')).toBe(true);
  expect(svg.length).toBeLessThan(100_000);
  expect(svg).not.toContain('foreignObject');
  expect(svg).not.toMatch(/<div|<span|xhtml/);
  // It parses as XML, is an SVG document, and draws the lab: node names, interface names, addresses, the link.
  const parsed = await page.evaluate((text) => {
    const doc = new DOMParser().parseFromString(text, 'application/xml');
    const err = doc.querySelector('parsererror');
    const root = doc.documentElement;
    return {
      error: err?.textContent ?? null,
      root: root.localName,
      ns: root.namespaceURI,
      texts: [...doc.getElementsByTagName('text')].map((t) => t.textContent ?? ''),
      lines: doc.getElementsByTagName('line').length + doc.getElementsByTagName('path').length,
      rects: doc.getElementsByTagName('rect').length,
      viewBox: root.getAttribute('viewBox'),
    };
  }, svg);
  expect(parsed.error).toBeNull();
  expect(parsed.root).toBe('svg');
  expect(parsed.ns).toBe('http://www.w3.org/2000/svg');
  expect(parsed.viewBox).toMatch(/^-?[\d.]+ -?[\d.]+ [\d.]+ [\d.]+$/);
  for (const t of ['t13a', 't13b', 'veth-t13a', 'veth-t13b', '10.0.0.1/24', '10.0.0.2/24'])
    expect(parsed.texts.join('\n')).toContain(t);
  expect(parsed.rects).toBeGreaterThanOrEqual(2);
  expect(parsed.lines).toBeGreaterThanOrEqual(1);
});
