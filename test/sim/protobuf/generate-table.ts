/**
 * Generates k8s-fields.json — the protobuf field table of the Kubernetes API
 * kinds the simulator decodes — from Kubernetes' own definitions:
 *   - `generated.proto` (message, field number, name, type, repeated/map), and
 *   - the Go struct tags in the same packages' `*.go` files (`protobuf:"…"`,
 *     `json:"…"`): whether a field is a pointer and `omitempty`, which decides
 *     whether a zero value on the wire means "absent" (gogo-protobuf writes
 *     non-pointer fields even when they are zero) and the JSON name.
 *
 * Usage (no network beyond Debian's apt mirrors):
 *   $KUBE_ASSETS/k8s-source.sh /tmp/k8s          # Debian's kubernetes source (needs dpkg-dev)
 *   npx tsx test/sim/protobuf/generate-table.ts /tmp/k8s/src > test/sim/protobuf/k8s-fields.json
 *
 * Only the table (facts about the wire format) is committed, never the source.
 */
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';

/** Packages whose kinds the simulator serves, plus what they import. */
const PACKAGES = [
  'api/core/v1',
  'api/apps/v1',
  'api/autoscaling/v1',
  'api/autoscaling/v2beta2',
  'api/policy/v1beta1',
  'api/authorization/v1',
  'apimachinery/pkg/apis/meta/v1',
  'apimachinery/pkg/runtime',
  'apimachinery/pkg/runtime/schema',
  'apimachinery/pkg/util/intstr',
  'apimachinery/pkg/api/resource',
];

/** [number, json name, type, label]: label "o" optional (zero kept), "oz" optional (zero = absent), "r" repeated, "m:<keytype>" map. */
type Field = [number, string, string, string];
interface Message {
  fields: Field[];
  /** `+protobuf.nullable=true` wrappers of a Go slice (ExtraValue…): the JSON is the `items` list itself. */
  list?: true;
}

const SCALARS = new Set(['string', 'bytes', 'bool', 'int32', 'int64', 'uint32', 'uint64', 'sint32', 'sint64', 'double', 'float', 'fixed32', 'fixed64']);

interface GoField {
  pointer: boolean;
  omitempty: boolean;
  json: string;
}

/** struct name → field number → Go facts, from every non-generated .go file of the package. */
function goFields(dir: string): Map<string, Map<number, GoField>> {
  const out = new Map<string, Map<number, GoField>>();
  for (const file of readdirSync(dir)) {
    if (!file.endsWith('.go') || file.endsWith('_test.go') || file.startsWith('zz_generated') || file.endsWith('.pb.go')) continue;
    let current: Map<number, GoField> | undefined;
    for (const line of readFileSync(join(dir, file), 'utf8').split('\n')) {
      const start = /^type (\w+) struct \{/.exec(line);
      if (start) {
        current = new Map();
        out.set(start[1]!, current);
        continue;
      }
      if (line.startsWith('}')) {
        current = undefined;
        continue;
      }
      if (!current) continue;
      const field = /^\s+\w+\s+(\S+)\s+`(.*)`/.exec(line);
      if (!field) continue;
      const tags = field[2]!;
      const proto = /protobuf:"\w+,(\d+),/.exec(tags);
      const json = /json:"([^"]*)"/.exec(tags);
      if (!proto || !json) continue;
      const [name, ...opts] = json[1]!.split(',');
      current.set(Number(proto[1]), { pointer: field[1]!.startsWith('*'), omitempty: opts.includes('omitempty'), json: name ?? '' });
    }
  }
  return out;
}

function parseProto(path: string, go: Map<string, Map<number, GoField>>, messages: Record<string, Message>): void {
  const text = readFileSync(path, 'utf8');
  const pkg = /^package ([\w.]+);/m.exec(text)?.[1];
  if (!pkg) throw new Error(`${path}: no package statement`);
  const qualify = (type: string): string => (SCALARS.has(type) || type.includes('.') ? type : `${pkg}.${type}`);
  let current: Message | undefined;
  let currentName = '';
  let comments: string[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line.startsWith('//')) {
      comments.push(line);
      continue;
    }
    const start = /^message (\w+) \{/.exec(line);
    if (start) {
      currentName = start[1]!;
      current = { fields: [] };
      if (comments.some((c) => c.includes('+protobuf.nullable=true'))) current.list = true;
      messages[`${pkg}.${currentName}`] = current;
    } else if (line === '}') current = undefined;
    else if (current) {
      const plain = /^(optional|repeated) ([\w.]+) (\w+) = (\d+);/.exec(line);
      const map = /^map<(\w+), ([\w.]+)> (\w+) = (\d+);/.exec(line);
      if (plain) {
        const number = Number(plain[4]);
        const facts = go.get(currentName)?.get(number);
        const name = facts?.json || plain[3]!;
        const label = plain[1] === 'repeated' ? 'r' : facts && !facts.pointer && facts.omitempty ? 'oz' : 'o';
        current.fields.push([number, name, qualify(plain[2]!), label]);
      } else if (map) {
        const number = Number(map[4]);
        const name = go.get(currentName)?.get(number)?.json || map[3]!;
        current.fields.push([number, name, qualify(map[2]!), `m:${map[1]}`]);
      } else if (line !== '' && !line.startsWith('option') && !line.startsWith('reserved')) {
        throw new Error(`${path}: message ${currentName}: unparsed line "${line}"`);
      }
    }
    if (!line.startsWith('//')) comments = [];
  }
}

function main(): void {
  const src = process.argv[2];
  if (!src) throw new Error('usage: generate-table.ts SRC  (SRC = the dir k8s-source.sh printed, e.g. /tmp/k8s/src)');
  const root = join(src, 'staging/src/k8s.io');
  if (!existsSync(root)) throw new Error(`${root} does not exist: run k8s-source.sh first`);
  const version = readFileSync(join(src, 'debian/changelog'), 'utf8').split('\n')[0] ?? '';
  const messages: Record<string, Message> = {};
  for (const pkg of PACKAGES) {
    const dir = join(root, pkg);
    parseProto(join(dir, 'generated.proto'), goFields(dir), messages);
  }
  const sorted = Object.keys(messages).sort();
  const lines = sorted.map((name) => `    ${JSON.stringify(name)}: ${JSON.stringify(messages[name])}`);
  process.stdout.write(`{\n  "source": ${JSON.stringify(`Debian source package: ${version.trim()}`)},\n  "generator": "test/sim/protobuf/generate-table.ts",\n  "messages": {\n${lines.join(',\n')}\n  }\n}\n`);
}

main();
