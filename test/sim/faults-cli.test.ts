import { afterEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../bin/cli';
import { FAULTS } from './faults';

/** The `sim` command's catalogue listing and its answers to bad input (no server is started for these). */

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  vi.spyOn(process.stdout, 'write').mockImplementation((s) => (out.push(String(s)), true));
  vi.spyOn(process.stderr, 'write').mockImplementation((s) => (err.push(String(s)), true));
  return { out: () => out.join(''), err: () => err.join('') };
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('eks-reflexion sim', () => {
  it('lists every scenario of the catalogue with what it expects', async () => {
    const io = capture();
    const code = await main(['sim', 'scenarios']);
    expect(code).toBe(0);
    const lines = io.out().trim().split('\n');
    expect(lines[0]).toMatch(/^NAME\s+EXPECTED\s+FIXABLE/);
    expect(lines.slice(1).map((l) => l.split(/\s+/)[0])).toEqual(Object.keys(FAULTS));
    expect(io.out()).toMatch(/registry-auth\s+ImagePullBackOff:auth\s+no\s+escalate/);
  });

  it.each([
    // A typo in a scenario name must not silently serve an empty cluster.
    { argv: ['serve', '--scenario', 'bad-image-tagg'], message: /unknown scenario\(s\): bad-image-tagg; known: bad-image-tag,/ },
    { argv: ['serve', '--port', '70000'], message: /--port must be in 0\.\.65535, got 70000/ },
    { argv: ['serve', '--seed=-1'], message: /--seed must be an integer, got "-1"/ },
    { argv: ['serve', '--bogus'], message: /unknown option '--bogus'/ },
    { argv: ['scenarios', 'extra'], message: /too many arguments/ },
    { argv: ['start'], message: /unknown command 'start'/ },
  ])('refuses $argv with exit 2 and a message naming the problem', async ({ argv, message }) => {
    const io = capture();
    expect(await main(['sim', ...argv])).toBe(2);
    expect(io.err()).toMatch(message);
  });
});
