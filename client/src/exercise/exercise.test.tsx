// @vitest-environment jsdom
/** The exercise feature in the page: store gating, badges per object, the lock guard, the checklist. */
import { act, cleanup, fireEvent, render, screen } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { GradeReport, LabExercise } from '../../../shared/exercise';
import { EditorProvider } from '../store/context';
import { createEditorStore, type EditorStore } from '../store/editorStore';
import { makeVethPair } from '../testing/factories';
import type { ExerciseApi } from './api';
import { Checklist } from './Checklist';
import { installLockGuard } from './lockGuard';
import { createExerciseStore, type ExerciseStore, exerciseStore, goalsByObject } from './store';

const lab = makeVethPair();
const current: LabExercise = {
  file: 'veth.yaml',
  exercise: {
    version: 1,
    title: 'Veth',
    instructions: '# Do it',
    lab,
    setup: [],
    locks: [{ object: 'l1', fields: ['endpoints.1.addresses'], reason: 'blue is done' }],
    goals: [
      {
        id: 'addr',
        title: 'red has its address',
        points: 2,
        latch: false,
        hint: 'ip -n red addr add …',
        explain: 'Connected route.',
        check: { kind: 'address', netns: 'red', address: '10.0.0.1/30', present: true },
      },
      {
        id: 'ping',
        title: 'red reaches blue',
        points: 1,
        latch: false,
        check: { kind: 'reach', from: 'red', to: '10.0.0.2', expect: true, count: 2, timeoutS: 1 },
      },
    ],
  },
  report: null,
};
const report = (met: [boolean | null, boolean | null]): GradeReport => ({
  lab: lab.name,
  title: 'Veth',
  at: '2026-01-01T00:00:00Z',
  earned: (met[0] ? 2 : 0) + (met[1] ? 1 : 0),
  total: 3,
  complete: met[0] === true && met[1] === true,
  goals: [
    { id: 'addr', title: 'red has its address', points: 2, met: met[0], reason: 'seen A', objects: ['l1'], at: '' },
    { id: 'ping', title: 'red reaches blue', points: 1, met: met[1], reason: 'seen B', objects: ['red', 'l1'], at: '' },
  ],
});

describe('exercise store', () => {
  let st: ExerciseStore;
  beforeEach(() => {
    st = createExerciseStore();
  });
  it('keeps only what is about the lab on the canvas', () => {
    st.getState().setLab('veth-pair');
    st.getState().receive('other', report([true, true]));
    expect(st.getState().report).toBeNull();
    st.getState().receive('veth-pair', report([true, false]));
    st.getState().setCurrent('veth-pair', current);
    expect(st.getState().report?.earned).toBe(2);
    st.getState().setLab('other');
    expect(st.getState().current).toBeNull();
    expect(st.getState().report).toBeNull();
  });
  it('a null report (the lab left its exercise) clears it', () => {
    st.getState().setLab('veth-pair');
    st.getState().setCurrent('veth-pair', current);
    st.getState().receive('veth-pair', null);
    expect(st.getState().current).toBeNull();
  });
  it('goalsByObject counts met / failing / pending goals per lab object', () => {
    const m = goalsByObject(report([true, null]));
    expect(m.get('l1')).toMatchObject({ met: 1, failing: 0, pending: 1 });
    expect(m.get('red')).toMatchObject({ met: 0, pending: 1 });
  });
});

describe('lock guard', () => {
  let store: EditorStore;
  let st: ExerciseStore;
  let stop: () => void;
  beforeEach(() => {
    store = createEditorStore();
    store.getState().loadDocument(lab, { version: 1, positions: {}, notes: [] }, 1);
    store.temporal.getState().clear();
    st = createExerciseStore();
    st.getState().setLab(lab.name);
    st.getState().setCurrent(lab.name, current);
    stop = installLockGuard(store, st);
  });
  afterEach(() => stop());

  it('takes back an edit of a locked field, says why, and leaves nothing to redo', () => {
    store.getState().updateEndpoint('l1', 1, { addresses: ['10.0.0.9/30'] });
    expect(store.getState().lab.links[0]!.endpoints[1].addresses).toEqual(['10.0.0.2/30']);
    expect(store.getState().toast?.text).toContain('blue is done');
    expect(store.getState().toast?.kind).toBe('error');
    expect(store.temporal.getState().futureStates).toHaveLength(0);
  });

  it('keeps every other edit', () => {
    store.getState().updateEndpoint('l1', 0, { addresses: ['10.0.0.5/30'] });
    expect(store.getState().lab.links[0]!.endpoints[0].addresses).toEqual(['10.0.0.5/30']);
    expect(store.getState().toast).toBeNull();
  });

  it('opening another lab is not an edit', () => {
    const other = { ...lab, name: 'other', links: [] };
    store.getState().loadDocument(other, { version: 1, positions: {}, notes: [] }, 1);
    expect(store.getState().lab.name).toBe('other');
  });
});

describe('checklist', () => {
  let store: EditorStore;
  const api = { check: async () => report([true, true]) } as unknown as ExerciseApi;
  beforeEach(() => {
    store = createEditorStore();
    store.getState().loadDocument(lab, { version: 1, positions: {}, notes: [] }, 1);
    exerciseStore.getState().setLab(lab.name);
    exerciseStore.getState().setCurrent(lab.name, current);
  });
  afterEach(() => {
    cleanup();
    exerciseStore.getState().setLab(null);
  });
  const ui = () =>
    render(
      <EditorProvider store={store}>
        <Checklist api={api} onReset={() => {}} />
      </EditorProvider>,
    );

  it('shows each goal with its live state and reason, the points, the hint on demand', () => {
    ui();
    act(() => exerciseStore.getState().receive(lab.name, report([false, null])));
    expect(screen.getByTestId('goal.addr').dataset.state).toBe('fail');
    expect(screen.getByTestId('goal.ping').dataset.state).toBe('pending');
    expect(screen.getByTestId('goal.addr.reason').textContent).toBe('seen A');
    expect(screen.getByTestId('exercise.progress').textContent).toContain('0/3 points');
    expect(screen.queryByText('ip -n red addr add …')).toBeNull();
    fireEvent.click(screen.getByTestId('goal.addr.hint'));
    expect(screen.getByText('ip -n red addr add …')).toBeTruthy();
    act(() => exerciseStore.getState().receive(lab.name, report([true, true])));
    expect(screen.getByTestId('goal.addr').dataset.state).toBe('met');
    expect(screen.getByText('Connected route.')).toBeTruthy();
    expect(screen.getByTestId('exercise.progress').textContent).toContain('3/3 points · 2/2 goals');
    expect(screen.getByTestId('exercise.done')).toBeTruthy();
  });

  it('a goal click selects the object it is about', () => {
    ui();
    act(() => exerciseStore.getState().receive(lab.name, report([false, false])));
    fireEvent.click(screen.getByText('red reaches blue'));
    expect(store.getState().selection.nodes).toEqual(['red']);
  });
});
