/** The netlink Observers (see ../observer.ts): one agent request per read, or the notification-fed cache. */
import type { AfterExecute, ObserveOpts, Observer } from '../observer';
import type { ObservedState } from '../types';
import type { ObservationCache } from './cache';
import type { NetlinkDriver } from './driver';
import { observeNetlink } from './observe';

/** A full read through the driver's agent each time (a re-observation is one request too). */
export class NetlinkObserver implements Observer {
  readonly kind = 'netlink';
  constructor(private readonly nl: NetlinkDriver) {}
  observe(): Promise<ObservedState> {
    return observeNetlink(this.nl);
  }
  reobserve(_after: AfterExecute): Promise<ObservedState> {
    return observeNetlink(this.nl);
  }
}

/** From this many operations on, the cache stops listening while they run (and then reads everything). */
export const LARGE_CHANGE_OPS = 64;

/** The observation kept current by kernel notifications: a re-observation reads only what notified. */
export class CachedObserver implements Observer {
  readonly kind = 'cached';
  constructor(private readonly cache: ObservationCache) {}
  observe(opts?: ObserveOpts): Promise<ObservedState> {
    return this.cache.observe(opts);
  }
  reobserve(_after: AfterExecute): Promise<ObservedState> {
    return this.cache.observe();
  }
  async beforeExecute(count: number): Promise<void> {
    if (count >= LARGE_CHANGE_OPS) await this.cache.pause();
  }
}
