import { selectStrategyStep } from '../app/steps/select-strategy';
import { lambdaHandler } from '../runtime/lambda';

export const handler = lambdaHandler('select-strategy', selectStrategyStep);
