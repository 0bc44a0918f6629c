// @vitest-environment jsdom
import { describe, expect, it } from 'vitest';
import { makeBridge, makeVethPair } from '../testing/factories';
import { diagramSvg, LIGHT } from './exportSvg';
import { toFlow } from './toFlow';

function svgOf(lab = makeVethPair()) {
  const layout = { version: 1 as const, positions: { red: { x: 0, y: 0 }, blue: { x: 500, y: 40 } }, notes: [] };
  const view = toFlow(lab, layout, { red: { id: 'red', state: 'ready', conditions: [] } }, new Map());
  return diagramSvg({
    nodes: view.nodes.map((n) => ({
      id: n.id,
      box: { ...n.position, width: 220, height: 90 },
      view: n.data,
      ...(n.parentId ? { parentId: n.parentId } : {}),
    })),
    edges: view.edges.map((e) => ({ id: e.id, source: e.source, target: e.target, view: e.data! })),
    palette: LIGHT,
    title: 'Two <namespaces> & one cable',
  });
}

describe('diagramSvg', () => {
  it('is a standalone SVG document: XML declaration, SVG namespace, a viewBox; no HTML', () => {
    const svg = svgOf();
    expect(svg.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n<svg xmlns="http://www.w3.org/2000/svg"')).toBe(
      true,
    );
    const doc = new DOMParser().parseFromString(svg, 'application/xml');
    expect(doc.getElementsByTagName('parsererror')).toHaveLength(0);
    expect(doc.documentElement.getAttribute('viewBox')).toBe('-40 -40 800 210');
    expect(svg).not.toMatch(/foreignObject|<div|xhtml/);
    expect(doc.getElementsByTagName('title')[0]!.textContent).toBe('Two <namespaces> & one cable');
  });

  it('draws every node, its interfaces and addresses, and each link with both end labels', () => {
    const doc = new DOMParser().parseFromString(svgOf(), 'application/xml');
    const texts = [...doc.getElementsByTagName('text')].map((t) => t.textContent);
    for (const t of ['red', 'blue', 'red-eth0', 'blue-eth0', '10.0.0.1/30', 'ready', 'not applied'])
      expect(texts.join('|')).toContain(t);
    expect(doc.getElementById('link-l1')!.getElementsByTagName('line')).toHaveLength(1);
    expect(doc.getElementById('node-red')!.getElementsByTagName('rect')[0]!.getAttribute('stroke')).toBe(
      LIGHT.states.ready,
    );
  });

  it('draws a bridge inside its namespace after (over) it', () => {
    const lab = makeVethPair();
    lab.nodes.push(makeBridge('br', 'br0', { namespace: 'red' } as never));
    const svg = svgOf(lab);
    expect(svg.indexOf('id="node-br"')).toBeGreaterThan(svg.indexOf('id="node-red"'));
  });
});
