import Router from '@koa/router';
import { z } from 'zod';
import {
  CallSessionResponseSchema,
  CreateCallRequestSchema,
  CreateCallResponseSchema,
  ErrorResponseSchema,
  TelephonyEventRequestSchema,
  TelephonyEventResponseSchema,
} from './schemas';
import { VoximplantWebhookSchema } from '../telephony/voximplant/voximplant-events';
import { VoximplantSessionResponseSchema } from './routes/voximplant-session';

const schema = (s: z.ZodType, io: 'input' | 'output' = 'output') => z.toJSONSchema(s, { target: 'openapi-3.0', io, unrepresentable: 'any' });
const json = (ref: string) => ({ 'application/json': { schema: { $ref: `#/components/schemas/${ref}` } } });
const error = (description: string) => ({ description, content: json('Error') });

/** OpenAPI 3.0 document generated from the same zod schemas the routes validate with. */
export function buildOpenApiDocument() {
  return {
    openapi: '3.0.3',
    info: { title: 'Outbound AI voice calls', version: '0.1.0' },
    components: {
      securitySchemes: {
        apiKey: { type: 'apiKey', in: 'header', name: 'X-API-Key' },
        webhookSecret: { type: 'apiKey', in: 'header', name: 'X-Webhook-Secret' },
      },
      schemas: {
        CreateCallRequest: schema(CreateCallRequestSchema, 'input'),
        CreateCallResponse: schema(CreateCallResponseSchema),
        CallSession: schema(CallSessionResponseSchema),
        TelephonyEvent: schema(TelephonyEventRequestSchema, 'input'),
        TelephonyEventResponse: schema(TelephonyEventResponseSchema),
        VoximplantEvent: schema(VoximplantWebhookSchema, 'input'),
        VoximplantSession: schema(VoximplantSessionResponseSchema),
        Error: schema(ErrorResponseSchema),
      },
    },
    paths: {
      '/call': {
        post: {
          summary: 'Start an outbound call',
          security: [{ apiKey: [] }],
          parameters: [
            {
              name: 'Idempotency-Key',
              in: 'header',
              required: false,
              schema: { type: 'string', maxLength: 255 },
              description: 'Retries with the same key return the same call_id and dial nothing new.',
            },
          ],
          requestBody: { required: true, content: json('CreateCallRequest') },
          responses: {
            '201': { description: 'Call created', content: json('CreateCallResponse') },
            '200': { description: 'Replay of an earlier request with the same Idempotency-Key', content: json('CreateCallResponse') },
            '400': error('invalid_phone, invalid_body or invalid_idempotency_key'),
            '401': error('unauthorized'),
            '413': error('payload_too_large'),
            '422': error('idempotency_key_reused'),
          },
        },
      },
      '/calls/{call_id}': {
        get: {
          summary: 'The call session (status, transcript, outcome)',
          security: [{ apiKey: [] }],
          parameters: [{ name: 'call_id', in: 'path', required: true, schema: { type: 'string', format: 'uuid' } }],
          responses: { '200': { description: 'Call session', content: json('CallSession') }, '404': error('not_found') },
        },
      },
      '/telephony/events': {
        post: {
          summary: 'Telephony provider callback in the unified format (spec 4.2)',
          security: [{ webhookSecret: [] }],
          requestBody: { required: true, content: json('TelephonyEvent') },
          responses: {
            '200': { description: 'Event delivered to the call (accepted: false when the call had already ended)', content: json('TelephonyEventResponse') },
            '400': error('unknown_event or invalid_body'),
            '401': error('unauthorized'),
            '404': error('not_found: unknown call'),
          },
        },
      },
      '/telephony/events/voximplant': {
        post: {
          summary: 'Call events from our VoxEngine scenario (translated to the unified events)',
          security: [{ webhookSecret: [] }],
          requestBody: { required: true, content: json('VoximplantEvent') },
          responses: {
            '200': { description: 'Event delivered', content: json('TelephonyEventResponse') },
            '400': error('unknown_event or invalid_body'),
            '401': error('unauthorized'),
            '404': error('not_found: unknown call'),
          },
        },
      },
      '/telephony/voximplant/calls/{call_id}/session': {
        get: {
          summary: 'What the VoxEngine scenario needs to dial and bridge a call',
          security: [{ webhookSecret: [] }],
          parameters: [{ name: 'call_id', in: 'path', required: true, schema: { type: 'string', format: 'uuid' } }],
          responses: {
            '200': { description: 'Call session for the scenario', content: json('VoximplantSession') },
            '401': error('unauthorized'),
            '404': error('not_found'),
            '409': error('call_not_dialing'),
          },
        },
      },
      '/healthz': { get: { summary: 'Liveness', responses: { '200': { description: 'ok' } } } },
      '/readyz': { get: { summary: 'Readiness (Temporal reachable)', responses: { '200': { description: 'ready' }, '503': error('not_ready') } } },
    },
  };
}

export function openApiRoutes(): Router {
  const router = new Router();
  const document = buildOpenApiDocument();
  router.get('/openapi.json', (ctx) => {
    ctx.body = document;
  });
  return router;
}
