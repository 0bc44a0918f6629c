/** Public surface of the shared package: schemas, types and pure rules used by client, server and CLI. */
export * from './api';
export * from './discovery';
export * from './errors';
export * from './exercise';
export * from './interop';
export * from './lab';
export * from './layout';
export * from './live';
export * from './migrate';
export * from './migrations';
export * from './names';
export * from './plan';
export * from './status';
export * from './tools';
export * from './tunnels';
export * from './validate';
export * from './wireguard';
