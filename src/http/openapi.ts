// The OpenAPI 3.1 document, built from the route table (src/http/api-routes.ts) and the very valibot
// schemas the handlers validate with, converted by @valibot/to-json-schema (JSON Schema 2020-12, the
// dialect of OpenAPI 3.1). Nothing here restates a field: a schema change shows up in the document.
import { toJsonSchema, type ConversionConfig, type JsonSchema } from '@valibot/to-json-schema';
import * as v from 'valibot';
import { sessionCookieName } from './admin-auth.js';
import { apiRoutes, streamEvents, type ApiRoute, type Answer, type NamedParam } from './api-routes.js';

type Json = Record<string, unknown>;

/** The answer of every error: `{error: {code, message}}` (a valibot schema, converted like the rest). */
export const errorBody = v.strictObject({
  error: v.strictObject({
    code: v.pipe(v.string(), v.description('A stable, machine-readable code, e.g. `invalid_field`')),
    message: v.pipe(v.string(), v.description('What went wrong, for a person')),
  }),
});

const trimmed = Symbol('trimmed');

/**
 * How a request body is described: its pipelines from the last schema on (`typeMode: 'output'`), so
 * that `jsonObject`'s array guard (a `custom` schema first in a pipe) gives way to the object
 * schema it guards. `trim` has no JSON Schema form: the text is noted as trimmed, and a `nonEmpty`
 * after it becomes "has a non-space character". Anything else the converter cannot express throws,
 * so a schema this document would misdescribe fails the build of the document (and its test).
 */
const bodyConversion: ConversionConfig = {
  target: 'draft-2020-12',
  typeMode: 'output',
  overrideAction({ valibotAction, jsonSchema }) {
    if (valibotAction.type === 'trim') {
      return { ...jsonSchema, description: 'Trimmed of surrounding white space before it is checked.', [trimmed]: true };
    }
    if (valibotAction.type === 'non_empty' && (jsonSchema as Record<symbol, unknown>)[trimmed]) {
      if (jsonSchema.pattern !== undefined) throw new Error('A trimmed, non-empty string with a pattern cannot be described');
      return { ...jsonSchema, minLength: 1, pattern: '\\S' };
    }
    // A check's own message says what it allows, e.g. "must be an ISO-8601 date or date-time on the calendar".
    const message = 'message' in valibotAction ? valibotAction.message : undefined;
    if (valibotAction.type === 'check' && typeof message === 'string') return { ...jsonSchema, description: message };
    return undefined;
  },
};

/**
 * How a query parameter is described: as the text it arrives as (`typeMode: 'input'`, which stops
 * before a transformation such as `limit`'s string → number). A `check` has no JSON Schema form: its
 * message becomes the description, as does a `regex`'s.
 */
const queryConversion: ConversionConfig = {
  target: 'draft-2020-12',
  typeMode: 'input',
  overrideAction({ valibotAction, jsonSchema }) {
    // A check's (and a pattern's) own message says what it allows, e.g. "must be an integer from 1 to 100".
    const message = 'message' in valibotAction ? valibotAction.message : undefined;
    if ((valibotAction.type === 'check' || valibotAction.type === 'regex') && typeof message === 'string') {
      return { ...jsonSchema, description: message };
    }
    return undefined;
  },
};

function converted(schema: v.GenericSchema, config: ConversionConfig): Json {
  const { $schema: _dialect, ...rest } = toJsonSchema(schema, config) as JsonSchema & Json;
  return rest;
}

/** `/api/transactions/:id/retry` → `/api/transactions/{id}/retry`. */
export function openApiPath(honoPath: string): string {
  return honoPath.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
}

const errorRef = { $ref: '#/components/schemas/Error' };

function answerObject(status: number, answer: Answer): Json {
  if (status >= 400) return { description: answer.description, content: { 'application/json': { schema: errorRef } } };
  if (answer.media === 'none') return { description: answer.description };
  if (answer.media === 'text/event-stream') {
    return {
      description: answer.description,
      headers: {
        'Cache-Control': { schema: { type: 'string', const: 'no-cache, no-transform' } },
        'X-Accel-Buffering': { schema: { type: 'string', const: 'no' } },
      },
      content: { 'text/event-stream': { schema: { type: 'string' } } },
    };
  }
  if (answer.media === 'text/plain') return { description: answer.description, content: { 'text/plain': { schema: { type: 'string' } } } };
  return { description: answer.description, content: { 'application/json': { schema: { type: 'object' } } } };
}

/** The answers any route of its kind may give, unless the table says more about them. */
function commonAnswers(route: ApiRoute): Record<number, Answer> {
  const common: Record<number, Answer> = {};
  const fail = (description: string): Answer => ({ description, media: 'application/json' });
  if (route.body) {
    common[400] = fail('Malformed JSON, an unknown field, a wrong type or value (`code`: `malformed_json`, `unknown_field`, `invalid_field`)');
  } else if (route.query || route.queryParams || route.headers) {
    common[400] = fail('An unknown or invalid parameter (`code`: `unknown_field`, `invalid_field`, `invalid_cursor`, …)');
  }
  if (route.scope !== 'public') {
    common[401] = fail('Missing or wrong credentials (`unauthorized`): none, an unknown, revoked or expired token, a bad watch link');
    common[403] = fail(
      route.method === 'GET'
        ? 'The credential’s scope does not allow this route (`forbidden`)'
        : 'The credential’s scope does not allow this route (`forbidden`), or a cookie-authenticated change from another origin (`cross_origin`)',
    );
  }
  common[405] = fail('This path does not accept the method (see `Allow`)');
  if (route.body) {
    common[413] = fail('The body is over 64 KB');
    common[415] = fail('The body is not `application/json`');
  }
  common[503] = fail('The database cannot be read or written');
  return common;
}

function parameters(route: ApiRoute): Json[] {
  const path = [...route.path.matchAll(/:([A-Za-z0-9_]+)/g)].map(([, name]) => ({
    name,
    in: 'path',
    required: true,
    description: route.params?.[name!],
    schema: { type: 'string' },
  }));
  const query = route.query ? queryParameters(route.query) : [];
  const named = (where: 'header' | 'query') => (param: NamedParam) => ({
    name: param.name,
    in: where,
    required: false,
    description: param.description,
    schema: { type: 'string', ...(param.pattern ? { pattern: param.pattern } : {}) },
  });
  return [...path, ...query, ...(route.queryParams ?? []).map(named('query')), ...(route.headers ?? []).map(named('header'))];
}

function queryParameters(schema: NonNullable<ApiRoute['query']>): Json[] {
  const object = converted(schema, queryConversion) as { properties: Record<string, Json>; required: string[] };
  return Object.entries(object.properties).map(([name, property]) => {
    const { description, ...rest } = property;
    return { name, in: 'query', required: object.required.includes(name), ...(description ? { description } : {}), schema: rest };
  });
}

function security(route: ApiRoute): Json[] {
  if (route.scope === 'public') return [];
  if (route.scope === 'metrics') return [{ bearer: [] }, { metricsToken: [] }, { cookie: [] }];
  const scoped = [{ bearer: [] }, { cookie: [] }];
  return route.watchable ? [...scoped, { watchLink: [] }] : scoped;
}

function operation(route: ApiRoute): Json {
  const answers = { ...commonAnswers(route), ...route.answers } as Record<number, Answer>;
  const params = parameters(route);
  return {
    operationId: `${route.method.toLowerCase()}${openApiPath(route.path).replace(/[^A-Za-z0-9]+(\w)?/g, (_match, next: string | undefined) => (next ?? '').toUpperCase())}`,
    tags: [route.tag],
    summary: route.summary,
    ...(route.description ? { description: route.description } : {}),
    security: security(route),
    'x-scope': route.scope,
    ...(params.length ? { parameters: params } : {}),
    ...(route.body
      ? {
          requestBody: {
            required: !route.body.optional,
            content: { 'application/json': { schema: converted(route.body.schema, bodyConversion) } },
          },
        }
      : {}),
    responses: Object.fromEntries(
      Object.entries(answers)
        .sort(([a], [b]) => Number(a) - Number(b))
        .map(([status, answer]) => [status, answerObject(Number(status), answer)]),
    ),
    ...(route.path.endsWith('/events') ? { 'x-event-types': streamEvents } : {}),
  };
}

export interface OpenApiInfo {
  version: string;
}

/** The whole document. Built once per process (it depends only on the code). */
export function buildOpenApiDocument(info: OpenApiInfo = { version: '0.1.0' }): Json {
  const paths: Record<string, Json> = {};
  for (const route of apiRoutes) {
    const path = (paths[openApiPath(route.path)] ??= {});
    path[route.method.toLowerCase()] = operation(route);
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Auto-purchase API',
      version: info.version,
      description:
        'Every /api route needs the admin’s credentials: `Authorization: Bearer <ADMIN_TOKEN>`, or the session cookie `POST /api/auth/login` sets. ' +
        'Errors are JSON `{error: {code, message}}`; a 4xx means nothing was written.',
    },
    jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
    security: [{ bearer: [] }, { cookie: [] }],
    paths,
    components: {
      schemas: { Error: converted(errorBody, bodyConversion) },
      securitySchemes: {
        bearer: {
          type: 'http',
          scheme: 'bearer',
          description: 'The admin token (ADMIN_TOKEN), or an API token (`ap_…`) whose scope is at least the route’s `x-scope`',
        },
        watchLink: { type: 'apiKey', in: 'query', name: 'access_token', description: 'A watch link’s capability: this one run’s progress and events only' },
        cookie: { type: 'apiKey', in: 'cookie', name: sessionCookieName, description: 'The browser session that POST /api/auth/login sets' },
        metricsToken: { type: 'http', scheme: 'bearer', description: 'METRICS_TOKEN, for GET /metrics only' },
      },
    },
  };
}
