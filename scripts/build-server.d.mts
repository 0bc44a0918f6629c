// Types of build-server.mjs for its TypeScript users (tests, bench, e2e support).
export interface BuildOptions {
  /** The tree to build (default: this repository). */
  root?: string;
  /** Where netloom.mjs, its chunks and build.json go (default: <root>/dist/server). */
  outDir?: string;
}
export const ROOT: string;
export const ENTRY: string;
export function staleReason(opts?: BuildOptions): string | null;
export function buildServer(
  opts?: BuildOptions,
): Promise<{ ms: number; inputs: number; bytes: number; chunks: number; entry: string }>;
export function serverEntry(): Promise<string>;
