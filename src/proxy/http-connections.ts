import type { Socket } from 'node:net';

/** What the HTTP front-end's sockets have done so far (ringcache_proxy_connections*, *_bytes_total). */
export interface HttpConnectionStats {
  readonly open: number;
  readonly accepted: number;
  /** Connections dropped at accept: proxy.httpConnectionsMax were open. */
  readonly dropped: number;
  readonly bytesReceived: number;
  readonly bytesSent: number;
}

/**
 * Counts the HTTP server's connections and their bytes. Bytes come from the sockets' own
 * counters (net.Socket bytesRead / bytesWritten): read at scrape time for open sockets and
 * banked when one closes, so a request pays nothing for them.
 */
export class HttpConnections {
  private readonly sockets = new Set<Socket>();
  private accepted = 0;
  private dropped = 0;
  private closedBytesReceived = 0;
  private closedBytesSent = 0;

  /** Call from the server's 'connection' event. */
  readonly track = (socket: Socket): void => {
    this.accepted++;
    this.sockets.add(socket);
    socket.once('close', () => {
      this.sockets.delete(socket);
      this.closedBytesReceived += socket.bytesRead;
      this.closedBytesSent += socket.bytesWritten;
    });
  };

  /** Call from the server's 'drop' event (node emits it past server.maxConnections). */
  readonly drop = (): void => {
    this.dropped++;
  };

  stats(): HttpConnectionStats {
    let bytesReceived = this.closedBytesReceived;
    let bytesSent = this.closedBytesSent;
    for (const socket of this.sockets) {
      bytesReceived += socket.bytesRead;
      bytesSent += socket.bytesWritten;
    }
    return { open: this.sockets.size, accepted: this.accepted, dropped: this.dropped, bytesReceived, bytesSent };
  }
}
