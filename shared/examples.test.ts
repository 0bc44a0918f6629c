/** Every example lab in examples/ parses as YAML and validates with zero errors (warnings would be shown too). */
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { validate } from './validate';

const dir = fileURLToPath(new URL('../examples/', import.meta.url));
const files = readdirSync(dir).filter((f) => f.endsWith('.yaml'));
const load = (file: string): unknown => parse(readFileSync(dir + file, 'utf8'));

/**
 * Warnings an example shows on purpose, as part of its lesson: in wireguard-vpn the "internet" has no route
 * to the private site LANs (a real internet drops them), so it and the hosts cannot reach each other
 * directly — only through the tunnel, site to site.
 */
const TAUGHT_WARNINGS: Record<string, { code: string; object: string }[]> = {
  'wireguard-vpn.yaml': [
    { code: 'Unreachable', object: 'host-a' },
    { code: 'Unreachable', object: 'internet' },
    { code: 'Unreachable', object: 'host-b' },
  ],
};

describe('examples', () => {
  it('include the four teaching labs, veth-pair being the default', () => {
    expect(files).toEqual(
      expect.arrayContaining(['veth-pair.yaml', 'bridge-lan.yaml', 'router.yaml', 'bridge-in-namespace.yaml']),
    );
  });

  it.each(files)(
    '%s is a valid lab with no issues at all, named after its file, with a title and description',
    (file) => {
      const result = validate(load(file));
      expect(result.issues.map((i) => ({ code: i.code, object: i.object, severity: i.severity }))).toEqual(
        (TAUGHT_WARNINGS[file] ?? []).map((w) => ({ ...w, severity: 'warning' })),
      );
      expect(result.ok).toBe(true);
      if (!result.ok) return;
      expect(result.lab.name).toBe(file.replace(/\.yaml$/, ''));
      expect(result.lab.title?.length).toBeGreaterThan(0);
      expect(result.lab.description?.length).toBeGreaterThan(40);
    },
  );

  it('use distinct namespace names and root-namespace interface names, so any two can be applied side by side', () => {
    const owner = new Map<string, string>();
    for (const file of files) {
      const result = validate(load(file));
      if (!result.ok) throw new Error(`${file} is invalid`);
      const lab = result.lab;
      const rootNames: string[] = [];
      for (const n of lab.nodes) {
        if (n.kind === 'namespace') rootNames.push(`netns ${n.name}`);
        if (n.kind === 'bridge' && n.namespace === undefined) rootNames.push(`link ${n.name}`);
      }
      const inRoot = new Set(
        lab.nodes.filter((n) => n.kind === 'host' || (n.kind === 'bridge' && !n.namespace)).map((n) => n.id),
      );
      for (const l of lab.links)
        for (const e of l.endpoints) if (inRoot.has(e.node)) rootNames.push(`link ${e.ifname}`);
      for (const name of rootNames) {
        expect(owner.get(name), `${name} in ${file}`).toBeUndefined();
        owner.set(name, file);
      }
    }
  });
});
