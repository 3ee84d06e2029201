import { verifyStep } from '../app/steps/verify';
import { lambdaHandler } from '../runtime/lambda';

export const handler = lambdaHandler('verify', verifyStep);
