/**
 * Container log buffers: the current and the previous instance of each
 * container, bounded in bytes so a chatty simulated container cannot grow the
 * heap. The kubelet side writes them (in-process or through the sim-only
 * `simlog` subresource); `pods/{name}/log` reads them.
 */

export interface LogLine {
  time: string;
  text: string;
}

interface Instance {
  lines: LogLine[];
  bytes: number;
}

export const MAX_LOG_BYTES_PER_INSTANCE = 256 * 1024;

export interface ReadLogOptions {
  previous?: boolean;
  tailLines?: number;
  limitBytes?: number;
  sinceTime?: Date;
  timestamps?: boolean;
}

/** A `follow=true` reader: gets each line appended to the current instance, and `end` when that instance ends. */
export interface LogFollower {
  line(line: LogLine): void;
  end(): void;
}

export class LogBuffers {
  private readonly containers = new Map<string, { current: Instance; previous?: Instance }>();
  private readonly followers = new Map<string, Set<LogFollower>>();

  follow(namespace: string, pod: string, container: string, follower: LogFollower): () => void {
    const k = this.key(namespace, pod, container);
    const set = this.followers.get(k) ?? new Set<LogFollower>();
    set.add(follower);
    this.followers.set(k, set);
    return () => {
      set.delete(follower);
      if (set.size === 0 && this.followers.get(k) === set) this.followers.delete(k);
    };
  }

  private endFollowers(k: string): void {
    const set = this.followers.get(k);
    this.followers.delete(k);
    for (const f of set ?? []) f.end();
  }

  private key(namespace: string, pod: string, container: string): string {
    return `${namespace}/${pod}/${container}`;
  }

  private entry(namespace: string, pod: string, container: string): { current: Instance; previous?: Instance } {
    const k = this.key(namespace, pod, container);
    let e = this.containers.get(k);
    if (!e) {
      e = { current: { lines: [], bytes: 0 } };
      this.containers.set(k, e);
    }
    return e;
  }

  append(namespace: string, pod: string, container: string, text: string, time: Date, previous = false): void {
    const e = this.entry(namespace, pod, container);
    const target = previous ? (e.previous ??= { lines: [], bytes: 0 }) : e.current;
    const iso = time.toISOString();
    const pieces = text.endsWith('\n') ? text.slice(0, -1).split('\n') : text.split('\n');
    for (const piece of pieces) {
      target.lines.push({ time: iso, text: piece });
      target.bytes += piece.length + 1;
      if (!previous) for (const f of this.followers.get(this.key(namespace, pod, container)) ?? []) f.line({ time: iso, text: piece });
    }
    while (target.bytes > MAX_LOG_BYTES_PER_INSTANCE && target.lines.length > 1) {
      const dropped = target.lines.shift()!;
      target.bytes -= dropped.text.length + 1;
    }
  }

  /** A container restarted: what it wrote becomes `previous`, the new instance starts empty. */
  rotate(namespace: string, pod: string, container: string): void {
    const e = this.entry(namespace, pod, container);
    e.previous = e.current;
    e.current = { lines: [], bytes: 0 };
    this.endFollowers(this.key(namespace, pod, container));
  }

  has(namespace: string, pod: string, container: string, previous: boolean): boolean {
    const e = this.containers.get(this.key(namespace, pod, container));
    if (!e) return false;
    return previous ? e.previous !== undefined : true;
  }

  read(namespace: string, pod: string, container: string, options: ReadLogOptions = {}): string {
    const e = this.containers.get(this.key(namespace, pod, container));
    const instance = options.previous ? e?.previous : e?.current;
    if (!instance) return '';
    let lines = instance.lines;
    if (options.sinceTime) {
      const since = options.sinceTime.toISOString();
      lines = lines.filter((l) => l.time >= since);
    }
    if (options.tailLines !== undefined) lines = options.tailLines === 0 ? [] : lines.slice(-options.tailLines);
    let text = lines.map((l) => formatLine(l, options.timestamps ?? false)).join('\n');
    if (lines.length) text += '\n';
    if (options.limitBytes !== undefined) text = Buffer.from(text, 'utf8').subarray(0, options.limitBytes).toString('utf8');
    return text;
  }

  deletePod(namespace: string, pod: string): void {
    const prefix = `${namespace}/${pod}/`;
    for (const k of this.containers.keys()) if (k.startsWith(prefix)) this.containers.delete(k);
    for (const k of [...this.followers.keys()]) if (k.startsWith(prefix)) this.endFollowers(k);
  }
}

/** One log line as pods/{name}/log prints it (RFC 3339 with nanoseconds when `timestamps`). */
export function formatLine(l: LogLine, timestamps: boolean): string {
  return timestamps ? `${l.time.replace(/\.\d+Z$/, (m) => `${m.slice(0, -1).padEnd(10, '0')}Z`)} ${l.text}` : l.text;
}
