/**
 * Page object for the live tools (issue #7): terminal dock, node/link context menu, ping with path highlight,
 * packet capture, reachability matrix. Built on EditorPage's locators; web-first assertions, no sleeps.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { type Download, expect, type Locator } from '@playwright/test';
import type { EditorPage } from './EditorPage';

export class ToolsPage {
  constructor(readonly app: EditorPage) {}

  private tid(id: string): Locator {
    return this.app.tid(id);
  }
  get dock(): Locator {
    return this.tid('dock');
  }
  terminal(node: string): Locator {
    return this.tid(`terminal.${node}`);
  }
  capture(link: string, end: 0 | 1): Locator {
    return this.tid(`capture.${link}.${end}`);
  }
  get matrix(): Locator {
    return this.tid('matrix');
  }
  cell(from: string, to: string): Locator {
    return this.tid(`matrix.cell.${from}.${to}`);
  }
  get onPath(): Locator {
    return this.app.page.locator('[data-path="true"]');
  }
  /** Terminal + capture sockets the page holds open (the stage's `data-tool-sockets`). */
  async expectOpenSockets(n: number): Promise<void> {
    await expect(this.tid('stage')).toHaveAttribute('data-tool-sockets', String(n));
  }

  async contextMenuOnNode(node: string): Promise<void> {
    // On the node's title (the minimap may cover its right part once the dock takes room).
    await this.app.node(node).click({ button: 'right', position: { x: 40, y: 16 } });
    await expect(this.tid('context')).toBeVisible();
  }

  /** Double-click opens the node's terminal; waits for the shell to be ready. */
  async openTerminalByDoubleClick(node: string): Promise<Locator> {
    await this.app.node(node).dblclick();
    return this.waitTerminal(node);
  }

  async openTerminalFromMenu(node: string): Promise<Locator> {
    await this.contextMenuOnNode(node);
    await this.tid('context.terminal').click();
    return this.waitTerminal(node);
  }

  private async waitTerminal(node: string): Promise<Locator> {
    await expect(this.tid(`dock.tab.${node}`)).toBeVisible();
    await expect(this.tid(`dock.tab.${node}`)).toHaveAttribute('aria-selected', 'true');
    await expect(this.tid(`terminal.${node}.state`)).toHaveAttribute('data-state', 'ready', { timeout: 15_000 });
    return this.terminal(node);
  }

  /** Types a command line into a terminal (focuses it first) and presses Enter. */
  async run(node: string, line: string): Promise<void> {
    await this.tid(`dock.tab.${node}`).click();
    await this.terminal(node).click();
    await this.app.page.keyboard.type(line);
    await this.app.page.keyboard.press('Enter');
  }

  async closeTab(key: string): Promise<void> {
    await this.tid(`dock.close.${key}`).click();
    await expect(this.tid(`dock.tab.${key}`)).toHaveCount(0);
  }

  async ping(from: string, target: string): Promise<Locator> {
    await this.contextMenuOnNode(from);
    await this.tid('context.ping').click();
    await this.tid('ping.target').fill(target);
    await this.tid('ping.run').click();
    const result = this.tid('ping.result');
    await expect(result).toHaveAttribute('data-state', /ok|fail/, { timeout: 20_000 });
    return result;
  }

  /** Right-click on an end's label → "Capture on <ifname>"; waits for tcpdump to be listening. */
  async startCapture(link: string, end: 0 | 1): Promise<Locator> {
    await this.app.endpoint(`${link}#${end}`).click({ button: 'right' });
    await this.app.page.locator(`[data-testid="context.capture"][data-end="${end}"]`).click();
    const panel = this.capture(link, end);
    await expect(panel).toHaveAttribute('data-state', 'running', { timeout: 15_000 });
    return panel;
  }

  rows(link: string, end: 0 | 1, protocol?: string): Locator {
    const sel = protocol ? `[data-testid="capture.row"][data-protocol="${protocol}"]` : '[data-testid="capture.row"]';
    return this.capture(link, end).locator(sel);
  }

  async downloadPcap(link: string, end: 0 | 1): Promise<Download> {
    const wait = this.app.page.waitForEvent('download');
    await this.capture(link, end).getByTestId('capture.download').click();
    return wait;
  }

  async runMatrix(): Promise<Locator> {
    await this.tid('toolbar.reachability').click();
    await expect(this.matrix).toHaveAttribute('data-state', 'ready', { timeout: 30_000 });
    return this.matrix;
  }
}

/**
 * Server-side check without a server endpoint: the shells and tcpdumps descending from the e2e server
 * process (found by its command line in /proc). Read-only; nothing is signalled.
 */
export function serverToolProcesses(port: number): string[] {
  const procs = new Map<number, { ppid: number; comm: string; cmd: string }>();
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const stat = readFileSync(`/proc/${e}/stat`, 'utf8');
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (rest[0] === 'Z') continue;
      const cmd = readFileSync(`/proc/${e}/cmdline`, 'utf8').split('\0').join(' ');
      procs.set(Number(e), { ppid: Number(rest[1]), comm, cmd });
    } catch {
      // gone meanwhile
    }
  }
  // The e2e web server (e2e/support/sandboxServer.ts) or a plain `netloom serve` on that port.
  const roots = [...procs].filter(
    ([, p]) =>
      (p.cmd.includes('netloom.js serve') || p.cmd.includes('sandboxServer.ts')) && p.cmd.includes(`--port ${port}`),
  );
  const found: string[] = [];
  const seen = new Set<number>();
  const stack = roots.map(([pid]) => pid);
  while (stack.length) {
    const pid = stack.pop()!;
    if (seen.has(pid)) continue;
    seen.add(pid);
    for (const [child, p] of procs)
      if (p.ppid === pid) {
        stack.push(child);
        if (p.comm === 'bash' || p.comm === 'tcpdump') found.push(`${child} ${p.comm}`);
      }
  }
  return found;
}
