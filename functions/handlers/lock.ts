import { lockStep } from '../app/steps/lock';
import { lambdaHandler } from '../runtime/lambda';

export const handler = lambdaHandler('lock', lockStep);
