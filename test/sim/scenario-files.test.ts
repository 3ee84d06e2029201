import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CATALOGUE_DIR, FAULTS } from './faults';
import { recordingClient } from './faults/record-calls';
import { loadScenarioDir, loadScenarioFile, parseScenarioText, ScenarioFileError, ScenarioSetError } from './scenario/load';

/**
 * Scenario files are untrusted input written by people who never read the
 * strategies' code: a malformed one is refused with the file, the place in it
 * (field path and line) and the problem, and nothing is loaded.
 */

const base = await readFile(join(CATALOGUE_DIR, 'bad-image-tag.yaml'), 'utf8');

function refused(text: string): ScenarioFileError {
  try {
    parseScenarioText(text, '/somewhere/custom.yaml');
  } catch (e) {
    if (e instanceof ScenarioFileError) return e;
    throw e;
  }
  throw new Error('the file was accepted');
}

describe('scenario files', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'scenarios-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('the catalogue loads from its directory: fourteen scenarios, each from its file', () => {
    const loaded = loadScenarioDir(CATALOGUE_DIR);
    expect(loaded.map((s) => s.name).sort()).toEqual(Object.keys(FAULTS).sort());
    for (const s of loaded) expect(s.source).toBe(join(CATALOGUE_DIR, `${s.name}.yaml`));
  });

  it('the published JSON Schema (schemas/scenario.json) accepts every catalogue file and rejects a malformed one', async () => {
    const schema = JSON.parse(await readFile(new URL('../../schemas/scenario.json', import.meta.url), 'utf8')) as object;
    const validate = new Ajv2020({ strict: false }).compile(schema);
    for (const name of Object.keys(FAULTS)) {
      const doc = parse(await readFile(join(CATALOGUE_DIR, `${name}.yaml`), 'utf8')) as unknown;
      expect(validate(doc), `${name}: ${JSON.stringify(validate.errors)}`).toBe(true);
    }
    expect(validate(parse(base.replace('replicas: "{{replicas}}"', 'replicas: three')))).toBe(false);
  });

  // Each case: one mistake an author makes, and what the refusal must name.
  it.each([
    // YAML that does not parse: the line of the mistake.
    { why: 'bad YAML', edit: (t: string) => t.replace('name: bad-image-tag', 'name: [bad-image-tag'), path: '', message: /not valid YAML/, line: true },
    { why: 'empty file', edit: () => '', path: '', message: /the file is empty/ },
    { why: 'wrong apiVersion', edit: (t: string) => t.replace('scenario/v1', 'scenario/v9'), path: 'apiVersion', message: /expected "eks-reflexion.io\/scenario\/v1"/i, line: true },
    { why: 'misspelt top-level field', edit: (t: string) => t.replace('oracle:\n', 'oracel:\n'), path: 'oracel', message: /unknown field/, line: true },
    { why: 'a number field given a word', edit: (t: string) => t.replace('replicas: "{{replicas}}"', 'replicas: three'), path: 'workloads.deployments[0].replicas', message: /must be a number or a \{\{ template \}\}/, line: true },
    { why: 'misspelt step action', edit: (t: string) => t.replace('- setContainer:', '- setContaner:'), path: 'timeline.steps[0]', message: /unknown field 'setContaner'; expected one of: apply, patch, setContainer/ },
    { why: 'step with a missing field', edit: (t: string) => t.replace('setContainer: { namespace: "{{namespace}}", ', 'setContainer: { '), path: 'timeline.steps[0].setContainer.namespace', message: /expected string/i },
    { why: 'template naming an unknown parameter', edit: (t: string) => t.replace('image: "{{bad}}"', 'image: "{{badd}}"'), path: 'timeline.steps[0].setContainer.container.image', message: /'badd', which is not a parameter/ },
    { why: 'template calling an unknown function', edit: (t: string) => t.replace('"{{repo}}:{{badTag}}"', '"{{shout(repo)}}"'), path: 'parameters[2].value', message: /unknown function shout\(\)/ },
    { why: 'oracle expression that does not parse', edit: (t: string) => t.replace('"container.image == good"', '"container.image == "'), path: 'oracle.healthy[0].where[0]', message: /unexpected end of expression/ },
    { why: 'parameter declared twice', edit: (t: string) => t.replace('{ name: bad, value', '{ name: good, value'), path: 'parameters[2].name', message: /declared twice/ },
    { why: 'a drawn parameter over a built-in (would shift every later draw)', edit: (t: string) => t.replace('{ name: badTag, pick', '{ name: tag, pick'), path: 'parameters[1].name', message: /only a value parameter may override it/ },
    { why: 'unknown remedy in the ground truth', edit: (t: string) => t.replace('[rollback_deployment, patch_image]', '[rollback, patch_image]'), path: 'groundTruth.acceptableRemedies[0]', message: /Invalid option/i },
    { why: 'a step condition naming an unknown parameter', edit: (t: string) => t.replace('    - setContainer:', '    - when: "cause == 1"\n      setContainer:'), path: 'timeline.steps[0].when', message: /'cause', which is not a parameter/ },
    { why: 'a template that evaluates to the wrong type', edit: (t: string) => t.replace('replicas: "{{replicas}}"', 'replicas: "{{app}}"'), path: '', message: /instantiating seed 1: workloads.deployments\[0\].replicas must be a number/ },
  ])('refuses $why, naming the file, "$path" and the problem', ({ edit, path, message, line }) => {
    const e = refused(edit(base));
    expect(e.file).toBe('/somewhere/custom.yaml');
    const p = e.problems.find((x) => x.path === path && message.test(x.message));
    expect(p, JSON.stringify(e.problems)).toBeDefined();
    if (line) expect(p!.line).toBeGreaterThan(0);
    expect(e.message).toContain('/somewhere/custom.yaml');
  });

  it('a directory with one malformed file loads nothing and names that file', async () => {
    const d = await mkdtemp(join(dir, 'set-'));
    await writeFile(join(d, 'a.yaml'), base.replace('name: bad-image-tag', 'name: good-one'));
    await writeFile(join(d, 'b.yaml'), base.replace('name: bad-image-tag', 'name: broken').replace('oracle:\n', 'oracel:\n'));
    let error: unknown;
    try {
      loadScenarioDir(d);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ScenarioSetError);
    expect((error as ScenarioSetError).errors.map((x) => x.file)).toEqual([join(d, 'b.yaml')]);
  });

  it('refuses two files with the same scenario name, and a directory without scenario files', async () => {
    const d = await mkdtemp(join(dir, 'dup-'));
    await writeFile(join(d, 'one.yaml'), base);
    await writeFile(join(d, 'two.yml'), base);
    expect(() => loadScenarioDir(d)).toThrow(/two\.yml: name: scenario 'bad-image-tag' is also defined in .*one\.yaml/);
    const empty = await mkdtemp(join(dir, 'empty-'));
    expect(() => loadScenarioDir(empty)).toThrow(/no scenario files/);
    expect(() => loadScenarioFile(join(empty, 'missing.yaml'))).toThrow(/missing\.yaml: cannot read the file: ENOENT/);
  });

  it('loads a JSON file written outside the repository', async () => {
    const file = join(dir, 'outside.json');
    await writeFile(file, JSON.stringify({ ...(parse(base) as object), name: 'outside-json' }));
    const s = loadScenarioFile(file);
    expect(s.name).toBe('outside-json');
    expect(s.instantiate(3).workload.kind).toBe('Deployment');
  });

  it('one file, several hidden causes: a seeded draw picks the cause and `when` picks its steps', async () => {
    // Why: the latent-cause families build on this — the same symptom, a cause drawn per instance with a team prior.
    const text = base
      .replace('  - { name: bad, value: "{{repo}}:{{badTag}}" }', '  - { name: bad, value: "{{repo}}:{{badTag}}" }\n  - { name: u, uniform: [0, 1] }\n  - { name: cause, value: "{{ if(u < if(team == \'data\', 0.8, 0.2), \'scale\', \'tag\') }}" }')
      .replace('    - setContainer:', '    - when: "cause == \'scale\'"\n      scale: { namespace: "{{namespace}}", deployment: "{{app}}", replicas: 0 }\n    - when: "cause == \'tag\'"\n      setContainer:');
    const s = parseScenarioText(text, '/x/causes.yaml');
    const seen = new Map<string, number>();
    for (let seed = 0; seed < 200; seed++) {
      const inst = s.instantiate(seed);
      const { client, calls } = recordingClient(() => []);
      await inst.inject(client);
      expect(calls).toHaveLength(1);
      const kind = calls[0]!.path.endsWith('/scale') ? 'scale' : 'tag';
      const team = inst.namespace.split('-')[0]!;
      const key = `${team === 'data' ? 'data' : 'other'}:${kind}`;
      seen.set(key, (seen.get(key) ?? 0) + 1);
    }
    const share = (team: string) => (seen.get(`${team}:scale`) ?? 0) / ((seen.get(`${team}:scale`) ?? 0) + (seen.get(`${team}:tag`) ?? 0));
    expect(share('data')).toBeGreaterThan(0.6);
    expect(share('other')).toBeLessThan(0.35);
  });
});
