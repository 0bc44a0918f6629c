// @vitest-environment jsdom
import { act, cleanup, fireEvent, render, screen } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EditorProvider } from '../store/context';
import { createEditorStore, type EditorStore } from '../store/editorStore';
import { makeLab, makeNamespace, makeVethPair } from '../testing/factories';
import { Inspector } from './Inspector';

let store: EditorStore;
const s = () => store.getState();
beforeEach(() => {
  store = createEditorStore();
  s().loadDocument(makeVethPair(), { version: 1, positions: {}, notes: [] }, 1);
  store.temporal.getState().clear();
});
afterEach(cleanup);

const ui = () =>
  render(
    <EditorProvider store={store}>
      <Inspector />
    </EditorProvider>,
  );
const input = (id: string) => screen.getByTestId(id) as HTMLInputElement;
const commit = (id: string, value: string) => {
  fireEvent.change(input(id), { target: { value } });
  fireEvent.keyDown(input(id), { key: 'Enter' });
};

describe('network inspector sections', () => {
  it('rate in Mbit/s is stored in kbit/s (one undo entry); validate() errors show inline', () => {
    ui();
    act(() => s().select({ endpoint: 'l1#0' }));
    fireEvent.change(screen.getByTestId('inspector.end0.rate-unit'), { target: { value: 'Mbit' } });
    commit('inspector.end0.rate', '1.5');
    expect(s().lab.links[0]!.endpoints[0].impairment).toEqual({ rateKbit: 1500 });
    expect(store.temporal.getState().pastStates).toHaveLength(1);
    // burst below one packet: a lab-wide validate() issue, shown under the field.
    commit('inspector.end0.burst', '1');
    expect(screen.getByTestId('inspector.end0.burst.error').textContent).toMatch(/at least 2 KB/);
    commit('inspector.end0.burst', '');
    commit('inspector.end0.latency', '20');
    expect(s().lab.links[0]!.endpoints[0].impairment).toEqual({ rateKbit: 1500, latencyMs: 20 });
    fireEvent.click(screen.getByTestId('inspector.end0.impairment-clear'));
    expect(s().lab.links[0]!.endpoints[0].impairment).toBeUndefined();
  });

  it('a rate keeps its number when the unit changes (Mbit/s first: 1 means 1 Mbit/s)', () => {
    ui();
    act(() => s().select({ endpoint: 'l1#0' }));
    expect(input('inspector.end0.rate-unit').value).toBe('Mbit');
    commit('inspector.end0.rate', '1');
    expect(s().lab.links[0]!.endpoints[0].impairment).toEqual({ rateKbit: 1000 });
    fireEvent.change(screen.getByTestId('inspector.end0.rate-unit'), { target: { value: 'kbit' } });
    expect(input('inspector.end0.rate').value).toBe('1');
    expect(s().lab.links[0]!.endpoints[0].impairment).toEqual({ rateKbit: 1 });
    fireEvent.change(screen.getByTestId('inspector.end0.rate-unit'), { target: { value: 'Mbit' } });
    expect(input('inspector.end0.rate').value).toBe('1');
    expect(s().lab.links[0]!.endpoints[0].impairment).toEqual({ rateKbit: 1000 });
  });

  it('netem fields are disabled with a note when the kernel has no netem', () => {
    act(() => s().setCapabilities({ netem: false, tbf: true }));
    ui();
    act(() => s().select({ endpoint: 'l1#1' }));
    expect(input('inspector.end1.delay').disabled).toBe(true);
    expect(input('inspector.end1.loss').disabled).toBe(true);
    expect(input('inspector.end1.rate').disabled).toBe(false);
    expect(screen.getByTestId('inspector.end1.netem-note').textContent).toMatch(/needs netem: not available/);
    // A lab that already has a delay (imported): the field says why, and one click removes it.
    act(() => s().setImpairment('l1', 1, { delayMs: 50, rateKbit: 100 }));
    expect(screen.getByTestId('inspector.end1.delay.error').textContent).toMatch(/needs netem/);
    fireEvent.click(screen.getByTestId('inspector.end1.netem-clear'));
    expect(s().lab.links[0]!.endpoints[1].impairment).toEqual({ rateKbit: 100 });
  });

  it('routes table: add a row, edit a cell, remove it — one undo entry each; errors inline', () => {
    s().loadDocument(makeLab({ nodes: [makeNamespace('red')] }), { version: 1, positions: {}, notes: [] }, 1);
    store.temporal.getState().clear();
    ui();
    act(() => s().select({ nodes: ['red'] }));
    fireEvent.change(input('inspector.route-new.to'), { target: { value: 'bogus' } });
    expect((screen.getByTestId('inspector.route-add') as HTMLButtonElement).disabled).toBe(true);
    fireEvent.change(input('inspector.route-new.to'), { target: { value: '10.0.2.0/24' } });
    fireEvent.change(input('inspector.route-new.dev'), { target: { value: 'red-eth0' } });
    fireEvent.click(screen.getByTestId('inspector.route-add'));
    expect(s().lab.nodes[0]).toMatchObject({ routes: [{ to: '10.0.2.0/24', dev: 'red-eth0' }] });
    expect(input('inspector.route-new.to').value).toBe('');
    // red has no interface called red-eth0: validate() reports it on the row.
    expect(screen.getByTestId('inspector.route.0.error').textContent).toMatch(/red-eth0/);
    commit('inspector.route.0.metric', '10');
    expect(s().lab.nodes[0]).toMatchObject({ routes: [{ to: '10.0.2.0/24', dev: 'red-eth0', metric: 10 }] });
    fireEvent.click(screen.getByTestId('inspector.route.0.remove'));
    expect(s().lab.nodes[0]).toMatchObject({ routes: [] });
    expect(store.temporal.getState().pastStates).toHaveLength(3);
  });

  it('namespace rp_filter and proxy ARP; host NAT with sources and the advanced switch', () => {
    s().loadDocument(
      makeLab({ nodes: [makeNamespace('red'), { id: 'host', kind: 'host' }] }),
      { version: 1, positions: {}, notes: [] },
      1,
    );
    ui();
    act(() => s().select({ nodes: ['red'] }));
    fireEvent.change(screen.getByTestId('inspector.rp-filter'), { target: { value: '2' } });
    fireEvent.click(screen.getByTestId('inspector.proxy-arp'));
    expect(s().lab.nodes[0]).toMatchObject({ rpFilter: 2, proxyArp: true });
    act(() => s().select({ nodes: ['host'] }));
    fireEvent.click(screen.getByTestId('inspector.nat'));
    expect(s().lab.nodes[1]).toMatchObject({ nat: { masquerade: true } });
    expect(screen.getByTestId('inspector.nat-note').textContent).toMatch(/own nftables table.*restores it/s);
    expect(screen.getByTestId('inspector.nat.issue').textContent).toMatch(/no link reaches it/);
    commit('inspector.nat-sources', '10.0.0.0/24, 10.0.1.0/24');
    expect(s().lab.nodes[1]).toMatchObject({ nat: { masquerade: true, sources: ['10.0.0.0/24', '10.0.1.0/24'] } });
    fireEvent.click(screen.getByTestId('inspector.allow-default-route'));
    expect(s().lab.nodes[1]).toMatchObject({ allowDefaultRouteInterface: true });
    fireEvent.click(screen.getByTestId('inspector.nat'));
    expect(s().lab.nodes[1]).not.toHaveProperty('nat.masquerade');
  });

  it('link inspector toggles the link down/up (without actions: store only)', () => {
    ui();
    act(() => s().select({ links: ['l1'] }));
    fireEvent.click(screen.getByTestId('inspector.link-toggle'));
    expect(s().lab.links[0]!.endpoints.map((e) => e.up)).toEqual([false, false]);
    expect(screen.getByTestId('inspector.link-toggle').getAttribute('data-down')).toBe('true');
  });
});
