import type { WebSocket } from 'ws';

/** How long a closed slow subscriber may take to complete the closing handshake before its socket is destroyed, ms. */
export const CLOSE_GRACE_MS = 5_000;

/** The connection a subscription runs on, as its resolver may act on it (graphql-server.ts puts it in the context). */
export interface SubscriberConnection {
  /**
   * Closes the connection with a WebSocket close code and reason. The close frame queues
   * behind what the peer has not read yet; a peer that does not complete the closing
   * handshake within CLOSE_GRACE_MS (a stalled one never does) has its socket destroyed.
   */
  close(code: number, reason: string): void;
}

/** The connection of a graphql-ws context, when the operation runs over a WebSocket. */
export function subscriberConnectionOf(context: unknown): SubscriberConnection | undefined {
  return (context as { connection?: SubscriberConnection } | null | undefined)?.connection;
}

/** A SubscriberConnection over a `ws` socket. */
export function wsSubscriberConnection(socket: WebSocket, graceMs = CLOSE_GRACE_MS): SubscriberConnection {
  return {
    close(code, reason) {
      if (socket.readyState === socket.CLOSED) return;
      // reasons are limited to 123 bytes by RFC 6455 §5.5 (control frame payload ≤ 125)
      let text = reason;
      while (Buffer.byteLength(text) > 123) text = text.slice(0, -1);
      socket.close(code, text);
      const timer = setTimeout(() => socket.terminate(), graceMs);
      timer.unref();
      socket.once('close', () => clearTimeout(timer));
    },
  };
}
