import http from 'node:http';

/** One frame as a client receives it (fields as the WHATWG parser reads them; comments kept). */
export interface ReceivedFrame {
  event?: string;
  id?: string;
  data?: string;
  retry?: number;
  comments: string[];
}

/** A real client of a `text/event-stream` URL over TCP, parsing frames as EventSource does. */
export interface EventClient {
  readonly response: http.IncomingMessage;
  /** Every frame received so far, comments (heartbeats) included. */
  readonly frames: ReceivedFrame[];
  /** The next frame that is not only a comment (waits for it, at most `timeoutMs`). */
  nextEvent(timeoutMs?: number): Promise<ReceivedFrame>;
  /** Resolves when the server ends or drops the response. */
  readonly ended: Promise<'end' | 'aborted'>;
  /** Stops reading (the socket's buffers fill up) or reads again. */
  pause(): void;
  resume(): void;
  /** Hangs up. */
  close(): void;
}

/** Opens `url` (on 127.0.0.1) as an event stream client. Resolves once the status and headers arrived. */
export function openEvents(url: string, headers: Record<string, string> = {}, agent?: http.Agent): Promise<EventClient> {
  return new Promise((resolve, reject) => {
    const request = http.get(url, { headers: { accept: 'text/event-stream', ...headers }, agent }, (response) => {
      const frames: ReceivedFrame[] = [];
      const waiters: Array<() => void> = [];
      let consumed = 0;
      let buffer = '';
      let current: ReceivedFrame = { comments: [] };
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        buffer += chunk;
        const lines = buffer.split(/\r\n|\r|\n/);
        buffer = lines.pop()!;
        for (const line of lines) {
          if (line === '') {
            frames.push(current);
            current = { comments: [] };
            waiters.splice(0).forEach((wake) => wake());
            continue;
          }
          if (line.startsWith(':')) {
            current.comments.push(line.slice(1).replace(/^ /, ''));
            continue;
          }
          const colon = line.indexOf(':');
          const field = colon < 0 ? line : line.slice(0, colon);
          const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
          if (field === 'data') current.data = current.data === undefined ? value : `${current.data}\n${value}`;
          else if (field === 'event') current.event = value;
          else if (field === 'id') current.id = value;
          else if (field === 'retry') current.retry = Number(value);
        }
      });
      const ended = new Promise<'end' | 'aborted'>((done) => {
        response.on('end', () => done('end'));
        response.on('aborted', () => done('aborted'));
        response.on('error', () => done('aborted'));
        response.on('close', () => done(response.complete ? 'end' : 'aborted'));
      });
      void ended.then(() => waiters.splice(0).forEach((wake) => wake()));
      let finished = false;
      void ended.then(() => (finished = true));
      const nextEvent = async (timeoutMs = 5000): Promise<ReceivedFrame> => {
        const deadline = Date.now() + timeoutMs;
        for (;;) {
          while (consumed < frames.length) {
            const frame = frames[consumed++];
            if (frame.data !== undefined || frame.event !== undefined || frame.id !== undefined || frame.retry !== undefined) return frame;
          }
          if (finished) throw new Error('the stream ended before the next event');
          const left = deadline - Date.now();
          if (left <= 0) throw new Error(`no event within ${timeoutMs} ms`);
          await new Promise<void>((wake) => {
            const timer = setTimeout(wake, left);
            waiters.push(() => {
              clearTimeout(timer);
              wake();
            });
          });
        }
      };
      resolve({
        response, frames, nextEvent, ended,
        pause: () => response.pause(),
        resume: () => response.resume(),
        close: () => request.destroy(),
      });
    });
    request.on('error', reject);
  });
}

/** Waits until the server holds exactly `count` connections (a client dropped on its side), at most `timeoutMs`. */
export async function serverConnections(server: import('node:net').Server, count: number, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const held = await new Promise<number>((resolve, reject) => server.getConnections((err, n) => (err ? reject(err) : resolve(n))));
    if (held === count) return;
    if (Date.now() > deadline) throw new Error(`the server holds ${held} connections, not ${count}`);
    await new Promise((wake) => setTimeout(wake, 5));
  }
}

/** Waits until `condition()` holds, checking every few ms, at most `timeoutMs`. */
export async function eventually(condition: () => boolean, timeoutMs = 5000, what = 'the condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((wake) => setTimeout(wake, 5));
  }
}
