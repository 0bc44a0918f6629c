/**
 * The live grader with a fake engine (its observation changes on every read, as a host in mid-apply does)
 * and a recording runner: while an operation changes the lab (`busy`), state goals are judged every tick
 * but no probe starts — no round of pings per tick; the poke at the operation's end runs them at once.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { type Exercise, type GradeReport, toView } from '../../shared';
import type { CommandRunner, RunResult } from '../engine/contract';
import type { ObservedState } from '../engine/types';
import { silentLogger } from '../log';
import type { StoredLab } from '../store/labStore';
import { waitUntil } from '../testing/wait';
import { checkExercise } from './files';
import { Grader } from './grader';

const exercise: Exercise = checkExercise({
  version: 1,
  title: 'Address red',
  instructions: 'Give veth-red 10.0.0.1/24.',
  lab: {
    version: 1,
    name: 'ex-busy',
    nodes: [
      { id: 'red', kind: 'namespace', name: 'red' },
      { id: 'blue', kind: 'namespace', name: 'blue' },
    ],
    links: [],
  },
  goals: [
    { id: 'ns', title: 'red exists', check: { kind: 'namespace', netns: 'red' } },
    { id: 'ping', title: 'red reaches blue', check: { kind: 'reach', from: 'red', to: '10.0.0.2' } },
  ],
});

class Pings implements CommandRunner {
  readonly prefix: readonly string[] = [];
  readonly mode = 'sandbox' as const;
  pings = 0;
  async run(argv: readonly string[]): Promise<RunResult> {
    if (argv.includes('ping')) this.pings++;
    return { code: 0, stdout: '2 packets transmitted, 2 received\n', stderr: '' };
  }
}

/** A new observation on every read: red's counter-free state differs each time (a host being built). */
function changingEngine() {
  let n = 0;
  const observe = async (): Promise<ObservedState> => {
    n++;
    return {
      root: { name: null, marker: null, links: [], routes: [] },
      namespaces: {
        red: {
          name: 'red',
          marker: null,
          links: [
            {
              netns: 'red',
              ifindex: n + 1,
              ifname: `veth${n}`,
              kind: 'veth',
              marker: null,
              adminUp: true,
              operstate: 'UP',
              mtu: 1500,
              addresses: [],
            },
          ],
          routes: [],
        },
      },
    } as unknown as ObservedState;
  };
  return { observe, status: async () => ({}) as never, reads: () => n };
}

const doc = {
  lab: exercise.lab,
  revision: 1,
  exercise: { file: 'busy.yaml', exercise: toView(exercise), startedAt: '2026-01-01T00:00:00.000Z' },
} as unknown as StoredLab;

let grader: Grader | null = null;
afterEach(() => grader?.close());

describe('live grading while an operation runs', () => {
  it('judges state goals every tick but starts no probe until the operation ends', async () => {
    const runner = new Pings();
    const engine = changingEngine();
    let busy = true;
    grader = new Grader(
      { engine, runner, store: { getShared: async () => doc }, busy: () => busy, log: silentLogger() },
      { intervalMs: 10, recheckMs: 60_000 },
    );
    let latest: GradeReport | null = null;
    grader.watch('ex-busy', (r) => {
      latest = r;
    });
    await waitUntil(() => engine.reads() >= 10, 5000, 'ten ticks');
    expect((latest as GradeReport | null)?.goals.find((g) => g.id === 'ns')?.met).toBe(true);
    expect(runner.pings).toBe(0);
    // The operation ends: the service pokes the grader, the probe runs on the finished host.
    busy = false;
    grader.poke('ex-busy');
    await waitUntil(
      () => (latest as GradeReport | null)?.goals.find((g) => g.id === 'ping')?.met === true,
      5000,
      'the reach probe',
    );
    expect(runner.pings).toBeGreaterThan(0);
  });
});
