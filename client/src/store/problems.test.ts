import { beforeEach, describe, expect, it } from 'vitest';
import type { ObjectStatus } from '../../../shared/status';
import { makeVethPair } from '../testing/factories';
import { createEditorStore, type EditorStore } from './editorStore';
import { allProblems, objectLabel, planIssuesOf, selectDesignErrorCount } from './selectors';

let store: EditorStore;
const s = () => store.getState();
const conflict = (id: string, message = `name of ${id} taken`): ObjectStatus => ({
  id,
  state: 'conflict',
  conditions: [{ type: 'Conflict', status: true, reason: 'NameTaken', message }],
});

beforeEach(() => {
  store = createEditorStore();
  s().loadDocument(makeVethPair(), { version: 1, positions: {}, notes: [] }, 1);
});

describe('allProblems: design, plan and host', () => {
  it('plan-time errors count, sit on their object (from the path when the server names none)', () => {
    const lab = s().lab;
    const issues = planIssuesOf(lab, [
      { code: 'Conflict', message: 'red is taken', path: 'nodes.0.name' },
      { code: 'Unsupported', message: 'no vlan', object: 'l1#1' },
    ]);
    expect(issues.map((i) => i.object)).toEqual(['red', 'l1#1']);
    s().setPlanIssues({ lab, issues });
    const p = allProblems(s());
    expect(p.errors).toBe(2);
    expect(p.byObject.get('red')?.[0]?.message).toBe('red is taken');
    expect(p.byObject.get('l1')?.[0]?.message).toBe('no vlan'); // an end's problem is its link's too
    expect(selectDesignErrorCount(s())).toBe(0); // Apply's own gate stays the design's
  });

  it('plan warnings (host-side short prefix, pre-flight) reach Problems as warnings on their object, never as errors', () => {
    const lab = s().lab;
    const warnings = [
      { code: 'ShortPrefix', message: 'very short prefix', severity: 'warning' as const, object: 'l1#0' },
      { code: 'ManyNamespaces', message: 'many namespaces', severity: 'warning' as const },
    ];
    s().setPlanIssues({ lab, issues: [...planIssuesOf(lab, []), ...planIssuesOf(lab, warnings, 'warning')] });
    const p = allProblems(s());
    expect(p.errors).toBe(0);
    expect(p.warnings).toBe(2);
    expect(p.byObject.get('l1')?.[0]).toMatchObject({ message: 'very short prefix', severity: 'warning' });
  });

  it('plan problems describe the lab they were made for: an edit hides them until the next check', () => {
    const lab = s().lab;
    s().setPlanIssues({ lab, issues: planIssuesOf(lab, [{ code: 'Conflict', message: 'x', path: 'nodes.0' }]) });
    expect(allProblems(s()).errors).toBe(1);
    s().updateNode('red', { name: 'rose' } as never);
    expect(allProblems(s()).errors).toBe(0);
  });

  it('live conflicts count once per cause, and only while the design is the stored one', () => {
    s().applySnapshot({
      lab: 'veth-pair',
      observedRevision: 1,
      appliedRevision: null,
      at: '',
      objects: {
        red: conflict('red'),
        'l1#0': conflict('l1#0'),
        l1: conflict('l1'),
        blue: { id: 'blue', state: 'absent', conditions: [] },
      },
    });
    // red's interface is red's problem; the link is the sum of its ends.
    expect(allProblems(s()).issues.map((i) => i.object)).toEqual(['red']);
    s().addNode('namespace', { x: 0, y: 0 });
    expect(allProblems(s()).errors).toBe(0);
  });

  it('warnings are counted apart from errors', () => {
    s().loadDocument(
      {
        ...makeVethPair(),
        nodes: makeVethPair().nodes.map((n) =>
          n.id === 'red' && n.kind === 'namespace' ? { ...n, routes: [{ to: '10.9.0.0/24', via: '10.0.0.2' }] } : n,
        ),
      },
      { version: 1, positions: {}, notes: [] },
      1,
    );
    const p = allProblems(s());
    expect(p.errors).toBe(0);
    expect(p.warnings).toBe(1);
  });

  it('a duplicate address lands on the end just edited, whichever end that is', () => {
    s().updateEndpoint('l1', 0, { addresses: ['10.0.0.2/30'] });
    expect(
      allProblems(s())
        .byObject.get('l1#0')
        ?.map((i) => i.code),
    ).toEqual(['DuplicateAddress']);
    expect(allProblems(s()).byObject.get('l1#1')).toBeUndefined();
    store.temporal.getState().undo();
    s().updateEndpoint('l1', 1, { addresses: ['10.0.0.1/30'] });
    expect(
      allProblems(s())
        .byObject.get('l1#1')
        ?.map((i) => i.code),
    ).toEqual(['DuplicateAddress']);
  });

  it('objectLabel names objects as people do', () => {
    const lab = s().lab;
    expect(objectLabel(lab, 'red')).toBe('red');
    expect(objectLabel(lab, 'l1#1')).toBe('blue-eth0 in blue');
    expect(objectLabel(lab, 'l1')).toBe('red-eth0 ⇄ blue-eth0');
    expect(objectLabel(lab, 'red/vxlan0')).toBe('vxlan0 in red');
    expect(objectLabel(lab, 'gone')).toBe('gone');
  });
});
