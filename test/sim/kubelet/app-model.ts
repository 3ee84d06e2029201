import type { ImageBehaviour } from '../registry';
import { MI } from './quantity';

/**
 * The memory side of an image's application model (test/sim/registry.ts),
 * as pure functions of uptime: what the eviction manager measures and when
 * the kernel's OOM killer ends the process.
 */

/** Working set of one container `uptime` ms after start, from its behaviour model (ramp, leak, spikes). */
export function memoryAt(b: ImageBehaviour, uptime: number): number {
  const ramp = (b.memoryRampSeconds ?? 2) * 1000;
  let mi = (b.memoryMi ?? 0) * Math.min(1, uptime / Math.max(ramp, 1));
  mi += ((b.memoryGrowthMiPerMinute ?? 0) * uptime) / 60_000;
  const s = b.memorySpikes;
  if (s && s.everySeconds > 0 && uptime >= s.everySeconds * 1000 && uptime % (s.everySeconds * 1000) < (s.durationSeconds ?? 10) * 1000) mi += s.extraMi;
  return mi * MI;
}

/** When a container started at `since` first uses more than `limit` bytes (OOMKilled), if ever. */
export function oomTime(b: ImageBehaviour, limit: number, since: number): number | undefined {
  if (b.memoryMi === undefined) return undefined;
  const ramp = (b.memoryRampSeconds ?? 2) * 1000;
  const limitMi = limit / MI;
  // Over the limit at its steady size: killed as it reaches it.
  if (b.memoryMi > limitMi) return since + ramp;
  const candidates: number[] = [];
  const growth = b.memoryGrowthMiPerMinute ?? 0;
  if (growth > 0) candidates.push(since + Math.max(ramp, Math.floor(((limitMi - b.memoryMi) / growth) * 60_000) + 1));
  const s = b.memorySpikes;
  if (s && s.everySeconds > 0) {
    const every = s.everySeconds * 1000;
    const headroom = limitMi - b.memoryMi - s.extraMi;
    let k: number | undefined;
    if (headroom < 0) k = 1;
    else if (growth > 0) k = Math.floor(headroom / ((growth * every) / 60_000)) + 1;
    if (k !== undefined) candidates.push(since + k * every);
  }
  return candidates.length ? Math.min(...candidates) : undefined;
}
