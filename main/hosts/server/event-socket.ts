import type { WebSocket } from 'ws';
import { WebSocketServer } from 'ws';
import type { EventName } from '../../../shared/events';
import type { EventFrame } from '../../../shared/wire';
import type { GraftEngine } from '../../engine';

/**
 * Above this many bytes waiting for a slow client, progress events are dropped
 * (the next one supersedes them anyway); results and changes are always sent.
 */
const DROPPABLE_BACKLOG = 1 << 20;
const DROPPABLE: ReadonlySet<EventName> = new Set<EventName>(['job.progress']);
const HEARTBEAT_MS = 30_000;

/**
 * Forwards every engine event to every connected page. The socket is one-way: calls
 * go through POST /api/call, so a client message is never acted upon.
 */
export class EventSocket {
  readonly wss = new WebSocketServer({ noServer: true, maxPayload: 4096, clientTracking: true });
  private readonly offEngine: () => void;
  private readonly heartbeat: NodeJS.Timeout;
  private readonly alive = new WeakSet<WebSocket>();

  constructor(engine: GraftEngine) {
    this.offEngine = engine.onAny((event, payload) => this.broadcast({ event, payload }));
    this.wss.on('connection', (ws) => {
      this.alive.add(ws);
      ws.on('pong', () => this.alive.add(ws));
      ws.on('message', () => {
        /* one-way: ignored */
      });
      ws.on('error', () => ws.terminate());
    });
    // Sockets of pages that vanished without a close (sleep, killed browser) are pruned.
    this.heartbeat = setInterval(() => {
      for (const ws of this.wss.clients) {
        if (!this.alive.has(ws)) {
          ws.terminate();
          continue;
        }
        this.alive.delete(ws);
        ws.ping();
      }
    }, HEARTBEAT_MS);
    this.heartbeat.unref();
  }

  get clientCount(): number {
    return this.wss.clients.size;
  }

  broadcast(frame: EventFrame): void {
    if (!this.wss.clients.size) return;
    const text = JSON.stringify(frame);
    for (const ws of this.wss.clients) {
      if (ws.readyState !== ws.OPEN) continue;
      if (DROPPABLE.has(frame.event) && ws.bufferedAmount > DROPPABLE_BACKLOG) continue;
      ws.send(text);
    }
  }

  close(): void {
    this.offEngine();
    clearInterval(this.heartbeat);
    for (const ws of this.wss.clients) ws.close(1001, 'Graft is shutting down');
    // Clients that do not finish the closing handshake promptly are cut off.
    setTimeout(() => {
      for (const ws of this.wss.clients) ws.terminate();
    }, 500).unref();
    this.wss.close();
  }
}
