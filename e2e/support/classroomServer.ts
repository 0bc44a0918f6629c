/**
 * A classroom server for a spec (`netloom serve --classroom`, the compiled command), started by the spec on
 * E2E_PORT + 100 and stopped by the PID it started. Its banner gives the teacher's and the students' links.
 * Every student world is a sandbox of its own (the server makes them); nothing touches the host.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface ClassroomServer {
  base: string;
  teacherToken: string;
  /** Student label → personal link. */
  links: Map<string, string>;
  stop(): Promise<void>;
}

const bin = join(import.meta.dirname, '..', '..', 'bin', 'netloom.js');

export async function startClassroomServer(names: string[]): Promise<ClassroomServer> {
  const port = Number(process.env.E2E_PORT ?? 7420) + 100;
  const teacherToken = `e2e-teacher-${port}-0123456789abcdef`;
  await mkdir('reports', { recursive: true });
  const roster = `reports/e2e-classroom-${port}.roster`;
  await writeFile(roster, `# e2e class\n${names.join('\n')}\n`);
  const child: ChildProcess = spawn(
    process.execPath,
    [
      bin,
      'serve',
      '--classroom',
      '--roster',
      roster,
      '--port',
      String(port),
      '--token',
      teacherToken,
      '--state-dir',
      `reports/e2e-classroom-state-${port}`,
      '--fresh',
      '--log-level',
      'warn',
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const links = new Map<string, string>();
  await new Promise<void>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`classroom server did not start: ${out}`)), 60_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`classroom server exited (${code}): ${out}`));
    });
    child.stdout!.on('data', (b: Buffer) => {
      out += b.toString('utf8');
      for (const name of names) {
        const m = new RegExp(`^\\s+${name}\\s+(http://\\S+)$`, 'm').exec(out);
        if (m) links.set(name, m[1]!);
      }
      if (links.size === names.length) {
        clearTimeout(timer);
        child.removeAllListeners('exit');
        resolve();
      }
    });
  });
  return {
    base: `http://127.0.0.1:${port}`,
    teacherToken,
    links,
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM'); // only the process this helper started
      await exited;
    },
  };
}
