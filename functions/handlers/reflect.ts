import { reflectStep } from '../app/steps/reflect';
import { lambdaHandler } from '../runtime/lambda';

export const handler = lambdaHandler('reflect', reflectStep);
