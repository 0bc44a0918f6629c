// The compiled server and CLI: esbuild bundles server/cli.ts (and everything it imports, followed from the
// imports, so new server files need no registration) into an ES module, dist/server/netloom.mjs, and the
// chunks its import()s load (dist/server/chunk-<hash>.mjs: `plan` never reads the HTTP server's code), plus
// the document parser's worker thread (dist/server/documentWorker.mjs), beside a manifest of what it was
// built from. bin/netloom.js runs it through serverEntry(), which rebuilds first
// when any source changed (a stale build never runs silently). Must stay light to import: esbuild loads
// only when a build is needed. Usage: node scripts/build-server.mjs [--if-stale] [--check]
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';

export const ROOT = resolve(import.meta.dirname, '..');
/** Where a build of `root` goes (tests build a scratch tree elsewhere). */
const layout = (root = ROOT, outDir = join(root, 'dist', 'server')) => ({
  root,
  outDir,
  entry: join(outDir, 'netloom.mjs'),
  manifest: join(outDir, 'build.json'),
});
export const ENTRY = layout().entry;
/** Bumped when the manifest's meaning or the build options change: an older manifest is then stale. */
const FORMAT = 2;
/**
 * Chunks are named by their content and never replaced, so a running server still finds the ones its own build
 * imports later; those no build refers to any more are removed once older than this.
 */
const CHUNK_KEEP_MS = 7 * 24 * 3600 * 1000;
const CHUNK = /^chunk-[A-Z0-9]+\.mjs$/;
/** What a change in the installed packages shows in (npm rewrites it on every install). */
const DEPENDENCY_STAMPS = ['package.json', 'package-lock.json', 'node_modules/.package-lock.json'];
/**
 * Everything the server imports, npm packages included, is in the bundle: a few files to read and compile
 * instead of hundreds to resolve, and modules imported with import() stay lazy in chunks of their own (`plan`
 * never compiles, let alone initializes, express).
 * Not bundled: node-pty (a native addon, found relative to its own package); two large data packages only
 * the HTTP server reaches, through require() (iconv-lite, mime-db: a third of the bundle, compiled by every
 * CLI run for nothing); mvdan-sh (1.5 MB of GopherJS: 50 ms of compiling at every start; the
 * exec-line reader, server/interop/shell.ts, requires it on first use). An external imported with a static
 * `import` would load at every start: keep such imports dynamic, as terminal.ts does for node-pty.
 */
const EXTERNAL = ['node-pty', 'iconv-lite', 'mime-db', 'mvdan-sh'];
/** In the bundle import.meta is dist/server/netloom.mjs's, so only server/paths.ts may ask where it is. */
const WHERE_AM_I = /\bimport\.meta\.(?:dirname|filename|url)\b|\b__dirname\b|\b__filename\b/;
const MAY_ASK_WHERE = new Set(['server/paths.ts']);
/** A second, small bundle beside the first: the worker thread of the document parser. */
const WORKER_SOURCE = 'server/util/documentWorker.ts';
const WORKER_OUT = 'documentWorker.mjs';

const stamp = (abs) => {
  const s = statSync(abs);
  return [s.mtimeMs, s.size];
};

/** Why the build is not current (missing, or a source, folder or dependency changed), or null when it is. */
export function staleReason(opts = {}) {
  const { root, entry, manifest } = layout(opts.root, opts.outDir);
  let m;
  try {
    m = JSON.parse(readFileSync(manifest, 'utf8'));
  } catch {
    return 'not built yet';
  }
  const workerMissing = existsSync(join(root, WORKER_SOURCE)) && !existsSync(join(dirname(entry), WORKER_OUT));
  if (m.format !== FORMAT || !existsSync(entry) || workerMissing) return 'built by another version of this script';
  const chunkGone = (m.chunks ?? []).find((c) => !existsSync(join(dirname(entry), c)));
  if (chunkGone) return `${chunkGone} is gone`;
  if (m.node !== process.versions.node.split('.')[0]) return `built for Node ${m.node}`;
  // Folders too: a file added next to an imported one can change what an import resolves to.
  for (const [rel, mtime, size] of [...m.inputs, ...m.dirs, ...m.deps]) {
    let now;
    try {
      now = stamp(join(root, rel));
    } catch {
      return `${rel} is gone`;
    }
    if (now[0] !== mtime || (size !== null && now[1] !== size)) return `${rel} changed`;
  }
  return null;
}

function walk(root, dir, out) {
  if (!existsSync(dir)) return out;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.name === 'node_modules' || e.name.startsWith('.')) continue;
    const p = join(dir, e.name);
    if (e.isDirectory()) walk(root, p, out);
    else out.set(relative(root, p), stamp(p));
  }
  return out;
}

/** Builds dist/server/netloom.mjs and its manifest; throws (with esbuild's messages) when the build fails. */
export async function buildServer(opts = {}) {
  const { root, outDir, entry, manifest } = layout(opts.root, opts.outDir);
  const t0 = performance.now();
  // Stamps taken before building: a source saved during the build makes the next run rebuild.
  const before = walk(root, join(root, 'server'), walk(root, join(root, 'shared'), new Map()));
  const deps = DEPENDENCY_STAMPS.filter((f) => existsSync(join(root, f))).map((f) => [f, ...stamp(join(root, f))]);
  const esbuild = await import('esbuild');
  const guard = {
    name: 'netloom-paths',
    setup(b) {
      b.onLoad({ filter: /\.[cm]?[jt]sx?$/ }, (args) => {
        const rel = relative(root, args.path).split(sep).join('/');
        if (rel.startsWith('node_modules/')) return undefined;
        const contents = readFileSync(args.path, 'utf8');
        const hit = WHERE_AM_I.exec(contents);
        if (hit && !MAY_ASK_WHERE.has(rel))
          return {
            errors: [
              {
                text: `${rel} uses ${hit[0]}: in the compiled server that is dist/server/, not this file's folder. Take paths from server/paths.ts (REPO_ROOT).`,
              },
            ],
          };
        return { contents, loader: args.path.endsWith('x') ? 'tsx' : args.path.endsWith('.ts') ? 'ts' : 'js' };
      });
    },
  };
  mkdirSync(outDir, { recursive: true });
  const tmpDir = join(outDir, `.build.${process.pid}.tmp`);
  rmSync(tmpDir, { recursive: true, force: true });
  const result = await esbuild.build({
    absWorkingDir: root,
    entryPoints: { netloom: 'server/cli.ts' },
    outdir: tmpDir,
    splitting: true,
    chunkNames: 'chunk-[hash]',
    outExtension: { '.js': '.mjs' },
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    external: EXTERNAL,
    // Whitespace and syntax only: names stay readable in stack traces (no source maps: they cost start-up).
    minifyWhitespace: true,
    minifySyntax: true,
    legalComments: 'none',
    metafile: true,
    logLevel: 'silent',
    plugins: [guard],
    // CommonJS packages inside an ES module bundle still call require() for Node's built-ins.
    banner: {
      js: "import { createRequire as __netloomRequire } from 'node:module';const require = __netloomRequire(import.meta.url);",
    },
  });
  const eager = Object.values(result.metafile.outputs)
    .flatMap((o) => o.imports)
    .filter(
      (i) =>
        i.external && i.kind === 'import-statement' && EXTERNAL.some((e) => i.path === e || i.path.startsWith(`${e}/`)),
    );
  if (eager.length) {
    rmSync(tmpDir, { recursive: true, force: true });
    throw new Error(
      `${eager.map((i) => i.path).join(', ')} imported statically: it would load at every start; use import() where it is needed`,
    );
  }
  // The document parser's worker thread (server/util/documentsAsync.ts) loads its own small bundle.
  const workerTmp = join(outDir, `documentWorker.mjs.${process.pid}.tmp`);
  const hasWorker = existsSync(join(root, WORKER_SOURCE));
  const worker = !hasWorker
    ? { metafile: { inputs: {} } }
    : await esbuild.build({
        absWorkingDir: root,
        entryPoints: [WORKER_SOURCE],
        outfile: workerTmp,
        bundle: true,
        platform: 'node',
        format: 'esm',
        target: 'node20',
        minifyWhitespace: true,
        minifySyntax: true,
        legalComments: 'none',
        metafile: true,
        logLevel: 'silent',
        plugins: [guard],
        banner: {
          js: "import { createRequire as __netloomRequire } from 'node:module';const require = __netloomRequire(import.meta.url);",
        },
      });
  if (hasWorker) renameSync(workerTmp, join(outDir, WORKER_OUT));
  const inputs = [...new Set([...Object.keys(result.metafile.inputs), ...Object.keys(worker.metafile.inputs)])]
    .filter((p) => !p.startsWith('node_modules/'))
    .sort()
    .map((rel) => [rel, ...(before.get(rel) ?? stamp(join(root, rel)))]);
  const dirs = [...new Set(inputs.map(([rel]) => dirname(rel)))]
    .sort()
    .map((rel) => [rel, stamp(join(root, rel))[0], null]);
  // The chunks first (a chunk already there has the same content), the entry that imports them last.
  const chunks = readdirSync(tmpDir).filter((f) => f !== 'netloom.mjs');
  const odd = chunks.find((f) => !CHUNK.test(f));
  if (odd) {
    rmSync(tmpDir, { recursive: true, force: true });
    throw new Error(`unexpected build output ${odd} (chunks are chunk-<hash>.mjs)`);
  }
  for (const c of chunks) renameSync(join(tmpDir, c), join(outDir, c));
  renameSync(join(tmpDir, 'netloom.mjs'), entry);
  rmSync(tmpDir, { recursive: true, force: true });
  const node = process.versions.node.split('.')[0];
  const text = JSON.stringify({ format: FORMAT, node, builtAt: new Date().toISOString(), inputs, dirs, deps, chunks });
  writeFileSync(`${manifest}.${process.pid}.tmp`, `${text}\n`);
  renameSync(`${manifest}.${process.pid}.tmp`, manifest);
  pruneChunks(outDir, new Set(chunks));
  const bytes = [entry, ...chunks.map((c) => join(outDir, c))].reduce((n, f) => n + statSync(f).size, 0);
  return { ms: performance.now() - t0, inputs: inputs.length, bytes, chunks: chunks.length, entry };
}

/** Removes the chunks of earlier builds that this one does not use, once they are CHUNK_KEEP_MS old. */
function pruneChunks(outDir, keep) {
  const now = Date.now();
  for (const f of readdirSync(outDir)) {
    if (!CHUNK.test(f) || keep.has(f)) continue;
    try {
      if (now - statSync(join(outDir, f)).mtimeMs > CHUNK_KEEP_MS) rmSync(join(outDir, f), { force: true });
    } catch {
      /* removed meanwhile by another build */
    }
  }
}

/** The compiled entry, rebuilt first (saying so on stderr) when it is missing or older than its sources. */
export async function serverEntry() {
  const why = staleReason();
  if (why !== null) {
    process.stderr.write(`netloom: building the server (${why})…\n`);
    await buildServer();
  }
  return ENTRY;
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  const why = staleReason();
  if (process.argv.includes('--check')) {
    console.log(why === null ? 'build-server: current' : `build-server: stale (${why})`);
    process.exit(why === null ? 0 : 1);
  }
  if (process.argv.includes('--if-stale') && why === null) process.exit(0);
  try {
    const r = await buildServer();
    console.log(
      `build-server: dist/server/netloom.mjs and ${r.chunks} chunks (${(r.bytes / 1e6).toFixed(1)} MB from ${r.inputs} sources) in ${r.ms.toFixed(0)} ms`,
    );
  } catch (e) {
    console.error(`build-server: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(1);
  }
}
