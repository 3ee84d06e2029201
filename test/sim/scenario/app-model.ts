import type { ExitRule, ImageBehaviour, RegistryEntry } from '../registry';
import type { AppModel } from './schema';

/**
 * An image's application model from a scenario file (templates already
 * expanded) as the registry entry the kubelet emulator plays out.
 */

const DEFAULT_STARTUP_SECONDS = 2;

function n(v: unknown, what: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new TypeError(`${what} must be a number, got ${JSON.stringify(v)}`);
  return v;
}
const opt = (v: unknown, what: string) => (v === undefined ? undefined : n(v, what));

/** The behaviour fields an app model sets (`partial`, for setApp: only the fields given; no default endpoint). */
export function behaviourOf(app: Partial<AppModel>, corruptPods: string[], partial = false): ImageBehaviour {
  const b: ImageBehaviour = {};
  const startup = opt(app.startupSeconds, 'startupSeconds');
  if (!partial || app.endpoints !== undefined || startup !== undefined) {
    const eps = app.endpoints ?? [{ path: '/healthz', port: 8080 }];
    b.endpoints = eps.map((e) => ({
      ...(e.path !== undefined ? { path: e.path } : {}),
      port: n(e.port, 'endpoints[].port'),
      healthyAfterSeconds: opt(e.healthyAfterSeconds, 'endpoints[].healthyAfterSeconds') ?? startup ?? DEFAULT_STARTUP_SECONDS,
      ...(e.responseSeconds !== undefined ? { responseSeconds: n(e.responseSeconds, 'endpoints[].responseSeconds') } : {}),
      ...(e.hangsAfterSeconds !== undefined ? { hangsAfterSeconds: n(e.hangsAfterSeconds, 'endpoints[].hangsAfterSeconds') } : {}),
      ...(e.neverHealthy ? { neverHealthy: true } : {}),
    }));
  }
  if (app.memory) {
    b.memoryMi = n(app.memory.baseMi, 'memory.baseMi');
    if (app.memory.rampSeconds !== undefined) b.memoryRampSeconds = n(app.memory.rampSeconds, 'memory.rampSeconds');
    if (app.memory.growthMiPerMinute !== undefined) b.memoryGrowthMiPerMinute = n(app.memory.growthMiPerMinute, 'memory.growthMiPerMinute');
    const s = app.memory.spikes;
    if (s) {
      b.memorySpikes = {
        everySeconds: n(s.everySeconds, 'memory.spikes.everySeconds'),
        extraMi: n(s.extraMi, 'memory.spikes.extraMi'),
        ...(s.durationSeconds !== undefined ? { durationSeconds: n(s.durationSeconds, 'memory.spikes.durationSeconds') } : {}),
      };
    }
  }
  if (app.cpu) {
    b.cpuMillicoresPerUnit = n(app.cpu.millicoresPerUnit, 'cpu.millicoresPerUnit');
    if (app.cpu.load !== undefined) b.serviceCpuMillicores = Math.round(n(app.cpu.load, 'cpu.load') * b.cpuMillicoresPerUnit);
    const r = app.cpu.retriesWhileUnready;
    if (r) b.retriesWhileUnready = { service: r.service, factor: n(r.factor, 'cpu.retriesWhileUnready.factor') };
  }
  if (app.logs?.onStart) b.logs = app.logs.onStart.map(String);
  if (app.logs?.onFailure) b.failureLogs = app.logs.onFailure.map(String);
  if (app.logs?.periodic) b.periodicLogs = { everySeconds: n(app.logs.periodic.everySeconds, 'logs.periodic.everySeconds'), lines: app.logs.periodic.lines.map(String) };
  if (app.exit) {
    b.exitRules = app.exit.map(
      (r, i): ExitRule => ({
        when: r.when,
        exitCode: n(r.exitCode, `exit[${i}].exitCode`),
        ...(r.afterSeconds !== undefined ? { afterSeconds: n(r.afterSeconds, `exit[${i}].afterSeconds`) } : {}),
        ...(r.onlyFirstStarts !== undefined ? { onlyFirstStarts: n(r.onlyFirstStarts, `exit[${i}].onlyFirstStarts`) } : {}),
        ...(r.log !== undefined ? { log: r.log } : {}),
      }),
    );
    if (app.exit.some((r) => 'podStateCorrupt' in r.when)) b.corruptPods = corruptPods;
  }
  return b;
}

export function registryEntryOf(
  image: { image: string; pullSeconds?: unknown; requiresAuth?: { secretName: string }; app?: AppModel },
  corruptPods: string[],
): RegistryEntry {
  return {
    image: image.image,
    ...(image.requiresAuth ? { requiresAuth: { secretName: image.requiresAuth.secretName } } : {}),
    ...(image.pullSeconds !== undefined ? { pullSeconds: n(image.pullSeconds, 'pullSeconds') } : {}),
    ...(image.app ? { behaviour: behaviourOf(image.app, corruptPods) } : {}),
  };
}
