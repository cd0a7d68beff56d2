// Everything the worker bundles as workflow code.
export { CallWorkflow } from './call-workflow';
export { CallSlotsWorkflow } from './call-slots-workflow';
