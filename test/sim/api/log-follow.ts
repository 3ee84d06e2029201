/**
 * `pods/{name}/log?follow=true` (kubectl logs -f): what the container has
 * written, then each new line as the kubelet side appends it, until the
 * container instance ends (it terminates, restarts, or the pod is deleted),
 * the client goes away, or the server stops — as the kubelet streams it.
 * `limitBytes` applies to the initial part only.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isObject, type Json } from './defaults';
import { formatLine, type ReadLogOptions } from './logs';
import type { ObjectStore } from './store';

function containerTerminated(pod: Json, container: string): boolean {
  const status = isObject(pod.status) ? pod.status : {};
  const all = [...(Array.isArray(status.containerStatuses) ? status.containerStatuses : []), ...(Array.isArray(status.initContainerStatuses) ? status.initContainerStatuses : [])];
  const mine = all.find((s) => isObject(s) && s.name === container);
  return isObject(mine) && isObject(mine.state) && isObject(mine.state.terminated);
}

export function followLog(
  store: ObjectStore,
  open: Set<ServerResponse>,
  req: IncomingMessage,
  res: ServerResponse,
  target: { namespace: string; name: string; container: string | undefined },
  options: ReadLogOptions,
): void {
  const { namespace, name } = target;
  const initial = store.readLog(namespace, name, target.container, options);
  if (initial === undefined) {
    res.writeHead(204);
    res.end();
    return;
  }
  const pod = store.mustGet('pods', namespace, name);
  const container = target.container ?? String(((pod.spec as Json).containers as Json[])[0]!.name);
  res.writeHead(200, { 'Content-Type': 'text/plain', 'Transfer-Encoding': 'chunked', 'Cache-Control': 'no-cache, private' });
  res.write(initial);
  if (options.previous || containerTerminated(pod, container)) {
    res.end();
    return;
  }
  let closed = false;
  const close = (): void => {
    if (closed) return;
    closed = true;
    unfollow();
    unwatch();
    open.delete(res);
    if (!res.writableEnded) res.end();
  };
  const unfollow = store.logs.follow(namespace, name, container, {
    line: (l) => res.write(`${formatLine(l, options.timestamps ?? false)}\n`),
    end: close,
  });
  const unwatch = store.hub.subscribe((change) => {
    if (change.resource !== 'pods' || change.namespace !== namespace) return;
    const object = change.object;
    if ((object.metadata as Json | undefined)?.name !== name) return;
    if (change.type === 'DELETED' || containerTerminated(object, container)) close();
  });
  open.add(res);
  req.on('close', close);
  res.on('close', close);
}
