import { requestApprovalStep } from '../app/steps/request-approval';
import { lambdaHandler } from '../runtime/lambda';

export const handler = lambdaHandler('approval', requestApprovalStep);
