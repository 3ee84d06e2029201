import { remediateStep } from '../app/steps/remediate';
import { lambdaHandler } from '../runtime/lambda';

export const handler = lambdaHandler('remediate', remediateStep);
