/**
 * Page object for the Netloom editor: every test talks to the app through these methods and the
 * namespaced test ids (`palette.*`, `toolbar.*`, `node.<id>`, `edge.<id>`, `inspector.*`, `problems.*`).
 * Assertions poll (web-first); there are no sleeps.
 */
import { type Download, expect, type Locator, type Page } from '@playwright/test';
import { E2E_TOKEN, login, pageApi } from '../support/pageApi';

export { E2E_TOKEN } from '../support/pageApi';
export type Kind = 'namespace' | 'bridge' | 'host';

export class EditorPage {
  constructor(readonly page: Page) {}

  // ---- locators ----
  tid(id: string): Locator {
    return this.page.getByTestId(id);
  }
  node(id: string): Locator {
    return this.tid(`node.${id}`);
  }
  edge(id: string): Locator {
    return this.tid(`edge.${id}`);
  }
  endpoint(key: string): Locator {
    return this.tid(`endpoint.${key}`);
  }
  allNodes(): Locator {
    return this.page.locator('[data-testid^="node."][data-state]');
  }
  allEdges(): Locator {
    return this.page.locator('g[data-testid^="edge."][data-state]');
  }
  get applyButton(): Locator {
    return this.tid('toolbar.apply');
  }
  get result(): Locator {
    return this.tid('result');
  }
  get progress(): Locator {
    return this.tid('progress');
  }

  // ---- navigation ----
  async open(): Promise<void> {
    await login(this.page);
    await expect(this.tid('status.connection')).toHaveAttribute('data-state', 'connected');
    await expect(this.allNodes().first()).toBeVisible();
  }

  /** Name of the lab on the canvas. */
  /** Opens a shipped example as a lab through the page's session, and shows it (connected). */
  async openExample(file: string, lab: string): Promise<void> {
    const opened = await pageApi(this.page).post(`/api/examples/${file}/open`);
    expect([200, 201]).toContain(opened.status());
    await this.page.goto(`/?token=${E2E_TOKEN}#${lab}`);
    await expect(this.tid('toolbar.lab').locator('.nl-lab-key')).toHaveText(lab);
    await expect(this.tid('status.connection')).toHaveAttribute('data-state', 'connected');
  }

  async labName(): Promise<string> {
    return ((await this.tid('toolbar.lab').locator('.nl-lab-key').textContent()) ?? '').trim();
  }

  /** Same-origin headers for API writes made by the test itself (the server checks Origin). */
  origin(): Record<string, string> {
    return { origin: new URL(this.page.url()).origin };
  }

  /**
   * Opens a private copy of the default lab (so a test never depends on what an earlier test left behind).
   * Returns the copy's name.
   */
  async openCopyOfDefault(): Promise<string> {
    await this.open();
    const doc = await (await pageApi(this.page).get(`/api/labs/${await this.labName()}`)).json();
    const name = `e2e-${Date.now().toString(36)}`;
    const res = await pageApi(this.page).post('/api/labs', {
      data: { lab: { ...doc.lab, name }, layout: doc.layout },
      headers: this.origin(),
    });
    expect(res.status()).toBe(201);
    await login(this.page, name);
    await expect(this.tid('toolbar.lab').locator('.nl-lab-key')).toHaveText(name);
    await expect(this.allNodes().first()).toBeVisible();
    return name;
  }

  async nodeIds(): Promise<string[]> {
    return this.allNodes().evaluateAll((els) => els.map((e) => (e.getAttribute('data-testid') ?? '').slice(5)));
  }
  async edgeIds(): Promise<string[]> {
    return this.allEdges().evaluateAll((els) => els.map((e) => (e.getAttribute('data-testid') ?? '').slice(5)));
  }
  /** Every node and edge state, e.g. { 'node.red': 'ready', 'edge.l1': 'ready' }. */
  async states(): Promise<Record<string, string>> {
    const read = (l: Locator) =>
      l.evaluateAll((els) => els.map((e) => [e.getAttribute('data-testid') ?? '', e.getAttribute('data-state') ?? '']));
    return Object.fromEntries([...(await read(this.allNodes())), ...(await read(this.allEdges()))]);
  }
  async expectAllStates(state: string): Promise<void> {
    await expect
      .poll(
        async () => Object.values(await this.states()).every((s) => s === state) && (await this.nodeIds()).length > 0,
        {
          message: `every node and edge is ${state}`,
          timeout: 30_000,
        },
      )
      .toBe(true);
  }

  // ---- editing ----
  /** Drags a palette item onto the canvas at (x, y) relative to the canvas; returns the new node's id. */
  async dragFromPalette(kind: Kind, x: number, y: number): Promise<string> {
    const before = new Set(await this.nodeIds());
    await this.tid(`palette.${kind}`).dragTo(this.tid('canvas'), { targetPosition: { x, y } });
    await expect.poll(async () => (await this.nodeIds()).length).toBe(before.size + 1);
    const id = (await this.nodeIds()).find((n) => !before.has(n))!;
    await expect(this.tid('inspector.id')).toHaveText(id);
    return id;
  }

  private handle(nodeId: string, side: 'left' | 'right' | 'top' | 'bottom'): Locator {
    return this.page.locator(`.react-flow__node[data-id="${nodeId}"] .react-flow__handle-${side}`);
  }

  /** Drags from a's right handle to b's left handle; returns the new link id. */
  async connect(a: string, b: string): Promise<string> {
    const before = new Set(await this.edgeIds());
    const from = await this.handle(a, 'right').boundingBox();
    const to = await this.handle(b, 'left').boundingBox();
    if (!from || !to) throw new Error('handles not found');
    await this.page.mouse.move(from.x + from.width / 2, from.y + from.height / 2);
    await this.page.mouse.down();
    await this.page.mouse.move(to.x + to.width / 2, to.y + to.height / 2, { steps: 12 });
    await this.page.mouse.up();
    await expect.poll(async () => (await this.edgeIds()).length).toBe(before.size + 1);
    return (await this.edgeIds()).find((e) => !before.has(e))!;
  }

  /** Zooms out with the canvas controls (makes room to drop new nodes beside the existing ones). */
  async zoomOut(times = 1): Promise<void> {
    for (let i = 0; i < times; i++) await this.page.locator('.react-flow__controls-zoomout').click();
  }

  /** Deletes nodes (with their links) through the UI: click, Delete. */
  async deleteNodes(ids: string[]): Promise<void> {
    await this.tid('panel.inspector').click();
    for (const id of ids) {
      await this.node(id).click();
      await expect(this.tid('inspector.id')).toHaveText(id);
      await this.press('Delete');
      await expect(this.node(id)).toHaveCount(0);
    }
  }

  async selectEndpoint(key: string): Promise<void> {
    await this.tid('panel.inspector').click();
    const [link, end] = key.split('#') as [string, string];
    const other = end === '0' ? '1' : '0';
    // Selected: the inspector shows that link with only this end. A click that lands while the canvas is
    // still settling (a fit or layout after an apply) can miss the label: click again until it is selected.
    await expect(async () => {
      await this.endpoint(key).click();
      await expect(this.tid('inspector.id')).toHaveText(link, { timeout: 2000 });
      await expect(this.tid(`inspector.end${end}`)).toBeVisible({ timeout: 1000 });
      await expect(this.tid(`inspector.end${other}`)).toHaveCount(0, { timeout: 1000 });
    }).toPass({ timeout: 20_000 });
  }

  /** Types into an inspector field and commits it (Enter). */
  async setField(testid: string, value: string): Promise<void> {
    const f = this.tid(testid);
    await f.fill(value);
    await f.press('Enter');
    await expect(f).toHaveValue(value);
  }

  async press(keys: string): Promise<void> {
    // Shortcuts are ignored while a form field has focus: leave the field first (keeps the selection).
    await this.page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
    await this.page.keyboard.press(keys);
  }

  // ---- operations ----
  async openPlan(): Promise<Locator> {
    await this.tid('toolbar.plan').click();
    const ops = this.tid('plan');
    await expect(ops).toBeVisible();
    await expect(this.tid('plan.refresh')).toHaveText('Refresh');
    return ops;
  }

  async apply(): Promise<void> {
    await expect(this.applyButton).toBeEnabled();
    await this.applyButton.click();
    await expect(this.result).toBeVisible({ timeout: 45_000 });
    await expect(this.result).toHaveAttribute('data-ok', 'true');
  }

  async destroy(): Promise<void> {
    await this.tid('toolbar.destroy').click();
    await expect(this.result).toHaveAttribute('data-ok', 'true', { timeout: 45_000 });
  }

  async exportPng(): Promise<Download> {
    await this.tid('toolbar.export').click();
    const wait = this.page.waitForEvent('download');
    await this.tid('toolbar.export-png').click();
    return wait;
  }

  async screenshot(name: string): Promise<void> {
    await this.page.screenshot({ path: `reports/screenshots/${name}.png` });
  }
}
