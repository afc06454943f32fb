import { CLOSE_CODES } from '@dpp/shared';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RoomAudit } from '../../src/rooms/ports.ts';
import type { RoomEngine } from '../../src/rooms/room-engine.ts';
import { ManualClock, startEngine, TestClient } from './support/harness.ts';

/** Reactions, speed and the remote, through the engine with in-memory sockets and a manual clock. */
const ROOM = 'dev:series-night';

describe('room engine: reactions, speed and the remote', () => {
  let clock: ManualClock;
  let engine: RoomEngine;
  const clients: TestClient[] = [];
  const audited: { actorId: string; action: string; details: Record<string, unknown> }[] = [];
  const audit: RoomAudit = { record: ({ actorId, action, details }) => audited.push({ actorId, action, details }) };

  beforeEach(async () => {
    clock = new ManualClock();
    engine = await startEngine({ clock, audit });
  });
  afterEach(async () => {
    for (const client of clients.splice(0)) expect(client.problems).toEqual([]);
    audited.length = 0;
    await engine.close();
  });

  const settle = () => engine.idle();
  const advance = (ms: number) => clock.advance(ms, settle);

  async function join(userId: string) {
    const client = new TestClient(engine, userId);
    clients.push(client);
    client.hello(ROOM, userId);
    await client.flush();
    return client;
  }

  /** Runs a command and flushes: answers the ack or error frame. */
  async function run(client: TestClient, command: Record<string, unknown> & { op: string }) {
    const id = client.command(command);
    await client.flush();
    return client.replyTo(id);
  }

  /** Ada (host) plays m1 with Bob and Cy in the room, everyone ready. */
  async function playing() {
    const ada = await join('ada');
    const bob = await join('bob');
    const cy = await join('cy');
    await run(ada, { op: 'load', itemId: 'm1' });
    for (const c of [ada, bob, cy]) await c.report('ready', 0).flush();
    await advance(Math.max(0, (ada.snapshot?.playback.atServerMs ?? 0) - clock.now()) + 10_000);
    return { ada, bob, cy };
  }

  describe('reactions', () => {
    it('floats for everyone at one instant and pins a mark on the item’s timeline, with no user in it', async () => {
      const { ada, bob, cy } = await playing();
      expect(await run(bob, { op: 'react', emoji: '🔥' })).toMatchObject({ type: 'ack' });
      for (const c of [ada, bob, cy]) {
        expect(c.last('state')?.cause).toEqual({ type: 'command', op: 'react', userId: 'bob' });
      }
      const marks = ada.snapshot?.reactions;
      expect(marks).toHaveLength(1);
      const mark = marks![0]!;
      expect(Object.keys(mark).sort()).toEqual(['at', 'emoji', 'itemId', 'positionMs']);
      expect(mark).toMatchObject({ itemId: 'm1', emoji: '🔥' });
      // Shown a lead ahead, where the group will be then.
      expect(mark.at).toBeGreaterThan(clock.now());
      expect(mark.positionMs).toBe(10_000 + (mark.at - clock.now()));
      expect(bob.snapshot).toEqual(ada.snapshot);
      expect(cy.snapshot).toEqual(ada.snapshot);
    });

    it('places the mark where the room is at 1.5× speed', async () => {
      const { ada, bob } = await playing();
      await run(ada, { op: 'rate', rate: 1.5 });
      await advance(4_000);
      await run(bob, { op: 'react', emoji: '😂' });
      const mark = bob.snapshot?.reactions?.at(-1);
      expect(mark?.positionMs).toBe(Math.round(10_000 + 4_000 * 1.5 + (mark!.at - clock.now()) * 1.5));
    });

    it('refuses an emoji outside the set as a bad frame, and changes nothing', async () => {
      const { ada, bob } = await playing();
      const seq = ada.seq;
      await run(bob, { op: 'react', emoji: 'lol' });
      // An invalid frame is answered without its id (it was never read as a command).
      expect(bob.last('error')).toMatchObject({ code: 'bad_frame', message: expect.stringContaining('emoji') });
      expect(ada.seq).toBe(seq);
      expect(ada.snapshot?.reactions).toBeUndefined();
    });

    it('needs something playing', async () => {
      const ada = await join('ada');
      expect(await run(ada, { op: 'react', emoji: '👏' })).toMatchObject({ type: 'error', code: 'no_item' });
    });

    it('limits each member’s reactions: a burst, then about one a second', async () => {
      const { ada, bob } = await playing();
      const answers: string[] = [];
      for (let i = 0; i < 7; i++)
        answers.push(((await run(bob, { op: 'react', emoji: '👏' })) as { type: string }).type);
      expect(answers).toEqual(['ack', 'ack', 'ack', 'ack', 'ack', 'ack', 'error']);
      expect(bob.last('error')).toMatchObject({ code: 'rate_limited' });
      expect(ada.snapshot?.reactions).toHaveLength(6);
      // Another member is not held back by Bob's burst.
      expect(await run(ada, { op: 'react', emoji: '😮' })).toMatchObject({ type: 'ack' });
      await advance(1_000);
      expect(await run(bob, { op: 'react', emoji: '👏' })).toMatchObject({ type: 'ack' });
    });

    it('is off when a host turns the room setting off; only hosts may', async () => {
      const { ada, bob } = await playing();
      expect(await run(bob, { op: 'settings', reactions: false })).toMatchObject({ code: 'not_allowed' });
      expect(await run(ada, { op: 'settings', reactions: false })).toMatchObject({ type: 'ack' });
      expect(bob.snapshot?.settings).toEqual({ control: 'everyone', reactions: false });
      const seq = bob.seq;
      expect(await run(bob, { op: 'react', emoji: '🔥' })).toMatchObject({ type: 'error', code: 'reactions_off' });
      expect(bob.seq).toBe(seq);
      await run(ada, { op: 'settings', reactions: true });
      expect(await run(bob, { op: 'react', emoji: '🔥' })).toMatchObject({ type: 'ack' });
    });
  });

  describe('the remote (hosts mode)', () => {
    async function hostsRoom() {
      const parts = await playing();
      await run(parts.ada, { op: 'settings', control: 'hosts' });
      audited.length = 0;
      return parts;
    }
    const roles = (c: TestClient) => Object.fromEntries(c.snapshot!.members.map((m) => [m.userId, m.role]));

    it('lets a member ask for control and a host accept in one step', async () => {
      const { ada, bob } = await hostsRoom();
      expect(await run(bob, { op: 'pause' })).toMatchObject({ code: 'not_allowed' });
      expect(await run(bob, { op: 'control.request' })).toMatchObject({ type: 'ack' });
      expect(ada.snapshot?.members.find((m) => m.userId === 'bob')).toMatchObject({ role: 'member', asking: true });
      expect(await run(ada, { op: 'control.answer', userId: 'bob', accept: true })).toMatchObject({ type: 'ack' });
      const bobNow = ada.snapshot?.members.find((m) => m.userId === 'bob');
      expect(bobNow?.role).toBe('host');
      expect(bobNow?.asking).toBeUndefined();
      expect(await run(bob, { op: 'pause' })).toMatchObject({ type: 'ack' });
      expect(audited.map((a) => [a.actorId, a.action, a.details.userId])).toEqual([
        ['bob', 'room.control.request', undefined],
        ['ada', 'room.control.answer', 'bob'],
      ]);
      expect(audited[1]?.details).toMatchObject({ roomId: ROOM, accept: true });
    });

    it('lets a host decline, and only hosts answer', async () => {
      const { ada, bob, cy } = await hostsRoom();
      await run(bob, { op: 'control.request' });
      expect(await run(cy, { op: 'control.answer', userId: 'bob', accept: true })).toMatchObject({
        code: 'not_allowed',
      });
      expect(await run(ada, { op: 'control.answer', userId: 'bob', accept: false })).toMatchObject({ type: 'ack' });
      expect(roles(ada)).toEqual({ ada: 'host', bob: 'member', cy: 'member' });
      expect(ada.snapshot?.members.some((m) => m.asking)).toBe(false);
      expect(await run(ada, { op: 'control.answer', userId: 'bob', accept: true })).toMatchObject({
        code: 'unknown_member',
      });
    });

    it('passes the remote: the member becomes the only host, the creator included', async () => {
      const { ada, bob, cy } = await hostsRoom();
      await run(ada, { op: 'host.grant', userId: 'cy' });
      expect(roles(bob)).toEqual({ ada: 'host', bob: 'member', cy: 'host' });
      expect(await run(ada, { op: 'remote.pass', userId: 'bob' })).toMatchObject({ type: 'ack' });
      expect(roles(cy)).toEqual({ ada: 'member', bob: 'host', cy: 'member' });
      expect(await run(ada, { op: 'pause' })).toMatchObject({ code: 'not_allowed' });
      expect(await run(cy, { op: 'pause' })).toMatchObject({ code: 'not_allowed' });
      expect(await run(bob, { op: 'pause' })).toMatchObject({ type: 'ack' });
      expect(audited.map((a) => a.action)).toEqual(['room.host.grant', 'room.remote.pass']);
    });

    it('lets a host give up being host, handing the remote on when nobody else holds it', async () => {
      const { ada, bob } = await hostsRoom();
      await run(bob, { op: 'control.request' });
      expect(await run(ada, { op: 'host.resign' })).toMatchObject({ type: 'ack' });
      // Bob was asking: the remote goes to him.
      expect(roles(ada)).toEqual({ ada: 'member', bob: 'host', cy: 'member' });
      expect(await run(ada, { op: 'play' })).toMatchObject({ code: 'not_allowed' });
    });

    it('refuses the host ops to members and unknown targets, changing nothing', async () => {
      const { ada, bob } = await hostsRoom();
      const seq = ada.seq;
      expect(await run(bob, { op: 'host.grant', userId: 'bob' })).toMatchObject({ code: 'not_allowed' });
      expect(await run(bob, { op: 'remote.pass', userId: 'cy' })).toMatchObject({ code: 'not_allowed' });
      expect(await run(bob, { op: 'member.remove', userId: 'cy' })).toMatchObject({ code: 'not_allowed' });
      expect(await run(ada, { op: 'host.grant', userId: 'nobody' })).toMatchObject({ code: 'unknown_member' });
      expect(ada.seq).toBe(seq);
      expect(audited).toEqual([]);
    });

    it('removes a member for the room’s life: their socket closes and they cannot come back', async () => {
      const { ada, bob, cy } = await hostsRoom();
      expect(await run(ada, { op: 'member.remove', userId: 'cy' })).toMatchObject({ type: 'ack' });
      await settle();
      await expect.poll(() => cy.closeCode).toBe(CLOSE_CODES.forbidden.code);
      expect(cy.last('error')).toMatchObject({ code: 'removed' });
      expect(bob.snapshot?.members.map((m) => m.userId)).toEqual(['ada', 'bob']);
      expect(audited).toEqual([
        { actorId: 'ada', action: 'room.member.remove', details: { roomId: ROOM, userId: 'cy' } },
      ]);

      const again = new TestClient(engine, 'cy');
      again.hello(ROOM, 'cy');
      await again.flush();
      expect(again.last('error')).toMatchObject({ code: 'forbidden' });
      expect(again.closeCode).toBe(CLOSE_CODES.forbidden.code);
      expect(bob.snapshot?.members.map((m) => m.userId)).toEqual(['ada', 'bob']);
    });

    it('keeps a removed user out when the bot reports them in the voice channel, and refuses their commands', async () => {
      const { ada } = await hostsRoom();
      await run(ada, { op: 'member.remove', userId: 'cy' });
      await engine.voice(ROOM, { userId: 'cy', name: 'Cy', avatar: null }, true);
      expect((await engine.snapshot(ROOM))?.members.map((m) => m.userId)).toEqual(['ada', 'bob']);
      await run(ada, { op: 'settings', control: 'everyone' });
      const result = await engine.command(ROOM, { userId: 'cy', name: 'Cy', avatar: null }, { op: 'pause' });
      expect(result).toMatchObject({ ok: false, code: 'not_allowed' });
    });

    it('lets a guild admin remove a member through the same rules as the bot API', async () => {
      await engine.close();
      engine = await startEngine({ clock, audit, privileges: async (_room, userId) => userId === 'mod' });
      const { ada, bob } = await hostsRoom();
      const refused = await engine.command(
        ROOM,
        { userId: 'eve', name: 'Eve', avatar: null },
        {
          op: 'member.remove',
          userId: 'bob',
        },
      );
      expect(refused).toMatchObject({ ok: false, code: 'not_allowed' });
      const result = await engine.command(
        ROOM,
        { userId: 'mod', name: 'Mod', avatar: null },
        {
          op: 'member.remove',
          userId: 'bob',
        },
      );
      expect(result.ok).toBe(true);
      await settle();
      await expect.poll(() => bob.closeCode).toBe(CLOSE_CODES.forbidden.code);
      expect(ada.snapshot?.members.map((m) => m.userId)).toEqual(['ada', 'cy']);
      expect(audited.map((a) => [a.actorId, a.action])).toEqual([['mod', 'room.member.remove']]);
    });
  });
});
