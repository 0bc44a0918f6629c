/**
 * Page object for the network features (issue #6): link down/up from the canvas, egress impairments in the
 * endpoint inspector and their edge badges, and a ping through the exec API to see the effect. Built on
 * EditorPage; web-first assertions, no sleeps.
 */
import { expect, type Locator } from '@playwright/test';
import { pageApi } from '../support/pageApi';
import type { EditorPage } from './EditorPage';

export class FaultsPage {
  constructor(readonly app: EditorPage) {}

  private tid(id: string): Locator {
    return this.app.tid(id);
  }
  impairmentBadge(link: string, end: 0 | 1): Locator {
    return this.app.page.locator(`[data-testid="edge.${link}.impairment"][data-end="${end}"]`);
  }

  /** Packets received by one ping from `node` to `target` (the exec API; 0 when the network is unreachable). */
  async pingReceived(lab: string, node: string, target: string): Promise<number> {
    const res = await pageApi(this.app.page).post(`/api/labs/${lab}/exec`, {
      data: { node, tool: 'ping', args: { target, count: 1, timeoutS: 1 } },
      headers: this.app.origin(),
    });
    expect(res.status(), await res.text()).toBe(200);
    const body = (await res.json()) as { parsed?: { received?: number } };
    return body.parsed?.received ?? 0;
  }

  /** Right-click the link (on its first end's label) and pick "Set link down/up"; waits for the apply result. */
  async setLink(link: string, state: 'down' | 'up'): Promise<Locator> {
    if (await this.app.result.isVisible()) await this.app.result.getByRole('button', { name: 'Dismiss' }).click();
    await expect(this.app.result).toHaveCount(0);
    await this.app.endpoint(`${link}#0`).click({ button: 'right' });
    await expect(this.tid('context')).toBeVisible();
    await this.tid(`context.link-${state}`).click();
    await expect(this.tid('context')).toHaveCount(0);
    await expect(this.app.result).toBeVisible({ timeout: 45_000 });
    await expect(this.app.result).toHaveAttribute('data-ok', 'true');
    return this.app.result;
  }

  /** Opens an end's "Impairment (egress)" section in the inspector. */
  async openImpairment(link: string, end: 0 | 1): Promise<Locator> {
    await this.app.selectEndpoint(`${link}#${end}`);
    const section = this.tid(`inspector.end${end}.impairment`);
    if ((await section.getAttribute('open')) === null) await this.tid(`inspector.end${end}.impairment-toggle`).click();
    await expect(section).toHaveAttribute('open', '');
    return section;
  }

  async setRate(end: 0 | 1, value: string, unit: 'kbit' | 'Mbit'): Promise<void> {
    await this.tid(`inspector.end${end}.rate-unit`).selectOption(unit);
    await this.app.setField(`inspector.end${end}.rate`, value);
  }
}
