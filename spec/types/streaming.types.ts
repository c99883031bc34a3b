// Type tests for event streams and WebSocket views (compiled by `npm run typecheck`, never run).
import Fastify, { FastifyReply, FastifyRequest } from 'fastify';
import { EventChannel, MethodView, ServerSentEvent, VerbOptions, ViewSocket, WebSocketView, sendEvents } from '../../src';
import { connectView } from '../../src/testing';

class Feed extends MethodView {
  static override verbOptions = { get: { eventStream: { heartbeat: 5_000, retry: 1_000 } } } satisfies VerbOptions;
  override async *get() {
    yield { event: 'tick', id: 1, data: { n: 1 } };
  }
}
void Feed;

// @ts-expect-error a typo in an event stream option
const typo: VerbOptions = { get: { eventStream: { heartbeet: 5_000 } } };
// @ts-expect-error heartbeat is a number of ms
const wrongType: VerbOptions = { get: { eventStream: { heartbeat: '5s' } } };
// @ts-expect-error eventStream is true or options, not false
const notFalse: VerbOptions = { get: { eventStream: false } };
void [typo, wrongType, notFalse];

// @ts-expect-error a typo in an event field
const event: ServerSentEvent = { dat: 'x' };
void event;

const channel = new EventChannel<{ id: number }>();
channel.publish({ event: 'added', data: { id: 1 } });
// @ts-expect-error the channel's data type
channel.publish({ data: { id: 'one' } });

class Manual extends MethodView {
  override get(request: FastifyRequest, reply: FastifyReply) {
    // @ts-expect-error a source is an iterable of events, not one event
    sendEvents(request, reply, { data: 1 });
    return sendEvents(request, reply, ['a', { data: 2 }]);
  }
}
void Manual;

class Chat extends WebSocketView<{ text: string }> {
  constructor(private readonly room: string) {
    super();
  }
  override onMessage(message: { text: string }, socket: ViewSocket) {
    // @ts-expect-error a typo in a message field
    void message.txt;
    socket.send(this.room);
    return { echo: message.text };
  }
}

const app = Fastify();
app.addView('/chat', Chat.asView('chat', 'lobby'));
// @ts-expect-error the constructor takes a string
Chat.asView('chat', 42);
// @ts-expect-error messageFormat is text, json or binary
class Odd extends WebSocketView { static override messageFormat = 'xml' as const; }
void Odd;

async function test() {
  const chat = await connectView(Chat, { args: ['lobby'] });
  // @ts-expect-error connectView's args follow the constructor
  await connectView(Chat, { args: [1] });
  chat.socket.send('hi');
  const message: string | Buffer = await chat.nextMessage();
  void message;
  await chat.close();
}
void test;
