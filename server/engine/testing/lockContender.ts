/**
 * A lock contender process for lock.test.ts: for each line `go DIR` on stdin it takes DIR's lock, appends
 * `+PID` (`+PID*` when it took a dead holder's lock over) to DIR/events, holds it 20 ms, appends `-PID`,
 * releases it and answers `done`.
 */
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { acquireLock } from '../lock';

process.stdout.write('ready\n');
for await (const line of createInterface({ input: process.stdin })) {
  const dir = line.slice(3);
  const lock = await acquireLock(dir, 60_000);
  appendFileSync(join(dir, 'events'), `+${process.pid}${lock.tookOver ? '*' : ''}\n`);
  await new Promise((r) => setTimeout(r, 20));
  appendFileSync(join(dir, 'events'), `-${process.pid}\n`);
  await lock.release();
  process.stdout.write('done\n');
}
