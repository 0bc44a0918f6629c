/**
 * The state-dir lock under contention (issue #13 item 9): many processes racing for a dead holder's lock,
 * many times; in every trial exactly one holds it at any moment and exactly one took the dead lock over.
 */
import { type ChildProcessWithoutNullStreams, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acquireLock, processStartTime } from './lock';

const CONTENDERS = 6;
const TRIALS = 12;
const SCRIPT = join(import.meta.dirname, 'testing', 'lockContender.ts');

interface Contender {
  p: ChildProcessWithoutNullStreams;
  next(): Promise<string>;
}

function start(): Contender {
  const p = spawn(process.execPath, ['--import', 'tsx', SCRIPT], { stdio: ['pipe', 'pipe', 'pipe'] });
  const lines: string[] = [];
  const waiting: ((l: string) => void)[] = [];
  createInterface({ input: p.stdout }).on('line', (l) => {
    const w = waiting.shift();
    if (w) w(l);
    else lines.push(l);
  });
  let stderr = '';
  p.stderr.on('data', (b: Buffer) => {
    stderr += b.toString('utf8');
  });
  // A contender that dies answers its exit (and why), so the test fails instead of hanging.
  p.once('exit', (code) => {
    for (const w of waiting.splice(0)) w(`exited ${code}: ${stderr.slice(-300)}`);
    lines.push(`exited ${code}`);
  });
  return {
    p,
    next: () => {
      const l = lines.shift();
      return l !== undefined ? Promise.resolve(l) : new Promise((r) => waiting.push(r));
    },
  };
}

let contenders: Contender[] = [];
beforeAll(async () => {
  contenders = Array.from({ length: CONTENDERS }, start);
  for (const c of contenders) expect(await c.next()).toBe('ready');
}, 120_000);
afterAll(() => {
  for (const c of contenders) c.p.kill();
});

/** A pid that existed and is gone now. */
const deadPid = (): number => spawnSync('true').pid ?? 999_999;

describe('lock takeover', () => {
  it(`${CONTENDERS} processes racing for a dead holder's lock, ${TRIALS} times: one holder at a time, one takeover`, {
    timeout: 300_000,
  }, async () => {
    for (let trial = 0; trial < TRIALS; trial++) {
      const dir = mkdtempSync(join(tmpdir(), 'netloom-lock-'));
      try {
        writeFileSync(join(dir, 'lock'), JSON.stringify({ pid: deadPid(), start: '1' }));
        for (const c of contenders) c.p.stdin.write(`go ${dir}\n`);
        for (const c of contenders) expect(await c.next()).toBe('done');
        const events = readFileSync(join(dir, 'events'), 'utf8').trim().split('\n');
        expect(events).toHaveLength(2 * CONTENDERS);
        // +a -a +b -b …: every acquisition is released before the next one.
        for (let i = 0; i < events.length; i += 2) {
          const pid = events[i]?.replace(/^\+|\*$/g, '');
          expect(events[i]?.startsWith('+'), `trial ${trial}: ${events.join(' ')}`).toBe(true);
          expect(events[i + 1], `trial ${trial}: ${events.join(' ')}`).toBe(`-${pid}`);
        }
        expect(
          events.filter((e) => e.endsWith('*')),
          `trial ${trial}: ${events.join(' ')}`,
        ).toHaveLength(1);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }
  });

  it('a live holder is never robbed; a torn lock is taken over once it is 2 s old', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'netloom-lock-'));
    try {
      writeFileSync(join(dir, 'lock'), JSON.stringify({ pid: process.pid, start: processStartTime(process.pid) }));
      await expect(acquireLock(dir, 100)).rejects.toThrow(/another Netloom process/);
      writeFileSync(join(dir, 'lock'), '{"pid": 1');
      const old = new Date(Date.now() - 5000);
      const { utimesSync } = await import('node:fs');
      utimesSync(join(dir, 'lock'), old, old);
      const l = await acquireLock(dir, 1000);
      expect(l.tookOver).toBe(true);
      await l.release();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
