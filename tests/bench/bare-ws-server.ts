/**
 * The baseline for `pnpm bench:rooms`: a bare `ws` server doing the same broadcast pattern as the
 * room server with none of its work (no auth, validation, room store or permissions). Clients say
 * `hello {roomId}`; a `command` from any member is stamped with the room's next seq and sent to all.
 */
import { type WebSocket, WebSocketServer } from 'ws';

const port = Number(process.env.PORT ?? 0);
const rooms = new Map<string, { seq: number; sockets: Set<WebSocket> }>();
const server = new WebSocketServer({ host: '127.0.0.1', port, perMessageDeflate: false, maxPayload: 64 * 1024 });

server.on('connection', (socket) => {
  let room: { seq: number; sockets: Set<WebSocket> } | undefined;
  socket.on('message', (data) => {
    const message = JSON.parse(String(data)) as { type: string; roomId?: string; id?: string; op?: string };
    if (message.type === 'hello' && message.roomId) {
      room = rooms.get(message.roomId) ?? { seq: 0, sockets: new Set() };
      rooms.set(message.roomId, room);
      room.sockets.add(socket);
      socket.send(JSON.stringify({ type: 'welcome', snapshot: { seq: room.seq } }));
    } else if (message.type === 'command' && room) {
      room.seq++;
      const frame = JSON.stringify({
        type: 'state',
        seq: room.seq,
        changes: { playback: { status: 'paused', positionMs: 0, atServerMs: Date.now(), rate: 1 } },
        cause: { type: 'command', op: message.op, userId: 'u' },
      });
      for (const member of room.sockets) member.send(frame);
      socket.send(JSON.stringify({ type: 'ack', id: message.id }));
    }
  });
  socket.on('close', () => room?.sockets.delete(socket));
});

server.on('listening', () => {
  const address = server.address();
  process.stdout.write(`${JSON.stringify({ listening: typeof address === 'object' ? address?.port : port })}\n`);
});

process.on('SIGTERM', () => server.close(() => process.exit(0)));
