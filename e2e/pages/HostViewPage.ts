/**
 * Page object for the host view (issue #8): what is really on the host, drawn live; search, inspector, adopt
 * dialog, export; and the Diff panel of the current lab. Built on EditorPage; web-first assertions, no sleeps.
 */
import { expect, type Locator } from '@playwright/test';
import type { EditorPage } from './EditorPage';

export class HostViewPage {
  constructor(readonly app: EditorPage) {}

  tid(id: string): Locator {
    return this.app.tid(id);
  }
  get view(): Locator {
    return this.tid('hostview');
  }
  node(id: string): Locator {
    return this.tid(`hostview.node.${id}`);
  }
  /** A veth drawn by the host view (the editor's edge component, inside the host view). */
  edge(id: string): Locator {
    return this.view.getByTestId(`edge.${id}`);
  }
  get inspector(): Locator {
    return this.tid('hostview.inspector');
  }
  get adoptDialog(): Locator {
    return this.tid('hostview.adopt-dialog');
  }
  get diff(): Locator {
    return this.tid('diff');
  }
  diffObject(id: string): Locator {
    return this.tid(`diff.object.${id}`);
  }

  async open(): Promise<void> {
    await this.tid('toolbar.host-view').click();
    await expect(this.view).toBeVisible();
    await expect(this.tid('hostview.status')).toHaveAttribute('data-state', 'live');
  }

  async close(): Promise<void> {
    await this.tid('hostview.close').click();
    await expect(this.view).toHaveCount(0);
  }

  async expectOwned(id: string, lab: string): Promise<void> {
    await expect(this.node(id)).toHaveAttribute('data-ownership', 'owned');
    await expect(this.node(id)).toHaveAttribute('data-owner', lab);
  }

  /** Types into the filter and centres the first match (Enter). */
  async search(text: string): Promise<void> {
    const box = this.tid('hostview.search');
    await box.fill(text);
    await box.press('Enter');
  }

  async openAdopt(): Promise<void> {
    await this.tid('hostview.adopt').click();
    await expect(this.adoptDialog).toBeVisible();
  }

  async confirmAdopt(labName: string): Promise<void> {
    await this.tid('hostview.adopt-name').fill(labName);
    await this.tid('hostview.adopt-confirm').click();
  }

  async openDiff(): Promise<void> {
    await this.tid('toolbar.diff').click();
    await expect(this.diff).toBeVisible();
    await expect(this.tid('diff.summary')).toBeVisible();
  }
}
