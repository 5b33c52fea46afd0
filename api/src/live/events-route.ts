import { Router } from 'express';
import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { ErrorBody } from '../http/route';
import { badRequest, forbidden, HttpError, unauthorized, unavailable, zodFields } from '../http/errors';
import { bearerToken, hashToken } from '../auth/tokens';
import { RETRY_MS, type LiveHub } from './hub';
import { LiveEventDto, LiveStreamHeaders } from './schemas';

// GET /api/v1/events: the caller's live event stream (Server-Sent Events). Authenticated like
// every endpoint (Authorization: Bearer, so fetch-based clients need no token in the URL).
// Not declared with defineRoute: its answer is a stream, not one JSON document.

const READY_TIMEOUT_MS = 10_000;

const description = (heartbeatSeconds: number) => `Server-Sent Events (\`text/event-stream\`) with the changes the caller may see, as they commit.

Each event is a frame \`id: <id>\\nevent: <type>\\ndata: <JSON>\\n\\n\`; \`data\` is a **LiveEvent** (schema below, in
components) whose \`type\` repeats the event name:

| event | data | who receives it |
| --- | --- | --- |
| \`ticket.created\` | ticketId, number, status, priority, scope, actor | whoever may see the ticket |
| \`ticket.updated\` | ticketId, version, fields (changed names), values (new values), scope, previousScope, actor | whoever may see it now or could before a reassignment |
| \`message.added\` | ticketId, messageId, kind, channel, authorId (never the body) | as above; customers only non-internal ones |
| \`sla.changed\` | ticketId, state, firstResponseDueAt, resolutionDueAt | staff who may see the ticket |
| \`notification\` | id, userId, ticketId, event | that user only |
| \`presence\` | ticketId, userId, name, state (viewing/typing/left), expiresAt | staff who may see the ticket |

Stream control: the stream opens with \`retry: ${RETRY_MS}\` and a \`ready\` event; a comment line
\`: heartbeat\` arrives every ${heartbeatSeconds} s (\`LIVE_HEARTBEAT_SECONDS\`); \`resync\` means events may have been missed (the server's
database connection was re-established, or the client reconnected with \`Last-Event-ID\`), so refetch what is
shown; \`end\` (reason \`shutdown\` or \`unauthorized\`) precedes the server closing the stream. Event ids are unique
per server process; events are not replayed.`;

/** A client refused for too many streams may try again after this long (another tab may have closed). */
const RETRY_AFTER_SECONDS = 30;

export function liveEventsRoute(hub: LiveHub, registry: OpenAPIRegistry, heartbeatSeconds: number, maxStreamsPerUser: number): Router {
  const errors = (codes: Record<number, string>) => Object.fromEntries(Object.entries(codes).map(([c, description]) => [c, { description, content: { 'application/json': { schema: ErrorBody } } }]));
  registry.registerPath({
    method: 'get',
    path: '/api/v1/events',
    summary: 'Live events for the caller (Server-Sent Events)',
    description: description(heartbeatSeconds),
    tags: ['live'],
    security: [{ bearerAuth: [] }],
    request: { headers: LiveStreamHeaders },
    responses: {
      // The schema describes one frame's `data:` JSON (the stream itself is text).
      200: { description: 'An open event stream; each `data:` line is a LiveEvent', content: { 'text/event-stream': { schema: LiveEventDto } } },
      ...errors({
        400: 'Invalid request; `error.fields` names each bad field',
        401: 'Missing or invalid token',
        403: 'Not allowed for this role (or an API key)',
        429: 'Too many live streams open for this user; `Retry-After` says when to try again',
        503: 'The live-events connection to PostgreSQL is down',
      }),
    },
  });

  const router = Router();
  router.get('/events', async (req, res) => {
    res.locals.routePattern = '/api/v1/events';
    if (!req.user) throw unauthorized();
    if (req.user.apiKeyId !== undefined) throw forbidden('Live events are for signed-in people; an API key polls the REST endpoints');
    // Each stream holds a connection and a slot in every event's fan-out: a runaway client (or
    // a script opening streams in a loop) gets 429 instead of growing them without bound.
    if (hub.openBy(req.user.id) >= maxStreamsPerUser) {
      res.setHeader('Retry-After', String(RETRY_AFTER_SECONDS));
      throw new HttpError(429, 'too_many_streams', `At most ${maxStreamsPerUser} live streams per user are open at once; close another tab or window`);
    }
    const headers = LiveStreamHeaders.safeParse({ 'last-event-id': req.headers['last-event-id'] });
    if (!headers.success) throw badRequest('Invalid headers', zodFields(headers.error, 'headers'));
    try {
      await hub.ready(READY_TIMEOUT_MS);
    } catch (err) {
      throw unavailable(err instanceof Error ? err.message : String(err));
    }
    if (req.socket.destroyed) return; // the client gave up while we waited
    // The bearer token's hash lets the hub re-check it later (a logout ends the stream).
    const token = bearerToken(req.headers.authorization) ?? undefined;
    res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-cache, no-transform',
      Connection: 'keep-alive',
      // nginx and similar proxies would otherwise buffer the stream.
      'X-Accel-Buffering': 'no',
    });
    req.socket.setNoDelay(true);
    const detach = hub.attach(res, req.user, token ? hashToken(token) : null, { resume: headers.data['last-event-id'] !== undefined });
    res.on('close', detach);
  });
  return router;
}
