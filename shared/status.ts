/** Status: what the server observed of a lab on the host, streamed to the canvas. Not undoable, not stored. */
import * as z from 'zod';

export const ObjectState = z.enum(['absent', 'pending', 'ready', 'drifted', 'failed', 'conflict']);
export type ObjectState = z.infer<typeof ObjectState>;

/** Kubernetes-style condition: an adjective type, a CamelCase reason, a sentence for people. */
export const Condition = z.strictObject({
  type: z.string(), // e.g. Ready, Drifted, Conflict, Failed
  status: z.boolean(),
  reason: z.string(), // e.g. VethMissing, AddressMissing, ApplyFailedRolledBack
  message: z.string(),
});
export type Condition = z.infer<typeof Condition>;

export const Counters = z.strictObject({
  rxBytes: z.number(),
  txBytes: z.number(),
  rxPackets: z.number(),
  txPackets: z.number(),
});
export type Counters = z.infer<typeof Counters>;

/**
 * Status of one object of the lab. Keys: node ids, link ids, and endpoint keys `${linkId}#0` / `${linkId}#1`
 * (see `endpointKey`).
 */
export const ObjectStatus = z.strictObject({
  id: z.string(),
  state: ObjectState,
  /** Kernel operstate of the interface (UP, DOWN, LOWERLAYERDOWN, UNKNOWN), for interfaces. */
  operstate: z.string().optional(),
  ifindex: z.number().optional(),
  addresses: z.array(z.string()).optional(),
  mtu: z.number().optional(),
  mac: z.string().optional(),
  counters: Counters.optional(),
  /** Bytes per second, computed by the server from successive counter samples. */
  rates: z.strictObject({ rxBps: z.number(), txBps: z.number() }).optional(),
  conditions: z.array(Condition).default([]),
  /** WireGuard interfaces: the device as its UAPI (or `wg show`) reports it. Public keys only. */
  wireguard: z
    .strictObject({
      mode: z.enum(['kernel', 'userspace']),
      /** The wireguard-go daemon runs (userspace) / the device answers (kernel). */
      running: z.boolean(),
      pid: z.number().optional(),
      publicKey: z.string().nullable(),
      listenPort: z.number().nullable(),
      peers: z.array(
        z.strictObject({
          publicKey: z.string(),
          endpoint: z.string().optional(),
          allowedIps: z.array(z.string()),
          /** Milliseconds since the epoch of the last handshake; null = none yet. */
          lastHandshakeMs: z.number().nullable(),
          rxBytes: z.number(),
          txBytes: z.number(),
        }),
      ),
    })
    .optional(),
});
export type ObjectStatus = z.infer<typeof ObjectStatus>;

export const LabStatus = z.strictObject({
  lab: z.string(),
  /** Revision of the lab document this status was computed against. */
  observedRevision: z.number().int(),
  /** Revision last applied successfully, or null if the lab is not applied. */
  appliedRevision: z.number().int().nullable(),
  at: z.string(), // ISO time of the sample
  objects: z.record(z.string(), ObjectStatus),
});
export type LabStatus = z.infer<typeof LabStatus>;

export const endpointKey = (linkId: string, end: 0 | 1): string => `${linkId}#${end}`;
