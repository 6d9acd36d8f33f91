export { inSpan, STAGE_ATTRIBUTES } from './spans';
