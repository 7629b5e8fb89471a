import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The folders of lib/ and what each may import (docs/architecture.md). Any
 * import circle, or an import of a folder not listed here, fails — so the
 * layering is kept by a test, not by memory. Root files (`sse.messages.ts`,
 * …) count as folders of their own name.
 */
const ALLOWED: Record<string, readonly string[]> = {
  // Pure leaves: text factories, constants, shapes (channel names and templates, reasons, meters, audiences).
  'sse.messages': [],
  'sse.constants': [],
  model: ['sse.messages'],
  // The public shapes, the transport's interface included.
  interfaces: ['model'],
  // The wire format: the exact text of every frame. No Nest, no sockets, no streaming.
  wire: ['interfaces', 'sse.messages'],
  util: ['sse.messages'],
  // One schema per options object.
  options: ['interfaces', 'model', 'wire', 'util', 'sse.constants', 'sse.messages'],
  // The core, bottom up. None of it imports metrics/, transport/, openapi/ or health/: they
  // plug in through interfaces the core owns (model/meters.ts, interfaces/sse-transport.interface.ts).
  connection: ['model'],
  presence: ['util'],
  feed: ['interfaces', 'model', 'presence', 'wire', 'util', 'sse.messages'],
  channel: ['connection', 'feed', 'model', 'options', 'wire', 'util'],
  tracker: ['connection', 'model', 'options', 'wire', 'util', 'sse.constants', 'sse.messages'],
  registry: ['channel', 'feed', 'presence', 'interfaces', 'model', 'options', 'util', 'wire', 'sse.constants', 'sse.messages'],
  session: ['channel', 'connection', 'feed', 'presence', 'registry', 'tracker', 'model', 'options', 'wire', 'sse.constants', 'sse.messages'],
  // The public face and the Nest glue.
  broadcaster: ['channel', 'registry', 'session', 'tracker', 'interfaces', 'model', 'options', 'wire', 'sse.constants', 'sse.messages'],
  routing: ['broadcaster', 'connection', 'registry', 'session', 'model', 'util', 'sse.constants', 'sse.messages'],
  decorators: ['connection', 'openapi', 'options', 'routing', 'interfaces', 'model', 'sse.constants', 'sse.messages'],
  'sse.module': ['broadcaster', 'health', 'mcp', 'metrics', 'registry', 'routing', 'session', 'tracker', 'interfaces', 'options', 'sse.constants', 'sse.messages'],
  // Plug-ins: each depends on the core's interfaces, and nothing of the core depends on them.
  metrics: ['interfaces', 'model', 'options', 'util', 'sse.constants', 'sse.messages'],
  transport: ['interfaces', 'options', 'util', 'wire', 'sse.constants', 'sse.messages'],
  openapi: ['interfaces', 'routing', 'sse.constants'],
  health: ['interfaces', 'options', 'registry', 'tracker', 'sse.constants'],
  // The MCP SDK's EventStore on channels (the SDK itself: only a dynamic import, in mcp-resume.ts).
  mcp: ['channel', 'registry', 'feed', 'interfaces', 'util', 'wire', 'sse.messages'],
  // Shipped as a subpath: only the pure rules.
  testing: ['model', 'wire'],
  // Shipped as a subpath for browsers and Node: nothing of the server, only the reset event's type.
  client: ['interfaces'],
  // (routing/: channelName(), the helper for channels built from request values.)
  index: ['broadcaster', 'channel', 'decorators', 'health', 'interfaces', 'mcp', 'openapi', 'routing', 'sse.module', 'transport', 'wire'],
};

const lib = resolve(dirname(fileURLToPath(import.meta.url)), '../../lib');

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? sources(join(dir, entry.name)) : entry.name.endsWith('.ts') ? [join(dir, entry.name)] : [],
  );
}

/** Every file of lib/ (relative to it) with the lib/ files it imports, `import type` included. */
function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of sources(lib)) {
    const text = readFileSync(file, 'utf8');
    const targets = [...text.matchAll(/^\s*(?:import|export)\b[^'";]*?\bfrom\s+['"](\.{1,2}\/[^'"]+)['"]/gm)].map(([, spec]) =>
      relative(lib, resolve(dirname(file), spec.replace(/\.js$/, '.ts'))),
    );
    graph.set(relative(lib, file), targets);
  }
  return graph;
}

const folderOf = (file: string) => (file.includes('/') ? file.split('/')[0] : file.replace(/\.ts$/, ''));

/** The strongly connected components with more than one file (Tarjan). */
function circles(graph: Map<string, string[]>): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (file: string) => {
    index.set(file, next);
    low.set(file, next++);
    stack.push(file);
    onStack.add(file);
    for (const target of graph.get(file) ?? []) {
      if (!index.has(target)) {
        visit(target);
        low.set(file, Math.min(low.get(file)!, low.get(target)!));
      } else if (onStack.has(target)) {
        low.set(file, Math.min(low.get(file)!, index.get(target)!));
      }
    }
    if (low.get(file) === index.get(file)) {
      const component: string[] = [];
      let member: string;
      do {
        member = stack.pop()!;
        onStack.delete(member);
        component.push(member);
      } while (member !== file);
      if (component.length > 1) {
        found.push(component.sort());
      }
    }
  };
  for (const file of graph.keys()) {
    if (!index.has(file)) {
      visit(file);
    }
  }
  return found;
}

describe('the import graph of lib/', () => {
  const graph = importGraph();

  it('reads every file and every relative import (a sanity check of the reader)', () => {
    expect(graph.size).toBeGreaterThan(50);
    expect(graph.get('index.ts')).toContain('sse.module.ts');
    for (const targets of graph.values()) {
      for (const target of targets) {
        expect(graph.has(target) ? target : `missing: ${target}`).toBe(target);
      }
    }
  });

  it('has no circles, type-only imports included', () => {
    expect(circles(graph)).toEqual([]);
  });

  it('finds a circle when there is one (the detector itself)', () => {
    const looped = new Map([
      ['a.ts', ['b.ts']],
      ['b.ts', ['c.ts']],
      ['c.ts', ['a.ts']],
      ['d.ts', ['a.ts']],
    ]);
    expect(circles(looped)).toEqual([['a.ts', 'b.ts', 'c.ts']]);
  });

  it('has only the allowed edges between folders', () => {
    const outside: string[] = [];
    for (const [file, targets] of graph) {
      const from = folderOf(file);
      for (const target of targets) {
        const to = folderOf(target);
        if (to !== from && !(ALLOWED[from] ?? []).includes(to)) {
          outside.push(`${file} → ${target}`);
        }
      }
    }
    expect(outside).toEqual([]);
  });

  it('keeps every file of lib/ at most 250 lines (one concept per file)', () => {
    const long = sources(lib)
      .map((file) => [relative(lib, file), readFileSync(file, 'utf8').split('\n').length - 1] as const)
      .filter(([, lines]) => lines > 250);
    expect(long).toEqual([]);
  });

  it('knows every folder of lib/ (a new one gets its line in ALLOWED and in docs/architecture.md)', () => {
    const folders = new Set([...graph.keys()].map(folderOf));
    expect([...folders].filter((folder) => !(folder in ALLOWED))).toEqual([]);
  });
});
