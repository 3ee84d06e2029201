import { handleActionPayload } from '../app/action-api/router';
import { lambdaHandler } from '../runtime/lambda';

/** The direct action API: `{"action": ..., "cluster_name": ...}` → `{ok, ...}`; never throws. */
export const handler = lambdaHandler('actions', handleActionPayload);
