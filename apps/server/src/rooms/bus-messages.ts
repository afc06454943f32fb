import { stateSchema } from '@dpp/shared';
import { z } from 'zod';

/**
 * What the rooms publish on the event bus, parsed with these schemas when it comes back (the bus is
 * shared by every instance, and Redis hands back whatever JSON it holds).
 */

/** Each room's channel: every write that changes what clients see, with its broadcast frame. */
export const roomChannel = (roomId: string) => `room:${roomId}`;

export const envelopeSchema = z.object({
  epoch: z.string(),
  frame: stateSchema,
  /** When the input that caused it was accepted (performance clock, ms), for the latency histogram. */
  acceptedAt: z.number(),
});
export type Envelope = z.infer<typeof envelopeSchema>;

/** One channel for the room events of every instance. */
export const EVENTS_CHANNEL = 'rooms:events';

export const roomEventSchema = z.discriminatedUnion('kind', [
  /** The current item changed (a new item, or nothing). */
  z.object({ kind: z.literal('item'), roomId: z.string(), itemId: z.string().nullable() }),
  /** A member was removed: whichever instance holds their sockets closes them. */
  z.object({ kind: z.literal('removed'), roomId: z.string(), userId: z.string() }),
  /** The room was closed (its last member left, or it was ended). */
  z.object({ kind: z.literal('empty'), roomId: z.string() }),
  z.object({ kind: z.literal('created'), roomId: z.string() }),
]);
export type RoomEventMessage = z.infer<typeof roomEventSchema>;
