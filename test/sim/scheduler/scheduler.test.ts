import { describe, expect, it } from 'vitest';
import type { Node, Pod } from '../../../functions/domain/k8s';
import { fitPod, podRequests, unschedulableMessage } from './scheduler';

/** The scheduler emulator's fit rules and message, as pure functions (no server). */

const node = (name: string, extra: Partial<Node> = {}, labels: Record<string, string> = {}): Node => ({
  metadata: { name, labels: { 'kubernetes.io/hostname': name, ...labels } },
  spec: extra.spec ?? {},
  status: { allocatable: { cpu: '4', memory: '8Gi', pods: '110' }, conditions: [{ type: 'Ready', status: 'True' }], ...extra.status },
});
const pod = (requests: Record<string, string>, spec: Partial<NonNullable<Pod['spec']>> = {}): Pod => ({
  metadata: { name: 'p', namespace: 'default' },
  spec: { containers: [{ name: 'app', resources: { requests } }], ...spec },
});

describe('fitPod and unschedulableMessage', () => {
  const nodes = [node('a'), node('b', {}, { disk: 'ssd' }), node('c', { spec: { taints: [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }] } })];

  // A node reports only its first failing filter, as in the scheduling framework.
  it.each([
    // Fits everywhere except the tainted node: the common case.
    { why: 'small pod', p: pod({ cpu: '100m', memory: '128Mi' }), fits: ['a', 'b'], message: '0/3 nodes are available: 1 node(s) had untolerated taint {dedicated: gpu}.' },
    // Requests above allocatable on every node: the oversized-requests fault (both cpu and memory would be listed).
    { why: 'too much memory', p: pod({ memory: '9Gi' }), fits: [], message: '0/3 nodes are available: 1 node(s) had untolerated taint {dedicated: gpu}, 2 Insufficient memory.' },
    // A selector only one node satisfies.
    { why: 'node selector', p: pod({}, { nodeSelector: { disk: 'ssd' } }), fits: ['b'], message: undefined },
    // A selector no node satisfies: the node-selector fault.
    { why: 'selector matches nothing', p: pod({}, { nodeSelector: { disk: 'nvme' } }), fits: [], message: "0/3 nodes are available: 1 node(s) had untolerated taint {dedicated: gpu}, 2 node(s) didn't match Pod's node affinity/selector." },
    // A toleration opens the tainted node.
    { why: 'toleration', p: pod({}, { tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'gpu', effect: 'NoSchedule' }] }), fits: ['a', 'b', 'c'], message: undefined },
    // Exists without a key tolerates every taint.
    { why: 'tolerate everything', p: pod({}, { tolerations: [{ operator: 'Exists' }] }), fits: ['a', 'b', 'c'], message: undefined },
  ])('$why', ({ p, fits, message }) => {
    const result = fitPod(p, nodes, new Map());
    expect(result.filter((f) => f.fails.length === 0).map((f) => f.node)).toEqual(fits);
    if (message) expect(unschedulableMessage(result)).toBe(message);
  });

  it('counts the requests of pods already on a node against its allocatable', () => {
    // Arrange: node a already carries 7Gi; 2Gi more fits only elsewhere.
    const onNodes = new Map([['a', [pod({ memory: '7Gi' })]]]);
    // Act
    const result = fitPod(pod({ memory: '2Gi' }), [node('a'), node('b')], onNodes);
    // Assert
    expect(result).toEqual([
      { node: 'a', fails: ['Insufficient memory'] },
      { node: 'b', fails: [] },
    ]);
  });

  it("lists every insufficient resource of a node, in the scheduler's order", () => {
    expect(fitPod(pod({ cpu: '5', memory: '9Gi' }), [node('a')], new Map())).toEqual([{ node: 'a', fails: ['Insufficient cpu', 'Insufficient memory'] }]);
  });

  it('treats a node that is not Ready as tainted not-ready, like the node lifecycle taint', () => {
    const notReady = node('x', { status: { conditions: [{ type: 'Ready', status: 'False' }] } });
    expect(unschedulableMessage(fitPod(pod({}), [notReady], new Map()))).toBe('0/1 nodes are available: 1 node(s) had untolerated taint {node.kubernetes.io/not-ready: }.');
  });

  it('sums container requests and takes the max of init containers', () => {
    const p: Pod = {
      spec: {
        initContainers: [{ resources: { requests: { cpu: '2', memory: '1Gi' } } }],
        containers: [{ resources: { requests: { cpu: '500m', memory: '256Mi' } } }, { resources: { requests: { cpu: '250m' } } }],
      },
    };
    expect(podRequests(p)).toEqual({ cpu: 2, memory: 2 ** 30 });
  });
});
