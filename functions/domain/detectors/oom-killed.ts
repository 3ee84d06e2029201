import type { FactOf } from '../facts';
import type { PodDetector } from './types';
import { clip, containerLabel, containerSpecOf, quantityAsNumber, secondsSince, statusesOf, type StatusRef } from './common';

/** An OOM kill this old on a container that is ready again is history, not an incident. */
const RECENT_OOM_SECONDS = 1800;

function oomState(ref: StatusRef, now: number): 'current' | 'last' | undefined {
  const s = ref.status;
  if (s.state?.terminated?.reason === 'OOMKilled') return 'current';
  const last = s.lastState?.terminated;
  if (last?.reason !== 'OOMKilled') return undefined;
  if (s.state?.waiting || s.ready !== true) return 'last';
  const ago = secondsSince(last.finishedAt, now);
  return ago !== undefined && ago <= RECENT_OOM_SECONDS ? 'last' : undefined;
}

/** A container killed for exceeding memory (its limit, or the node's memory when it has none). */
export const oomKilledDetector: PodDetector = {
  kind: 'OOMKilled',
  scope: 'pod',
  detect(pod, ctx) {
    const killed = statusesOf(pod).filter((ref) => oomState(ref, ctx.now) !== undefined);
    const first = killed[0];
    if (!first) return undefined;
    const spec = containerSpecOf(pod, first.status.name);
    const limit = spec?.resources?.limits?.memory;
    const request = spec?.resources?.requests?.memory;
    const facts = killed.map((ref): FactOf<'OOMKilled'> => {
      const resources = containerSpecOf(pod, ref.status.name)?.resources;
      const lim = resources?.limits?.memory;
      const req = resources?.requests?.memory;
      const limBytes = quantityAsNumber(lim);
      const reqBytes = quantityAsNumber(req);
      return {
        kind: 'OOMKilled',
        container: ref.status.name ?? '',
        init: ref.init,
        restartCount: ref.status.restartCount ?? 0,
        ...(lim !== undefined ? { memoryLimit: clip(String(lim), 64) } : {}),
        ...(limBytes !== undefined ? { memoryLimitBytes: limBytes } : {}),
        ...(req !== undefined ? { memoryRequest: clip(String(req), 64) } : {}),
        ...(reqBytes !== undefined ? { memoryRequestBytes: reqBytes } : {}),
      };
    });
    const notes = [`memory request ${request ?? 'none'}, limit ${limit ?? 'none'}`];
    const unknowns = ['peak memory use before the kill (no metrics in the snapshot)'];
    if (!spec) unknowns.push('the container spec (resources) of the killed container');
    return {
      kind: 'OOMKilled',
      subReason: limit ? 'memory-limit' : 'no-memory-limit',
      reason: 'OOMKilled',
      message: clip(
        `${containerLabel(first)} was OOM-killed (${first.status.restartCount ?? 0} restarts) with memory limit ${limit ?? 'none'}`,
        2000,
      ),
      containers: killed.map((k) => k.status.name ?? ''),
      facts,
      notes,
      unknowns,
    };
  },
};
