// `npm run dev`: the API server (no static files) and Vite's dev server with hot reload, side by side.
// Stops both when either exits or on Ctrl+C. Only the PIDs started here are signalled.
import { spawn } from 'node:child_process';

const children = [
  spawn('node', ['bin/netloom.js', 'serve', '--dev', ...process.argv.slice(2)], { stdio: 'inherit' }),
  spawn('npx', ['--no-install', 'vite'], { stdio: 'inherit' }),
];
const stop = () => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGTERM');
};
for (const c of children) c.on('exit', stop);
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
