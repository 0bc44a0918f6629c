/** Everything discovery offers, for lazy import by the HTTP layer (service.ts). */
export { observe } from '../engine/observe';
export * from './adopt';
export * from './diff';
export * from './discover';
export * from './report';
export * from './toLab';
