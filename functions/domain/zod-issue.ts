import type { z } from 'zod';

/**
 * The one zod error formatter: `field: problem`, in words an operator reads
 * without knowing zod. Every boundary (payloads, workflow state, env,
 * parameters, stored items, CLI input) reports through it.
 */
export function describeZodIssueText(issue: z.core.$ZodIssue): string {
  const field = issue.path.map(String).join('.');
  let problem: string;
  switch (issue.code) {
    case 'too_big':
      problem = `must be <= ${String(issue.maximum)}${issue.origin === 'string' ? ' characters' : issue.origin === 'array' ? ' items' : ''}`;
      break;
    case 'too_small':
      problem = `must be >= ${String(issue.minimum)}${issue.origin === 'string' ? ' characters' : issue.origin === 'array' ? ' items' : ''}`;
      break;
    case 'invalid_type':
      problem = `expected ${issue.expected}`;
      break;
    case 'unrecognized_keys':
      return `${field ? `${field}: ` : ''}unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `'${k}'`).join(', ')}`;
    default:
      problem = issue.message;
  }
  return `${field || 'payload'}: ${problem}`;
}

/** The first issue of an error as `{field, message}`; `field` is the dotted path, `(root)` for the whole value. */
export function describeZodIssue(error: z.ZodError): { field: string; message: string } {
  const issue = error.issues[0];
  const field = issue && issue.path.length > 0 ? issue.path.join('.') : '(root)';
  return { field, message: `${field}: ${issue?.message ?? 'invalid'}` };
}
