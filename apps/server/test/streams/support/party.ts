import { WebSocket } from 'ws';
import { devSignIn } from '../../../../../tests/support/dev-sign-in.ts';
import { waitFor } from '../../../../../tests/support/wait.ts';

/** A guest signed in through the dev auth, joined to a room over the real WebSocket. */
export interface Member {
  name: string;
  token: string;
  userId: string;
  socket: WebSocket;
  /** Every frame the server sent, parsed. */
  frames: { type: string; id?: string; code?: string }[];
  /** Authorization header for the REST API. */
  auth: { authorization: string };
}

export { devSignIn as signIn };

export async function join(baseUrl: string, roomId: string, name: string): Promise<Member> {
  const { token, userId } = await devSignIn(baseUrl, name);
  const socket = new WebSocket(`${baseUrl.replace(/^http/, 'ws')}/ws`);
  const frames: Member['frames'] = [];
  socket.on('message', (data) => frames.push(JSON.parse(String(data))));
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
  });
  socket.send(JSON.stringify({ type: 'hello', protocolVersion: 1, token, roomId }));
  await waitFor(() => frames.some((f) => f.type === 'welcome'), { what: `${name}'s welcome` });
  return { name, token, userId, socket, frames, auth: { authorization: `Bearer ${token}` } };
}

let commandSeq = 0;

/** Sends a command and waits for its ack (fails on an error frame). */
export async function command(member: Member, intent: Record<string, unknown>): Promise<void> {
  const id = `c${++commandSeq}`;
  member.socket.send(JSON.stringify({ type: 'command', id, ...intent }));
  const reply = await waitFor(
    () => member.frames.find((f) => f.id === id && (f.type === 'ack' || f.type === 'error')),
    {
      what: `the answer to ${String(intent.op)}`,
    },
  );
  if (reply.type === 'error') throw new Error(`${String(intent.op)} refused: ${JSON.stringify(reply)}`);
}

/**
 * Loads an item and pauses it: a playing room moves past its item when the item's time is up (the
 * demo clips last 30 s), and a paused one keeps it current for as long as the test needs it.
 */
export async function loadPaused(member: Member, itemId: string): Promise<void> {
  await command(member, { op: 'load', itemId });
  await command(member, { op: 'pause' });
}

/** Closes the socket deliberately (code 1000): the member leaves at once. */
export async function leave(member: Member): Promise<void> {
  if (member.socket.readyState === WebSocket.CLOSED) return;
  const closed = new Promise((resolve) => member.socket.once('close', resolve));
  member.socket.close(1000, 'bye');
  await closed;
}

/** The stream offer a member gets (`GET /api/rooms/:id/stream`); throws on anything but 200. */
export interface StreamOffer {
  kind: string;
  url: string;
  mimeType: string;
  subtitles: { label: string; language: string; url: string }[];
}

/**
 * The parties of one test file on one server: each opened with its first member loading an item
 * (paused), every member remembered so `leaveAll` can close them after the tests.
 */
export class Parties {
  private readonly members: Member[] = [];

  constructor(private readonly baseUrl: () => string) {}

  async open(roomId: string, size: number, itemId: string): Promise<Member[]> {
    const joined: Member[] = [];
    for (let i = 0; i < size; i++) joined.push(await this.join(roomId, `Viewer ${i + 1}`));
    await loadPaused(joined[0] as Member, itemId);
    return joined;
  }

  async join(roomId: string, name: string): Promise<Member> {
    const member = await join(this.baseUrl(), roomId, name);
    this.members.push(member);
    return member;
  }

  async offer(member: Member, roomId: string, quality: string): Promise<StreamOffer> {
    const response = await fetch(`${this.baseUrl()}/api/rooms/${roomId}/stream?quality=${quality}`, {
      headers: member.auth,
    });
    const body = (await response.json()) as StreamOffer;
    if (response.status !== 200) throw new Error(`offer: ${response.status} ${JSON.stringify(body)}`);
    return body;
  }

  async leaveAll(): Promise<void> {
    await Promise.all(this.members.splice(0).map(leave));
  }
}
