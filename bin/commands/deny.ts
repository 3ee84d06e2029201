import { denyCommand } from './approve';

export const command = denyCommand;
