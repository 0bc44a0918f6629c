/**
 * Canvas benchmark (not a test): builds a 500-node lab, serves the built client with a tiny in-process
 * stub of the API, opens it in Debian's Chromium and reports time to interactive and frame times while
 * dragging a node (requestAnimationFrame sampling in the page).
 *   npx vite build && npx tsx bench/canvas.ts [--n 500]
 * Prints: bench topology=canvas n=500 driver=chromium phase=tti ms=…
 */
import { createReadStream, existsSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { chromium } from 'playwright-core';
import type { Lab } from '../shared/lab';
import type { Layout } from '../shared/layout';

const N = Number(process.argv[process.argv.indexOf('--n') + 1] || 500) || 500;
const DIST = path.resolve('dist/client');

function buildLab(n: number): { lab: Lab; layout: Layout } {
  // Bridges of 9 namespaces each; a chain of routers between LANs keeps it a connected, valid topology.
  const lab: Lab = { version: 1, name: 'bench', title: `${n} nodes`, nodes: [], links: [] };
  const layout: Layout = { version: 1, positions: {}, notes: [] };
  const perLan = 10;
  for (let i = 0; i < n; i++) {
    const lan = Math.floor(i / perLan);
    const k = i % perLan;
    const col = lan % 10;
    const row = Math.floor(lan / 10);
    if (k === 0) lab.nodes.push({ id: `b${lan}`, kind: 'bridge', name: `br${lan}`, addresses: [] });
    else {
      lab.nodes.push({ id: `n${i}`, kind: 'namespace', name: `ns${i}`, forwarding: false, routes: [] });
      lab.links.push({
        id: `l${i}`,
        kind: 'veth',
        endpoints: [
          { node: `n${i}`, ifname: `ns${i}-eth0`, addresses: [`10.${lan >> 8}.${lan & 255}.${k}/24`], up: true },
          { node: `b${lan}`, ifname: `br${lan}-p${k}`, addresses: [], up: true },
        ],
      });
    }
    const angle = (k / perLan) * Math.PI * 2;
    layout.positions[k === 0 ? `b${lan}` : `n${i}`] =
      k === 0
        ? { x: col * 900 + 330, y: row * 900 + 380 }
        : { x: col * 900 + 330 + Math.cos(angle) * 330, y: row * 900 + 380 + Math.sin(angle) * 330 };
  }
  return { lab, layout };
}

function serve(doc: { lab: Lab; layout: Layout }): Promise<http.Server> {
  const json = (res: http.ServerResponse, body: unknown) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname === '/api/info')
      return json(res, { mode: 'sandbox', version: 'bench', capabilities: {}, versions: {}, defaultLab: 'bench' });
    if (url.pathname === '/api/labs')
      return json(res, {
        labs: [
          {
            name: 'bench',
            revision: 1,
            updatedAt: new Date().toISOString(),
            appliedRevision: null,
            nodes: doc.lab.nodes.length,
            links: doc.lab.links.length,
          },
        ],
      });
    if (url.pathname === '/api/labs/bench') return json(res, { ...doc, revision: 1 });
    let file = path.join(DIST, url.pathname === '/' ? 'index.html' : url.pathname);
    if (!file.startsWith(DIST) || !existsSync(file)) file = path.join(DIST, 'index.html');
    const type = file.endsWith('.js') ? 'text/javascript' : file.endsWith('.css') ? 'text/css' : 'text/html';
    res.writeHead(200, { 'content-type': type });
    createReadStream(file).pipe(res);
  });
  return new Promise((r) => server.listen(0, '127.0.0.1', () => r(server)));
}

const pct = (xs: number[], p: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))] ?? 0;

async function main() {
  if (!existsSync(path.join(DIST, 'index.html'))) throw new Error('run `npx vite build` first');
  const doc = buildLab(N);
  const server = await serve(doc);
  const port = (server.address() as { port: number }).port;
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu'],
  });
  const page = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
  const tag = `bench topology=canvas n=${N} driver=chromium`;
  try {
    const t0 = Date.now();
    await page.goto(`http://127.0.0.1:${port}/`);
    // Interactive = the lab is drawn and a node is on screen and measured.
    await page.locator('.react-flow__node').first().waitFor({ state: 'visible', timeout: 60_000 });
    await page.waitForFunction(() => document.querySelectorAll('.react-flow__node').length > 0);
    const tti = Date.now() - t0;
    console.log(`${tag} phase=tti ms=${tti}`);

    // Zoom in so a node is big enough to grab, then drag it in a circle while sampling frame times.
    const target = page.locator('.react-flow__node[data-id="b0"]');
    await target.waitFor({ state: 'visible' });
    const box = (await target.boundingBox())!;
    // A string, not a function: tsx would inject its `__name` helper into a serialized function.
    await page.evaluate(`(() => {
      window.__frames = [];
      window.__stop = false;
      let last = performance.now();
      const tick = (t) => {
        window.__frames.push(t - last);
        last = t;
        if (!window.__stop) requestAnimationFrame(tick);
      };
      requestAnimationFrame(tick);
    })()`);
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Performance.enable');
    const metric = async () => {
      const { metrics } = await cdp.send('Performance.getMetrics');
      return Object.fromEntries(metrics.map((m) => [m.name, m.value]));
    };
    const m0 = await metric();
    if (process.env.PROFILE) {
      await cdp.send('Profiler.enable');
      await cdp.send('Profiler.start');
    }
    const cx = box.x + box.width / 2;
    const cy = box.y + 12;
    await page.mouse.move(cx, cy);
    await page.mouse.down();
    const steps = 120;
    for (let i = 1; i <= steps; i++) {
      const a = (i / steps) * Math.PI * 2;
      await page.mouse.move(cx + Math.sin(a) * 200, cy + (1 - Math.cos(a)) * 120);
    }
    await page.mouse.up();
    const frames = (await page.evaluate('(window.__stop = true, window.__frames.slice(1))')) as number[];
    const m1 = await metric();
    if (process.env.PROFILE) {
      const { profile } = await cdp.send('Profiler.stop');
      const self = new Map<string, number>();
      const dt = new Map<number, number>();
      const samples = profile.samples ?? [];
      for (let i = 0; i < samples.length; i++)
        dt.set(samples[i]!, (dt.get(samples[i]!) ?? 0) + (profile.timeDeltas?.[i] ?? 0));
      for (const n of profile.nodes) {
        const k = `${n.callFrame.functionName || '(anon)'} ${n.callFrame.url.split('/').pop()}:${n.callFrame.lineNumber}`;
        self.set(k, (self.get(k) ?? 0) + (dt.get(n.id) ?? 0) / 1000);
      }
      for (const [k, v] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 25)) console.log(`  ${v.toFixed(0)}ms ${k}`);
    }
    const d = (k: string) => (((m1[k] ?? 0) - (m0[k] ?? 0)) * 1000).toFixed(0);
    console.log(
      `${tag} phase=drag-cost script_ms=${d('ScriptDuration')} layout_ms=${d('LayoutDuration')} style_ms=${d('RecalcStyleDuration')} task_ms=${d('TaskDuration')}`,
    );
    const mean = frames.reduce((a, b) => a + b, 0) / Math.max(1, frames.length);
    console.log(
      `${tag} phase=drag frames=${frames.length} mean_ms=${mean.toFixed(1)} p50_ms=${pct(frames, 50).toFixed(1)} p95_ms=${pct(frames, 95).toFixed(1)} max_ms=${Math.max(...frames).toFixed(1)} fps=${(1000 / mean).toFixed(0)}`,
    );
  } finally {
    await browser.close();
    server.close();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
