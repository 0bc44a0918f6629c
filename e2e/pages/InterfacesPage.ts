/**
 * Page object for a namespace's node-attached interfaces (VXLAN, TAP, VLAN, macvlan): the inspector's
 * "Interfaces" section (`inspector.iface*`) and the chips on the node (`attached.<node>/<ifname>`). Built on
 * EditorPage; web-first assertions, no sleeps.
 */
import { expect, type Locator } from '@playwright/test';
import type { EditorPage } from './EditorPage';

export type AttachedKind = 'vxlan' | 'tap' | 'vlan' | 'macvlan';

export class InterfacesPage {
  constructor(readonly app: EditorPage) {}

  private tid(id: string): Locator {
    return this.app.tid(id);
  }
  /** The chip of interface `ifname` on node `node` (its id is the engine's object id). */
  chip(node: string, ifname: string): Locator {
    return this.tid(`attached.${node}/${ifname}`);
  }
  chips(node: string): Locator {
    return this.app.page.locator(`[data-testid^="attached.${node}/"]`);
  }
  /** The dashed line from a namespace to the bridge its interface `ifname` is a port of. */
  attachEdge(node: string, ifname: string): Locator {
    return this.tid(`attach-edge.${node}/${ifname}`);
  }
  card(k: number): Locator {
    return this.tid(`inspector.iface.${k}`);
  }
  field(k: number, name: string): Locator {
    return this.tid(`inspector.iface.${k}.${name}`);
  }
  fieldError(k: number, name: string): Locator {
    return this.tid(`inspector.iface.${k}.${name}.error`);
  }

  /** Selects a node and shows its inspector. */
  async openNode(id: string): Promise<void> {
    await this.tid('panel.inspector').click();
    await this.app.node(id).click();
    await expect(this.tid('inspector.id')).toHaveText(id);
    await expect(this.tid('inspector.interfaces')).toBeVisible();
  }

  /** Adds an interface of `kind` from the inspector; returns its index in the list. */
  async add(kind: AttachedKind): Promise<number> {
    const cards = this.app.page.locator('[data-testid^="inspector.iface."][data-kind]');
    const before = await cards.count();
    await this.tid('inspector.iface-kind').selectOption(kind);
    await this.tid('inspector.iface-add').click();
    await expect(cards).toHaveCount(before + 1);
    await expect(this.card(before)).toHaveAttribute('data-kind', kind);
    return before;
  }

  async set(k: number, name: string, value: string): Promise<void> {
    await this.app.setField(`inspector.iface.${k}.${name}`, value);
  }

  /** Removes interface `k` (the ✕ on its card); waits for the list to shrink. */
  async remove(k: number): Promise<void> {
    const cards = this.app.page.locator('[data-testid^="inspector.iface."][data-kind]');
    const before = await cards.count();
    await this.field(k, 'remove').click();
    await expect(cards).toHaveCount(before - 1);
  }
}
