import { analyseStep } from '../app/steps/analyse';
import { lambdaHandler } from '../runtime/lambda';

export const handler = lambdaHandler('analyse', analyseStep);
