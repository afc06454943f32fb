import { describe, expect, it } from 'vitest';
import {
  applyState,
  CLOSE_CODES,
  type ClientMessage,
  COMMAND_OPS,
  clientMessageSchema,
  ERROR_REASONS,
  mayReconnect,
  PROTOCOL_LIMITS,
  PROTOCOL_VERSION,
  type RoomSnapshot,
  roomIdSchema,
  type ServerMessage,
  serverMessageSchema,
} from '../src/index.ts';

const snapshot: RoomSnapshot = {
  roomId: 'dev:lobby',
  seq: 7,
  playback: {
    rev: 3,
    itemId: 'demo-1',
    status: 'playing',
    positionMs: 1200,
    atServerMs: 1_700_000_000_000,
    rate: 1,
    waitUntil: null,
  },
  queue: [{ entryId: 'e1', itemId: 'demo-1', title: 'Clip', durationMs: 60_000, thumb: null, addedBy: 'u1' }],
  members: [{ userId: 'u1', name: 'Ada', avatar: null, role: 'host', state: 'ready' }],
  settings: { control: 'everyone' },
};

describe('client messages', () => {
  const valid: ClientMessage[] = [
    { type: 'hello', protocolVersion: 1, token: 't', roomId: 'dev:lobby' },
    { type: 'hello', protocolVersion: 1, token: 't', roomId: '123456789:987654321', instanceId: 'i-1', lastSeq: 4 },
    { type: 'ping', id: 0, t0: 123.5 },
    { type: 'command', id: 'c1', op: 'play' },
    { type: 'command', id: 'c2', op: 'pause' },
    { type: 'command', id: 'c3', op: 'seek', positionMs: 90_000 },
    { type: 'command', id: 'c4', op: 'load', itemId: '12345' },
    { type: 'command', id: 'c5', op: 'queue.add', itemId: 'demo-2' },
    { type: 'command', id: 'c6', op: 'queue.remove', entryId: 'e1' },
    { type: 'command', id: 'c7', op: 'queue.move', entryId: 'e2', index: 1 },
    { type: 'command', id: 'c8', op: 'next' },
    { type: 'command', id: 'c9', op: 'rate', rate: 1.5 },
    { type: 'command', id: 'c10', op: 'settings', control: 'hosts' },
    { type: 'command', id: 'c11', op: 'settings', autoplayNext: false },
    { type: 'command', id: 'c12', op: 'upnext.cancel' },
    { type: 'command', id: 'c13', op: 'upnext.play' },
    { type: 'command', id: 'c11', op: 'settings', reactions: false },
    { type: 'command', id: 'c12', op: 'react', emoji: '🔥' },
    { type: 'command', id: 'c13', op: 'react', emoji: '🍿' },
    { type: 'command', id: 'c14', op: 'host.grant', userId: 'u2' },
    { type: 'command', id: 'c15', op: 'host.resign' },
    { type: 'command', id: 'c16', op: 'remote.pass', userId: 'u2' },
    { type: 'command', id: 'c17', op: 'control.request' },
    { type: 'command', id: 'c18', op: 'control.answer', userId: 'u2', accept: false },
    { type: 'command', id: 'c19', op: 'member.remove', userId: 'u2' },
    { type: 'report', state: 'buffering', positionMs: 1000, rev: 2 },
  ];

  it.each(valid.map((m) => [m.type === 'command' ? `command ${m.op}` : m.type, m] as const))('accepts %s', (_, m) => {
    expect(clientMessageSchema.parse(m)).toEqual(m);
  });

  it('covers every command op with an example', () => {
    const ops = new Set(valid.flatMap((m) => (m.type === 'command' ? [m.op] : [])));
    expect([...ops].sort()).toEqual([...COMMAND_OPS].sort());
  });

  const invalid: [string, unknown][] = [
    ['an unknown type', { type: 'shout' }],
    ['a missing type', { token: 't' }],
    ['an unknown op', { type: 'command', id: 'c', op: 'explode' }],
    ['seek without a position', { type: 'command', id: 'c', op: 'seek' }],
    ['a negative position', { type: 'command', id: 'c', op: 'seek', positionMs: -1 }],
    ['an infinite position', { type: 'command', id: 'c', op: 'seek', positionMs: Number.POSITIVE_INFINITY }],
    ['a rate out of range', { type: 'command', id: 'c', op: 'rate', rate: 4 }],
    ['moving to the current slot', { type: 'command', id: 'c', op: 'queue.move', entryId: 'e', index: 0 }],
    ['an empty command id', { type: 'command', id: '', op: 'play' }],
    ['a malformed item id', { type: 'command', id: 'c', op: 'load', itemId: '../etc/passwd' }],
    ['a bad control mode', { type: 'command', id: 'c', op: 'settings', control: 'anyone' }],
    ['a non-boolean autoplayNext', { type: 'command', id: 'c', op: 'settings', autoplayNext: 'yes' }],
    ['an emoji outside the set', { type: 'command', id: 'c', op: 'react', emoji: '🦄' }],
    ['a reaction that is text', { type: 'command', id: 'c', op: 'react', emoji: 'lol' }],
    ['an answer without a verdict', { type: 'command', id: 'c', op: 'control.answer', userId: 'u2' }],
    ['a removal without a member', { type: 'command', id: 'c', op: 'member.remove' }],
    ['a reactions setting that is not a boolean', { type: 'command', id: 'c', op: 'settings', reactions: 'off' }],
    ['a room id of another shape', { type: 'hello', protocolVersion: 1, token: 't', roomId: 'lobby' }],
    ['hello without a token', { type: 'hello', protocolVersion: 1, roomId: 'dev:lobby' }],
    ['a fractional seq', { type: 'hello', protocolVersion: 1, token: 't', roomId: 'dev:a', lastSeq: 1.5 }],
    ['a report with an unknown state', { type: 'report', state: 'lagging', positionMs: 0, rev: 0 }],
    ['a ping without t0', { type: 'ping', id: 1 }],
    ['a string', 'hello'],
    ['null', null],
  ];

  it.each(invalid)('rejects %s', (_, value) => {
    expect(clientMessageSchema.safeParse(value).success).toBe(false);
  });

  it('parses any protocol version so the server can answer unsupported_version', () => {
    const hello = clientMessageSchema.parse({ type: 'hello', protocolVersion: 99, token: 't', roomId: 'dev:x' });
    expect(hello.type === 'hello' && hello.protocolVersion).toBe(99);
  });

  it('drops unknown fields rather than trusting them', () => {
    const parsed = clientMessageSchema.parse({ type: 'command', id: 'c', op: 'play', admin: true });
    expect(parsed).toEqual({ type: 'command', id: 'c', op: 'play' });
  });

  it('accepts both room id shapes and nothing else', () => {
    expect(roomIdSchema.safeParse('dev:movie_night-2').success).toBe(true);
    expect(roomIdSchema.safeParse('81384788765712384:81384788765712385').success).toBe(true);
    expect(roomIdSchema.safeParse('dev:').success).toBe(false);
    expect(roomIdSchema.safeParse('dev:a b').success).toBe(false);
    expect(roomIdSchema.safeParse('abc:def').success).toBe(false);
  });
});

describe('server messages', () => {
  const valid: ServerMessage[] = [
    {
      type: 'welcome',
      protocolVersion: PROTOCOL_VERSION,
      you: { userId: 'u1', name: 'Ada', avatar: null, connectionId: 'c-1' },
      serverTime: 1_700_000_000_000,
      snapshot,
      resumed: false,
    },
    { type: 'pong', id: 1, t0: 10, t1: 1_700_000_000_000, t2: 1_700_000_000_001 },
    {
      type: 'state',
      seq: 8,
      changes: { playback: { ...snapshot.playback, status: 'paused', rev: 4 } },
      cause: { type: 'command', op: 'pause', userId: 'u1' },
    },
    { type: 'state', seq: 9, changes: { members: [] }, cause: { type: 'member', event: 'left', userId: 'u1' } },
    { type: 'state', seq: 10, changes: {}, cause: { type: 'system', event: 'item-ended' } },
    { type: 'snapshot', reason: 'gap', snapshot },
    { type: 'ack', id: 'c1' },
    { type: 'error', id: 'c1', code: 'not_allowed', message: ERROR_REASONS.not_allowed },
    { type: 'error', code: 'bad_frame', message: 'Invalid command: seek needs positionMs' },
  ];

  it.each(valid.map((m) => [m.type, m] as const))('round-trips %s', (_, m) => {
    expect(serverMessageSchema.parse(JSON.parse(JSON.stringify(m)))).toEqual(m);
  });

  it('rejects a welcome for another protocol version and an unknown error code', () => {
    expect(serverMessageSchema.safeParse({ ...valid[0], protocolVersion: 2 }).success).toBe(false);
    expect(serverMessageSchema.safeParse({ type: 'error', code: 'oops', message: '' }).success).toBe(false);
    expect(serverMessageSchema.safeParse({ type: 'state', seq: 0, changes: {}, cause: valid[4] }).success).toBe(false);
  });

  it('applies a broadcast by replacing the sections it carries', () => {
    const paused = { ...snapshot.playback, status: 'paused' as const, rev: 4 };
    const next = applyState(snapshot, {
      type: 'state',
      seq: 8,
      changes: { playback: paused },
      cause: { type: 'command', op: 'pause', userId: 'u1' },
    });
    expect(next).toEqual({ ...snapshot, seq: 8, playback: paused });
    expect(snapshot.seq).toBe(7);
  });
});

describe('close codes and error reasons', () => {
  it('live in the 4000 range (besides the standard restart code), are unique, and say whether to reconnect', () => {
    const entries = Object.entries(CLOSE_CODES);
    const codes = entries.map(([, e]) => e.code);
    expect(new Set(codes).size).toBe(codes.length);
    for (const [name, entry] of entries) {
      if (name !== 'serviceRestart') expect(entry.code).toBeGreaterThanOrEqual(4000);
      expect(entry.code).toBeLessThan(5000);
      expect(typeof entry.reconnect).toBe('boolean');
    }
    expect(CLOSE_CODES.serviceRestart.code).toBe(1012);
  });

  it('tells a client when reconnecting cannot help', () => {
    expect(mayReconnect(CLOSE_CODES.serviceRestart.code)).toBe(true);
    expect(mayReconnect(CLOSE_CODES.helloTimeout.code)).toBe(true);
    expect(mayReconnect(CLOSE_CODES.unauthorized.code)).toBe(false);
    expect(mayReconnect(CLOSE_CODES.unsupportedVersion.code)).toBe(false);
    expect(mayReconnect(1006)).toBe(true);
    expect(mayReconnect(1009)).toBe(false);
  });

  it('gives every error reason a message', () => {
    for (const message of Object.values(ERROR_REASONS)) expect(message.length).toBeGreaterThan(5);
    expect(PROTOCOL_LIMITS.maxPayloadBytes).toBe(65_536);
  });
});
