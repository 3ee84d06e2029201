import { detectStep } from '../app/steps/detect';
import { lambdaHandler } from '../runtime/lambda';

/** EventBridge schedule target: the event itself carries nothing we need. */
export const handler = lambdaHandler('detect', (deps) => detectStep(deps, 'schedule'));
