/** A kubeconfig for the simulated server: its URL, its CA (inline) and its bearer token. */

export function kubeconfigYaml(options: { url: string; caPem?: string; token: string; context?: string }): string {
  const context = options.context ?? 'eks-reflexion-sim';
  const cluster = options.caPem
    ? `    certificate-authority-data: ${Buffer.from(options.caPem, 'utf8').toString('base64')}\n    server: ${options.url}`
    : `    server: ${options.url}`;
  return [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    '- cluster:',
    cluster,
    `  name: ${context}`,
    'contexts:',
    '- context:',
    `    cluster: ${context}`,
    '    namespace: default',
    `    user: ${context}`,
    `  name: ${context}`,
    `current-context: ${context}`,
    'preferences: {}',
    'users:',
    `- name: ${context}`,
    '  user:',
    `    token: ${options.token}`,
    '',
  ].join('\n');
}
