import { expect, test } from '@playwright/test';
import { CanvasPage, pairLab } from './pages/CanvasPage';
import { EditorPage } from './pages/EditorPage';

test.use({ viewport: { width: 1440, height: 900 } });

const labNames = async (canvas: CanvasPage): Promise<string[]> =>
  ((await (await canvas.page.request.get('/api/labs')).json()).labs as { name: string }[]).map((l) => l.name);

test('12: name a new lab, rename, duplicate and delete from the Open dialog; the bare URL reopens the last lab', async ({
  page,
}) => {
  const app = new EditorPage(page);
  const canvas = new CanvasPage(app);
  await canvas.start();
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
