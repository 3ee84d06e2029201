/**
 * The simulated image registry: which images exist, which need credentials,
 * and how a container started from each behaves (the behaviour model the
 * kubelet emulator plays out). Image references are normalised the way a
 * container runtime does (`app:1` ≡ `docker.io/library/app:1`), so a scenario
 * may register either spelling.
 */

/** An HTTP or TCP endpoint the image serves, for probes. */
export interface ImageEndpoint {
  /** Path for httpGet probes; omitted → any path answers (e.g. TCP-only). */
  path?: string;
  port: number;
  /** Seconds after container start before the endpoint answers successfully. Default 0. */
  healthyAfterSeconds?: number;
  /** Never answers successfully (a hung or broken health check). */
  neverHealthy?: boolean;
  /** How long the endpoint takes to answer; a probe with a smaller timeoutSeconds fails. Default 0. */
  responseSeconds?: number;
  /** After this many seconds of uptime the process hangs (a deadlock): HTTP requests time out, whatever the timeout. */
  hangsAfterSeconds?: number;
}

export interface ImageBehaviour {
  /** The process exits by itself this many seconds after start. Init containers default to 1 s. */
  exitAfterSeconds?: number;
  /** Exit code when it exits by itself (default 1 for containers, 0 for init containers). */
  exitCode?: number;
  /** Only the first N starts on a pod exit (a transient fault that a fresh pod does not have). */
  exitOnlyFirstStarts?: number;
  /** Environment variables that must be set and non-empty; otherwise it exits 1 about a second after start. */
  requiresEnv?: string[];
  /** Steady memory use in MiB; above the container's memory limit → OOMKilled (exit 137). */
  memoryMi?: number;
  /** Seconds after start until memory reaches `memoryMi` (default 2). */
  memoryRampSeconds?: number;
  /** Endpoints served (probes against anything else fail with connection refused / 404). */
  endpoints?: ImageEndpoint[];
  /**
   * Pods whose local state is corrupt (a bad cache on an emptyDir, a stale
   * lock): every start in these pods exits 1 after 3 s, while a fresh pod is
   * fine. Scenarios push pod names here at inject time (the array is shared by reference).
   */
  poisonedPods?: string[];
  /**
   * CPU the whole service needs, in millicores, shared by its running pods
   * (the metrics emulator turns it into HPA utilisation). Scenarios raise it
   * at inject time to model a load spike.
   */
  serviceCpuMillicores?: number;
  /** Lines the container writes to stdout once started. */
  logs?: string[];
  /**
   * A retry storm: while this Service of the pod's namespace has no ready pod
   * behind it, every request is retried, so the CPU demand is `factor` × the
   * load (the HPA sees it; it ends by itself when the downstream recovers).
   */
  retriesWhileUnready?: { service: string; factor: number };
  /** CPU per unit of load: a scenario's load step sets serviceCpuMillicores = units × this. */
  cpuMillicoresPerUnit?: number;
  /** A leak: MiB added to the working set per minute of uptime (OOMKilled once over the limit). */
  memoryGrowthMiPerMinute?: number;
  /** Periodic spikes of extra memory, every `everySeconds` of uptime for `durationSeconds` (default 10). */
  memorySpikes?: { everySeconds: number; extraMi: number; durationSeconds?: number };
  /** Exit rules (scenario files): the earliest that applies ends the process. */
  exitRules?: ExitRule[];
  /** Lines printed on every exit by a rule, after the rule's own line. */
  failureLogs?: string[];
  /** Lines printed every `everySeconds` while running. */
  periodicLogs?: { everySeconds: number; lines: string[] };
  /** Pods whose local state a scenario step corrupted (their podStateCorrupt rules apply); shared by reference. */
  corruptPods?: string[];
}

/**
 * When an exit rule applies. Log lines may carry {pod}, {container},
 * {namespace}, {node}, {uptime} and {restarts}, filled in by the kubelet.
 */
export type ExitCondition =
  | { envAbsent: string }
  | { envEquals: { name: string; value: string } }
  | { configKey: { configMap: string; key: string; equals: string } }
  | { secretAbsent: string }
  | { dependencyUnready: string }
  | { always: true }
  | { randomPerHour: number }
  | { podStateCorrupt: true };

export interface ExitRule {
  when: ExitCondition;
  exitCode: number;
  /** Seconds after start (or after the condition is first seen while running) until the exit. Default 1. */
  afterSeconds?: number;
  /** Only the first N starts of the container in a pod exit. */
  onlyFirstStarts?: number;
  log?: string;
}

export interface RegistryEntry {
  /** Image reference with a tag (or digest). */
  image: string;
  /** Pulling needs credentials: an imagePullSecrets entry naming this Secret. */
  requiresAuth?: { secretName: string };
  behaviour?: ImageBehaviour;
  /** Simulated pull time in seconds (default 1). */
  pullSeconds?: number;
}

export type PullResult =
  | { ok: true; entry: RegistryEntry }
  | { ok: false; kind: 'not-found' | 'unauthorized' | 'invalid'; message: string };

const DEFAULT_REGISTRY = 'docker.io';

/** Normalises an image reference like containerd does: default registry, library/, :latest. */
export function normaliseImage(image: string): string {
  let ref = image.trim();
  const at = ref.indexOf('@');
  const digest = at >= 0 ? ref.slice(at) : '';
  if (at >= 0) ref = ref.slice(0, at);
  const lastSlash = ref.lastIndexOf('/');
  const colon = ref.lastIndexOf(':');
  const hasTag = colon > lastSlash;
  if (!hasTag && !digest) ref += ':latest';
  const first = ref.split('/')[0]!;
  const hasRegistry = ref.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost');
  if (!hasRegistry) ref = `${DEFAULT_REGISTRY}/${ref.includes('/') ? '' : 'library/'}${ref}`;
  return ref + digest;
}

const VALID_IMAGE = /^[a-z0-9][a-z0-9._\-/:@]*$/;

export class ImageRegistry {
  private readonly entries = new Map<string, RegistryEntry>();

  constructor(entries: RegistryEntry[] = []) {
    for (const e of entries) this.add(e);
  }

  add(entry: RegistryEntry): this {
    if (!VALID_IMAGE.test(entry.image)) throw new RangeError(`registry: invalid image reference ${JSON.stringify(entry.image)}`);
    this.entries.set(normaliseImage(entry.image), entry);
    return this;
  }

  remove(image: string): boolean {
    return this.entries.delete(normaliseImage(image));
  }

  has(image: string): boolean {
    return this.entries.has(normaliseImage(image));
  }

  lookup(image: string): RegistryEntry | undefined {
    return this.entries.get(normaliseImage(image));
  }

  list(): RegistryEntry[] {
    return [...this.entries.values()];
  }

  /**
   * What a pull of `image` with these pull-secret names gets, with the
   * messages containerd gives (so detectors see real text).
   */
  pull(image: string, pullSecretNames: readonly string[]): PullResult {
    if (!VALID_IMAGE.test(image)) {
      return { ok: false, kind: 'invalid', message: `Failed to apply default image tag "${image}": couldn't parse image reference "${image}": invalid reference format` };
    }
    const ref = normaliseImage(image);
    const entry = this.entries.get(ref);
    if (entry?.requiresAuth && !pullSecretNames.includes(entry.requiresAuth.secretName)) {
      return {
        ok: false,
        kind: 'unauthorized',
        message: `rpc error: code = Unknown desc = failed to pull and unpack image "${ref}": failed to resolve reference "${ref}": pull access denied, repository does not exist or may require authorization: server message: insufficient_scope: authorization failed`,
      };
    }
    if (!entry) {
      return {
        ok: false,
        kind: 'not-found',
        message: `rpc error: code = NotFound desc = failed to pull and unpack image "${ref}": failed to resolve reference "${ref}": ${ref}: not found`,
      };
    }
    return { ok: true, entry };
  }
}

/**
 * The registry is not reachable through the Kubernetes API, so a scenario
 * that only holds an API client finds it by the cluster's URL: the kubelet
 * emulator links its registry to the URL it serves, for its lifetime.
 */
const linked = new Map<string, ImageRegistry>();

export function linkRegistry(url: string, registry: ImageRegistry): () => void {
  linked.set(url, registry);
  return () => {
    if (linked.get(url) === registry) linked.delete(url);
  };
}

export function registryFor(url: string): ImageRegistry | undefined {
  return linked.get(url);
}
