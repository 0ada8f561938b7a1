import { randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';

/**
 * A WebSocket client written on a bare TCP socket (RFC 6455, text frames only), so a test
 * can stop reading — `pause()` — the way a stalled browser tab or a congested link does:
 * the kernel buffers fill and the server's writes stop completing. `ws` and the WHATWG
 * WebSocket always read.
 */
export interface RawWebSocket {
  /** Text messages received, in order. */
  readonly messages: string[];
  /** The close frame received: its code and reason. */
  readonly closeFrame: { code: number; reason: string } | undefined;
  /** Resolves when the TCP connection has ended (after a close frame or without one). */
  readonly ended: Promise<void>;
  send(text: string): void;
  /** Waits for a message that satisfies `test` (already received or later). */
  waitFor(test: (message: string) => boolean, timeoutMs?: number): Promise<string>;
  pause(): void;
  resume(): void;
  destroy(): void;
}

export async function openRawWebSocket(url: string, protocol: string): Promise<RawWebSocket> {
  const u = new URL(url);
  const socket: Socket = connect(Number(u.port), u.hostname);
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  const key = randomBytes(16).toString('base64');
  socket.write([
    `GET ${u.pathname} HTTP/1.1`, `Host: ${u.host}`, 'Upgrade: websocket', 'Connection: Upgrade',
    `Sec-WebSocket-Key: ${key}`, 'Sec-WebSocket-Version: 13', `Sec-WebSocket-Protocol: ${protocol}`, '', '',
  ].join('\r\n'));

  let buffer = Buffer.alloc(0);
  let upgraded = false;
  const messages: string[] = [];
  const waiters = new Set<() => void>();
  const state: { closeFrame: { code: number; reason: string } | undefined } = { closeFrame: undefined };
  let upgradedResolve!: () => void;
  let upgradedReject!: (err: Error) => void;
  const upgrade = new Promise<void>((resolve, reject) => ((upgradedResolve = resolve), (upgradedReject = reject)));
  const ended = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  socket.on('error', () => undefined);

  const frame = (opcode: number, payload: Buffer) => {
    const mask = randomBytes(4);
    const head = payload.length < 126 ? Buffer.from([0x80 | opcode, 0x80 | payload.length])
      : Buffer.concat([Buffer.from([0x80 | opcode, 0x80 | 126]), Buffer.from([payload.length >> 8, payload.length & 0xff])]);
    const masked = Buffer.from(payload.map((b, i) => b ^ mask[i % 4]!));
    socket.write(Buffer.concat([head, mask, masked]));
  };

  socket.on('data', (chunk: Buffer) => {
    buffer = Buffer.concat([buffer, chunk]);
    if (!upgraded) {
      const end = buffer.indexOf('\r\n\r\n');
      if (end < 0) return;
      const head = buffer.subarray(0, end).toString('latin1');
      buffer = buffer.subarray(end + 4);
      if (!head.startsWith('HTTP/1.1 101')) {
        upgradedReject(new Error(`upgrade refused: ${head.split('\r\n')[0]}`));
        return;
      }
      upgraded = true;
      upgradedResolve();
    }
    // frames from a server are never masked
    for (;;) {
      if (buffer.length < 2) return;
      const opcode = buffer[0]! & 0x0f;
      let length = buffer[1]! & 0x7f;
      let offset = 2;
      if (length === 126) {
        if (buffer.length < 4) return;
        length = buffer.readUInt16BE(2);
        offset = 4;
      } else if (length === 127) {
        if (buffer.length < 10) return;
        length = Number(buffer.readBigUInt64BE(2));
        offset = 10;
      }
      if (buffer.length < offset + length) return;
      const payload = buffer.subarray(offset, offset + length);
      buffer = buffer.subarray(offset + length);
      if (opcode === 0x1) messages.push(payload.toString('utf8'));
      if (opcode === 0x8) {
        state.closeFrame = { code: payload.length >= 2 ? payload.readUInt16BE(0) : 1005, reason: payload.subarray(2).toString('utf8') };
        frame(0x8, payload.subarray(0, 2)); // complete the closing handshake, as RFC 6455 §5.5.1 asks
      }
      for (const w of waiters) w();
    }
  });
  await upgrade;

  return {
    messages,
    get closeFrame() {
      return state.closeFrame;
    },
    ended,
    send: (text) => frame(0x1, Buffer.from(text, 'utf8')),
    waitFor: (test, timeoutMs = 10_000) => new Promise((resolve, reject) => {
      const check = () => {
        const found = messages.find(test);
        if (found === undefined) return;
        waiters.delete(check);
        clearTimeout(timer);
        resolve(found);
      };
      const timer = setTimeout(() => {
        waiters.delete(check);
        reject(new Error(`no such message within ${timeoutMs} ms; got ${messages.length}: ${messages.slice(0, 3).join(' | ')}`));
      }, timeoutMs);
      waiters.add(check);
      check();
    }),
    pause: () => socket.pause(),
    resume: () => socket.resume(),
    destroy: () => socket.destroy(),
  };
}
