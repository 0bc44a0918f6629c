/**
 * Page object for the canvas-truth and teacher-snag specs (issue #16): labs made through the API for a test
 * alone (unique lab and kernel names, so specs never collide in the shared sandbox), operations through the
 * API, the Open/New dialogs, the result banner and the problems tab. Built on EditorPage; no sleeps.
 */
import { expect, type Locator, type Page } from '@playwright/test';
import { login, loginLink, pageApi } from '../support/pageApi';
import type { EditorPage } from './EditorPage';

type Json = Record<string, unknown>;

/** A router lab like examples/router.yaml; every kernel name starts with `p` so two tests never share one. */
export function routerLab(name: string, p: string): { lab: Json; layout: Json } {
  return {
    lab: {
      version: 1,
      name,
      title: 'Routing between two subnets',
      nodes: [
        { id: 'left', kind: 'namespace', name: `${p}left`, routes: [{ to: 'default', via: '10.1.1.254' }] },
        { id: 'rtr', kind: 'namespace', name: `${p}rtr`, forwarding: true, routes: [] },
        { id: 'right', kind: 'namespace', name: `${p}right`, routes: [{ to: 'default', via: '10.1.2.254' }] },
      ],
      links: [
        {
          id: 'left-rtr',
          kind: 'veth',
          endpoints: [
            { node: 'left', ifname: 'eth0', addresses: ['10.1.1.2/24'], up: true },
            { node: 'rtr', ifname: 'rtr-left', addresses: ['10.1.1.254/24'], up: true },
          ],
        },
        {
          id: 'rtr-right',
          kind: 'veth',
          endpoints: [
            { node: 'rtr', ifname: 'rtr-right', addresses: ['10.1.2.254/24'], up: true },
            { node: 'right', ifname: 'eth0', addresses: ['10.1.2.2/24'], up: true },
          ],
        },
      ],
    },
    layout: {
      version: 1,
      positions: { left: { x: 0, y: 0 }, rtr: { x: 420, y: 0 }, right: { x: 840, y: 0 } },
      notes: [],
    },
  };
}

/** Two namespaces joined by one veth (the default lab's shape) under names of the test's own. */
export function pairLab(name: string, a: string, b: string): { lab: Json; layout: Json } {
  return {
    lab: {
      version: 1,
      name,
      nodes: [
        { id: 'ns1', kind: 'namespace', name: a, routes: [] },
        { id: 'ns2', kind: 'namespace', name: b, routes: [] },
      ],
      links: [
        {
          id: 'link1',
          kind: 'veth',
          endpoints: [
            { node: 'ns1', ifname: `veth-${a}`, addresses: ['10.0.0.1/24'], up: true },
            { node: 'ns2', ifname: `veth-${b}`, addresses: ['10.0.0.2/24'], up: true },
          ],
        },
      ],
    },
    layout: { version: 1, positions: { ns1: { x: 0, y: 0 }, ns2: { x: 520, y: 0 } }, notes: [] },
  };
}

export class CanvasPage {
  constructor(readonly app: EditorPage) {}

  get page(): Page {
    return this.app.page;
  }
  /** Same-origin header for the test's own API writes (works before the page has loaded anything). */
  origin(): Record<string, string> {
    return { origin: `http://127.0.0.1:${process.env.E2E_PORT ?? '7420'}` };
  }
  tid(id: string): Locator {
    return this.app.tid(id);
  }

  /** A unique lab name for this test (lab names: lowercase letters, digits, "-"). */
  static unique(stem: string): string {
    return `${stem}-${Date.now().toString(36)}${Math.floor(Math.random() * 1e4).toString(36)}`;
  }

  /** Stores a lab through the API (the browser must have the session: call `app.open()` or `start()` first). */
  async createLab(doc: { lab: Json; layout?: Json }): Promise<string> {
    const res = await pageApi(this.page).post('/api/labs', { data: doc, headers: this.origin() });
    expect(res.status(), await res.text()).toBe(201);
    return doc.lab.name as string;
  }

  /**
   * Takes the session (the cookie a `?token=` link sets) with one HTTP request, without loading the app: the
   * browser context shares its cookies with `page.request`. Then labs can be made and opened by URL.
   */
  async start(): Promise<void> {
    const res = await this.page.request.get(loginLink(), { maxRedirects: 0 });
    expect(res.status(), 'the token link answers with a redirect that sets the session').toBe(302);
  }

  /** Opens the app itself (the default lab or the last one used), live. */
  async openApp(): Promise<void> {
    await login(this.page);
    await expect(this.tid('status.connection')).toHaveAttribute('data-state', 'connected');
  }

  /** Opens a stored lab by its URL (`#name`) and waits until it is on the canvas and live. */
  async openLab(name: string): Promise<void> {
    await login(this.page, name);
    await expect(this.tid('toolbar.lab').locator('.nl-lab-key')).toHaveText(name);
    await expect(this.tid('status.connection')).toHaveAttribute('data-state', 'connected');
  }

  /** Runs apply or destroy through the API and waits for its result. */
  async operate(name: string, action: 'apply' | 'destroy'): Promise<Json> {
    const res = await pageApi(this.page).post(`/api/labs/${name}/${action}`, { data: {}, headers: this.origin() });
    expect(res.status(), await res.text()).toBe(202);
    const { operationId } = (await res.json()) as { operationId: string };
    let result: Json = {};
    await expect
      .poll(
        async () => {
          result = await (await pageApi(this.page).get(`/api/operations/${operationId}`)).json();
          return result.state !== 'running';
        },
        { timeout: 45_000 },
      )
      .toBe(true);
    return result;
  }

  /** Destroys a lab if it was applied (clean-up: other specs reuse the sandbox). */
  async cleanUp(name: string | null): Promise<void> {
    if (name) await this.operate(name, 'destroy');
  }

  /** Packets received by one ping from node `node` to `target` (the exec API; 0 when unreachable). */
  async pingReceived(lab: string, node: string, target: string): Promise<number> {
    const res = await pageApi(this.page).post(`/api/labs/${lab}/exec`, {
      data: { node, tool: 'ping', args: { target, count: 1, timeoutS: 1 } },
      headers: this.origin(),
    });
    expect(res.status(), await res.text()).toBe(200);
    return ((await res.json()) as { parsed?: { received?: number } }).parsed?.received ?? 0;
  }

  async dismissResult(): Promise<void> {
    if (await this.app.result.isVisible()) await this.app.result.getByRole('button', { name: 'Dismiss' }).click();
    await expect(this.app.result).toHaveCount(0);
  }

  /** Right-click a link's first end label, pick "Set link down/up (applies now)". */
  async toggleLink(link: string, to: 'down' | 'up'): Promise<void> {
    await this.dismissResult();
    await this.app.endpoint(`${link}#0`).click({ button: 'right' });
    await this.tid(`context.link-${to}`).click();
    await expect(this.tid('context')).toHaveCount(0);
  }

  /** The text lines of the result banner's "Show the commands". */
  async resultCommands(): Promise<string[]> {
    await this.app.result.getByText('Show the commands').click();
    const text = (await this.tid('result.commands').textContent()) ?? '';
    return text.split('\n').filter((l) => l.trim() !== '');
  }

  /** Viewport zoom of the editor canvas (React Flow's transform). */
  async zoom(): Promise<number> {
    const t = await this.page
      .locator('[data-testid="canvas"] .react-flow__viewport')
      .evaluate((el) => getComputedStyle(el).transform);
    const m = /matrix\(([^,]+)/.exec(t);
    return m ? Number(m[1]) : 1;
  }
}
