/**
 * A teacher's first hour without snags (issue #16, items 7–11, 14, 15): proposed names are free on the host and
 * in every lab; the first node dropped on an empty lab stays where it was dropped; a bridge inside a namespace
 * is drawn inside it and bridge-port labels sit on their own edge; renaming a node offers to rename the
 * interfaces named after it; a rate keeps its number when the unit changes; auto-layout fits at a readable
 * zoom and draws a star without crossings; NAT says the namespaces need a default route and adds it.
 * Nothing here is applied, so nothing is left on the host (the hand-made namespace is removed again).
 */
import { expect, type Page, test } from '@playwright/test';
import { CanvasPage, pairLab } from './pages/CanvasPage';
import { EditorPage } from './pages/EditorPage';
import { inSandbox } from './support/hostShell';

test.use({ viewport: { width: 1440, height: 900 } });

type Box = { x: number; y: number; width: number; height: number };
const centre = (b: Box) => ({ x: b.x + b.width / 2, y: b.y + b.height / 2 });
const overlap = (a: Box, b: Box) =>
  a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;
const inside = (inner: Box, outer: Box) =>
  inner.x >= outer.x - 0.5 &&
  inner.y >= outer.y - 0.5 &&
  inner.x + inner.width <= outer.x + outer.width + 0.5 &&
  inner.y + inner.height <= outer.y + outer.height + 0.5;

/** An empty lab of this test's own, open on the canvas. */
async function emptyLab(canvas: CanvasPage, stem: string): Promise<string> {
  await canvas.start();
  const name = await canvas.createLab({ lab: { version: 1, name: CanvasPage.unique(stem), nodes: [], links: [] } });
  await canvas.openLab(name);
  await expect(canvas.tid('canvas.empty')).toBeVisible();
  return name;
}

/** The name the inspector shows for the selected node. */
const selectedName = (app: EditorPage) => app.tid('inspector.name').inputValue();

test('7: proposed names are free on the host and in every lab', async ({ page }) => {
  const app = new EditorPage(page);
  const canvas = new CanvasPage(app);
  await canvas.start();
  // The default lab (stored) has red and blue; "green" exists on the host, made by hand.
  await inSandbox(['ip', 'netns', 'add', 'green']);
  try {
    // Proposals wait for nothing, so the test waits for the names this lab's opening asks for.
    const names = () => page.waitForResponse((r) => r.url().includes('/api/names?lab=e2e-t7'));
    const loaded = names();
    await emptyLab(canvas, 'e2e-t7');
    await loaded;
    await app.tid('palette.namespace').click();
    const first = await selectedName(app);
    expect(['red', 'blue', 'green']).not.toContain(first);
    await app.press('Control+d');
    await expect(app.allNodes()).toHaveCount(2);
    const second = await selectedName(app);
    expect(['red', 'blue', 'green', first]).not.toContain(second);
    // A bridge in the root namespace avoids the root's interface names too (br0 is taken there by hand).
    await app.press('Control+s');
    await expect(app.tid('toolbar.dirty')).toHaveCount(0);
    await inSandbox(['ip', 'link', 'add', 'br0', 'type', 'bridge']);
    const reloaded = names();
    await page.reload();
    await reloaded;
    await expect(app.allNodes()).toHaveCount(2);
    await app.tid('palette.bridge').click();
    expect(await selectedName(app)).not.toBe('br0');
  } finally {
    await inSandbox(['ip', 'netns', 'del', 'green']).catch(() => {});
    await inSandbox(['ip', 'link', 'del', 'br0']).catch(() => {});
  }
});

test('8: the first node dropped on an empty lab stays under the cursor; the next one does not overlap it', async ({
  page,
}) => {
  const app = new EditorPage(page);
  const canvas = new CanvasPage(app);
  await emptyLab(canvas, 'e2e-t8');
  const pane = (await app.tid('canvas').boundingBox())!;
  const a = await app.dragFromPalette('namespace', 200, 200);
  // Wait for any view change to settle before measuring (a fit would animate).
  await expect
    .poll(async () => JSON.stringify(await app.node(a).boundingBox()))
    .toBe(JSON.stringify(await app.node(a).boundingBox()));
  const boxA = (await app.node(a).boundingBox())!;
  const c = centre(boxA);
  expect(Math.abs(c.x - (pane.x + 200))).toBeLessThan(60);
  expect(Math.abs(c.y - (pane.y + 200))).toBeLessThan(60);
  expect(await canvas.zoom()).toBe(1);
  const b = await app.dragFromPalette('namespace', 520, 200);
  const boxB = (await app.node(b).boundingBox())!;
  expect(overlap(boxA, (await app.node(a).boundingBox())!)).toBe(true); // a did not move
  expect(overlap(boxA, boxB)).toBe(false);
});

test('9: a bridge inside a namespace is drawn inside it; port labels sit on their own edge', async ({ page }) => {
  const app = new EditorPage(page);
  const canvas = new CanvasPage(app);
  await canvas.start();
  // A switch namespace holding a bridge with six ports (a star), as in examples/bridge-in-namespace.yaml.
  const hosts = ['h1', 'h2', 'h3', 'h4', 'h5', 'h6'];
  const positions: Record<string, { x: number; y: number }> = { sw: { x: 500, y: 330 }, br: { x: 530, y: 420 } };
  hosts.forEach((h, i) => {
    const a = (i / hosts.length) * Math.PI * 2;
    positions[h] = { x: 520 + Math.cos(a) * 480, y: 420 + Math.sin(a) * 330 };
  });
  const name = await canvas.createLab({
    lab: {
      version: 1,
      name: CanvasPage.unique('e2e-t9'),
      nodes: [
        { id: 'sw', kind: 'namespace', name: 't9sw', routes: [] },
        { id: 'br', kind: 'bridge', name: 'sw0', namespace: 'sw', addresses: [] },
        ...hosts.map((h) => ({ id: h, kind: 'namespace', name: `t9${h}`, routes: [] })),
      ],
      links: hosts.map((h, i) => ({
        id: `l-${h}`,
        kind: 'veth',
        endpoints: [
          { node: h, ifname: 'eth0', addresses: [`172.16.0.${i + 1}/24`], up: true },
          { node: 'br', ifname: `sw0-p${i + 1}`, addresses: [], up: true },
        ],
      })),
    },
    layout: { version: 1, positions, notes: [] },
  });
  await canvas.openLab(name);
  await expect(app.allNodes()).toHaveCount(8);

  // The bridge is drawn inside its namespace, and moves with it.
  const sw = (await app.node('sw').boundingBox())!;
  const br = (await app.node('br').boundingBox())!;
  expect(inside(br, sw)).toBe(true);
  const head = app.node('sw').locator('.nl-node-head');
  const h = (await head.boundingBox())!;
  await page.mouse.move(h.x + 20, h.y + h.height / 2);
  await page.mouse.down();
  await page.mouse.move(h.x + 20 + 60, h.y + h.height / 2 + 40, { steps: 8 });
  await page.mouse.up();
  const sw2 = (await app.node('sw').boundingBox())!;
  const br2 = (await app.node('br').boundingBox())!;
  expect(sw2.x - sw.x).toBeGreaterThan(20);
  expect(Math.round(br2.x - br.x)).toBe(Math.round(sw2.x - sw.x));
  expect(Math.round(br2.y - br.y)).toBe(Math.round(sw2.y - sw.y));
  expect(inside(br2, sw2)).toBe(true);

  // Every end label sits on its own edge: closer to it than to any other edge, and on (or touching) the line.
  const far = await labelsOffTheirEdge(page);
  expect(far).toEqual([]);
  await app.screenshot('snags-bridge-in-namespace');
});

/** End labels whose centre is farther from their own edge line than from another one, or off the line. */
async function labelsOffTheirEdge(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const segs = new Map<string, [number, number, number, number]>();
    for (const g of document.querySelectorAll<SVGGElement>('g[data-testid^="edge."][data-state]')) {
      const path = g.querySelector<SVGPathElement>('.nl-edge-path')!;
      const len = path.getTotalLength();
      const ctm = path.getScreenCTM()!;
      const p = new DOMPoint(path.getPointAtLength(0).x, path.getPointAtLength(0).y).matrixTransform(ctm);
      const q = new DOMPoint(path.getPointAtLength(len).x, path.getPointAtLength(len).y).matrixTransform(ctm);
      segs.set((g.dataset.testid ?? '').slice(5), [p.x, p.y, q.x, q.y]);
    }
    const dist = ([x1, y1, x2, y2]: [number, number, number, number], x: number, y: number) => {
      const dx = x2 - x1;
      const dy = y2 - y1;
      const t = Math.max(0, Math.min(1, ((x - x1) * dx + (y - y1) * dy) / (dx * dx + dy * dy || 1)));
      return Math.hypot(x1 + t * dx - x, y1 + t * dy - y);
    };
    const bad: string[] = [];
    for (const el of document.querySelectorAll<HTMLElement>('[data-testid^="endpoint."][data-edge]')) {
      const r = el.getBoundingClientRect();
      const cx = r.x + r.width / 2;
      const cy = r.y + r.height / 2;
      const own = segs.get(el.dataset.edge ?? '');
      if (!own) continue;
      const d = dist(own, cx, cy);
      const other = Math.min(...[...segs].filter(([id]) => id !== el.dataset.edge).map(([, s]) => dist(s, cx, cy)));
      // On the line, or (a link too short for both labels on it) beside it, touching it.
      if (d > r.height / 2 + 6 || d >= other) bad.push(`${el.dataset.testid}: ${d.toFixed(0)} px off, other ${other}`);
    }
    return bad;
  });
}

test('10: renaming a node offers to rename the interfaces named after it', async ({ page }) => {
  const app = new EditorPage(page);
  const canvas = new CanvasPage(app);
  await canvas.start();
  const doc = pairLab(CanvasPage.unique('e2e-t10'), 't10a', 't10b');
  (doc.lab.nodes as Record<string, unknown>[])[0]!.routes = [{ to: '10.7.0.0/24', dev: 'veth-t10a' }];
  const name = await canvas.createLab(doc);
  await canvas.openLab(name);
  await app.node('ns1').click();
  await app.setField('inspector.name', 'pc1');
  const offer = app.tid('inspector.rename-ifaces');
  await expect(offer).toContainText('veth-t10a');
  await expect(offer).toContainText('veth-pc1');
  await app.tid('inspector.rename-ifaces.apply').click();
  await expect(offer).toHaveCount(0);
  await expect(app.endpoint('link1#0')).toContainText('veth-pc1');
  // A route through the interface follows its new name; one undo step puts both back.
  await expect(app.tid('inspector.route.0.dev')).toHaveValue('veth-pc1');
  await expect(app.tid('problems.count')).toHaveText('0');
  await app.press('Control+z');
  await expect(app.endpoint('link1#0')).toContainText('veth-t10a');
  await expect(app.tid('inspector.route.0.dev')).toHaveValue('veth-t10a');
});

test('11: a rate keeps its number when the unit changes', async ({ page }) => {
  const app = new EditorPage(page);
  const canvas = new CanvasPage(app);
  await canvas.start();
  const name = await canvas.createLab(pairLab(CanvasPage.unique('e2e-t11'), 't11a', 't11b'));
  await canvas.openLab(name);
  await app.selectEndpoint('link1#0');
  await app.tid('inspector.end0.impairment-toggle').click();
  const badge = page.locator('[data-testid="edge.link1.impairment"][data-end="0"]');
  await app.setField('inspector.end0.rate', '1');
  const unit = await app.tid('inspector.end0.rate-unit').inputValue();
  await expect(badge).toHaveText(unit === 'Mbit' ? '1 Mbit/s' : '1 kbit/s');
  await app.tid('inspector.end0.rate-unit').selectOption(unit === 'Mbit' ? 'kbit' : 'Mbit');
  await expect(app.tid('inspector.end0.rate')).toHaveValue('1');
  await expect(badge).toHaveText(unit === 'Mbit' ? '1 kbit/s' : '1 Mbit/s');
  await app.tid('inspector.end0.rate-unit').selectOption('Mbit');
  await expect(app.tid('inspector.end0.rate')).toHaveValue('1');
  await expect(badge).toHaveText('1 Mbit/s');
});

test('14: auto-layout fits at a readable zoom, and a star has no crossings', async ({ page }) => {
  const app = new EditorPage(page);
  const canvas = new CanvasPage(app);
  await canvas.start();
  const chain = ['a', 'b', 'c'];
  const name = await canvas.createLab({
    lab: {
      version: 1,
      name: CanvasPage.unique('e2e-t14'),
      nodes: chain.map((n) => ({ id: n, kind: 'namespace', name: `t14${n}`, routes: [] })),
      links: [
        {
          id: 'ab',
          kind: 'veth',
          endpoints: [
            { node: 'a', ifname: 'a-eth0', addresses: ['10.0.0.1/30'], up: true },
            { node: 'b', ifname: 'b-eth0', addresses: ['10.0.0.2/30'], up: true },
          ],
        },
        {
          id: 'bc',
          kind: 'veth',
          endpoints: [
            { node: 'b', ifname: 'b-eth1', addresses: ['10.0.0.5/30'], up: true },
            { node: 'c', ifname: 'c-eth0', addresses: ['10.0.0.6/30'], up: true },
          ],
        },
      ],
    },
    layout: { version: 1, positions: { a: { x: 0, y: 0 }, b: { x: 3000, y: 2000 }, c: { x: 0, y: 4000 } }, notes: [] },
  });
  await canvas.openLab(name);
  await app.tid('toolbar.layout').click();
  await expect.poll(() => canvas.zoom(), { message: 'readable zoom after auto-layout' }).toBeGreaterThanOrEqual(0.75);
  for (const n of chain) await expect(app.node(n)).toBeInViewport();

  // A star: a bridge and eight namespaces (one link drawn the other way round).
  const star = ['s1', 's2', 's3', 's4', 's5', 's6', 's7', 's8'];
  const starLab = await canvas.createLab({
    lab: {
      version: 1,
      name: CanvasPage.unique('e2e-t14s'),
      nodes: [
        { id: 'hub', kind: 'bridge', name: 't14br', addresses: [] },
        ...star.map((n) => ({ id: n, kind: 'namespace', name: `t14${n}`, routes: [] })),
      ],
      links: star.map((n, i) => ({
        id: `l${n}`,
        kind: 'veth',
        endpoints:
          i === 5
            ? [
                { node: n, ifname: 'eth0', addresses: [`10.3.0.${i + 1}/24`], up: true },
                { node: 'hub', ifname: `t14br-p${i}`, addresses: [], up: true },
              ]
            : [
                { node: 'hub', ifname: `t14br-p${i}`, addresses: [], up: true },
                { node: n, ifname: 'eth0', addresses: [`10.3.0.${i + 1}/24`], up: true },
              ],
      })),
    },
  });
  await canvas.openLab(starLab);
  await app.tid('toolbar.layout').click();
  await expect.poll(() => crossings(page), { message: 'edges crossing edges or nodes' }).toEqual([]);
  // The fit after auto-layout animates (400 ms): wait for it to settle rather than read it mid-flight.
  await expect.poll(() => canvas.zoom(), { message: 'readable zoom after auto-layout' }).toBeGreaterThanOrEqual(0.5);
  await app.screenshot('snags-auto-layout-star');
});

/** Pairs of edges that cross, and edges that pass through a node they do not join (screen geometry). */
async function crossings(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    type Seg = { id: string; a: DOMPoint; b: DOMPoint };
    const segs: Seg[] = [];
    for (const g of document.querySelectorAll<SVGGElement>('g[data-testid^="edge."][data-state]')) {
      const path = g.querySelector<SVGPathElement>('.nl-edge-path')!;
      const ctm = path.getScreenCTM()!;
      const len = path.getTotalLength();
      const a = new DOMPoint(path.getPointAtLength(0).x, path.getPointAtLength(0).y).matrixTransform(ctm);
      const b = new DOMPoint(path.getPointAtLength(len).x, path.getPointAtLength(len).y).matrixTransform(ctm);
      segs.push({ id: (g.dataset.testid ?? '').slice(5), a, b });
    }
    const cross = (p: DOMPoint, q: DOMPoint, r: DOMPoint, s: DOMPoint) => {
      const d = (a: DOMPoint, b: DOMPoint, c: DOMPoint) => (b.x - a.x) * (c.y - a.y) - (b.y - a.y) * (c.x - a.x);
      return d(p, q, r) * d(p, q, s) < 0 && d(r, s, p) * d(r, s, q) < 0;
    };
    const out: string[] = [];
    for (let i = 0; i < segs.length; i++)
      for (let j = i + 1; j < segs.length; j++)
        if (cross(segs[i]!.a, segs[i]!.b, segs[j]!.a, segs[j]!.b)) out.push(`${segs[i]!.id} × ${segs[j]!.id}`);
    // An edge through a node box it does not end at (sampled along the line, inset by 4 px).
    const boxes = [...document.querySelectorAll<HTMLElement>('.react-flow__node')].map((n) => ({
      id: n.dataset.id ?? '',
      r: n.getBoundingClientRect(),
    }));
    for (const s of segs) {
      for (const { id, r } of boxes) {
        let hit = false;
        for (let t = 0.05; t < 0.95 && !hit; t += 0.02) {
          const x = s.a.x + (s.b.x - s.a.x) * t;
          const y = s.a.y + (s.b.y - s.a.y) * t;
          hit = x > r.left + 4 && x < r.right - 4 && y > r.top + 4 && y < r.bottom - 4;
        }
        if (hit) out.push(`${s.id} through ${id}`);
      }
    }
    return out;
  });
}

test('15: NAT says the namespaces need a default route via the host, and adds it', async ({ page }) => {
  const app = new EditorPage(page);
  const canvas = new CanvasPage(app);
  await canvas.start();
  const doc = pairLab(CanvasPage.unique('e2e-t15'), 't15a', 't15b');
  (doc.lab.nodes as Record<string, unknown>[]).push({ id: 'host', kind: 'host' });
  (doc.lab.links as Record<string, unknown>[]).push({
    id: 'uplink',
    kind: 'veth',
    endpoints: [
      { node: 'host', ifname: 'up-t15a', addresses: ['10.9.0.1/30'], up: true },
      { node: 'ns1', ifname: 'up0', addresses: ['10.9.0.2/30'], up: true },
    ],
  });
  (doc.layout.positions as Record<string, unknown>).host = { x: 260, y: -260 };
  const name = await canvas.createLab(doc);
  await canvas.openLab(name);
  await app.node('host').click();
  await app.tid('inspector.nat').locator('xpath=..').click();
  await expect(app.tid('inspector.nat')).toBeChecked();
  const hint = app.tid('inspector.nat-routes');
  await expect(hint).toContainText('default route');
  await expect(hint).toContainText('t15a: ip route add default via 10.9.0.1');
  // t15b reaches the host only through t15a, which does not forward: it needs that first (said, not added).
  await expect(hint).toContainText('t15b');
  await hint.getByRole('button', { name: /Add/ }).click();
  await app.node('ns1').click();
  await expect(app.tid('inspector.route.0.to')).toHaveValue('default');
  await expect(app.tid('inspector.route.0.via')).toHaveValue('10.9.0.1');
  await app.node('host').click();
  await expect(hint).not.toContainText('t15a: ip route add');
});
