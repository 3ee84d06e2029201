import { loadStreamFamilies } from './stream-families';
import { runUnit, type StreamUnit, type UnitContext } from './stream-unit';

/**
 * A worker process of the stream benchmark (forked by stream.ts with tsx):
 * it loads the families itself (scenarios hold functions, which do not cross
 * processes), then runs the units it is sent and reports each incident's
 * record as soon as it is measured.
 */
export type ToWorker =
  | { type: 'init'; familiesDir?: string; context: Omit<UnitContext, 'scenarios' | 'logger' | 'onVisit' | 'onRun'> }
  | { type: 'unit'; unit: StreamUnit }
  | { type: 'stop' };

export type FromWorker =
  | { type: 'ready' }
  | { type: 'record'; record: import('./stream-metrics').StreamIncident }
  | { type: 'done'; stream: number; arm: string }
  | { type: 'error'; message: string };

let context: UnitContext | undefined;
const send = (message: FromWorker) => new Promise<void>((resolve) => process.send!(message, undefined, {}, () => resolve()));

process.on('message', (message: ToWorker) => {
  void (async () => {
    try {
      if (message.type === 'init') {
        context = { ...message.context, scenarios: loadStreamFamilies(message.familiesDir).scenarios };
        await send({ type: 'ready' });
      } else if (message.type === 'unit') {
        if (!context) throw new Error('unit before init');
        await runUnit(message.unit, context, (record) => send({ type: 'record', record }));
        await send({ type: 'done', stream: message.unit.stream, arm: message.unit.arm });
      } else {
        process.exit(0);
      }
    } catch (error) {
      await send({ type: 'error', message: error instanceof Error ? (error.stack ?? error.message) : String(error) });
      process.exit(1);
    }
  })();
});
