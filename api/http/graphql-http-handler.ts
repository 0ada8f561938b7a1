import type { IncomingMessage, ServerResponse } from 'node:http';
import { HeaderMap, type ApolloServer } from '@apollo/server';
import { readBody } from '../../platform/http/read-body.ts';
import { SluiceError } from '../../platform/errors/sluice-error.ts';
import type { GraphQLRefusal, GraphQLRequestGate } from './graphql-admission.ts';

/**
 * Serves an Apollo server on a plain node:http request (POST JSON and GET), so GraphQL
 * shares the port of the ingest endpoints. With a `gate` (graphql-admission.ts), the caller
 * is established before the body is read and the query limits are checked before Apollo
 * runs anything; without one, operations run with an empty context (and refuse: no caller).
 * A body over `maxBodyBytes` answers 413 PAYLOAD_TOO_LARGE.
 */
export function createGraphQLHttpHandler(server: ApolloServer, maxBodyBytes = 1_048_576, gate?: GraphQLRequestGate) {
  const refuse = (res: ServerResponse, refusal: GraphQLRefusal) => {
    res.writeHead(refusal.status, { 'content-type': 'application/json', ...refusal.headers });
    res.end(JSON.stringify({ errors: refusal.errors }));
  };
  return async (req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> => {
    const admitted = gate ? await gate.context(req) : { context: {} };
    if ('refusal' in admitted) {
      refuse(res, admitted.refusal);
      if (!req.complete) res.once('finish', () => req.destroy());
      return;
    }
    const headers = new HeaderMap();
    for (const [key, value] of Object.entries(req.headers)) {
      if (value !== undefined) headers.set(key, Array.isArray(value) ? value.join(', ') : value);
    }
    let body: unknown = undefined;
    if (req.method === 'POST') {
      let raw: Buffer;
      try {
        raw = await readBody(req, maxBodyBytes);
      } catch (err) {
        if (!(err instanceof SluiceError)) throw err;
        const tooLarge = err.code === 'PAYLOAD_TOO_LARGE';
        refuse(res, { status: tooLarge ? 413 : 400, errors: [{ message: err.message, extensions: { code: tooLarge ? 'PAYLOAD_TOO_LARGE' : 'BAD_REQUEST' } }] });
        if (!req.complete) res.once('finish', () => req.destroy());
        return;
      }
      try {
        body = raw.length > 0 ? JSON.parse(raw.toString('utf8')) : undefined;
      } catch {
        res.writeHead(400, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ errors: [{ message: 'request body is not valid JSON', extensions: { code: 'BAD_REQUEST' } }] }));
        return;
      }
    }
    const method = (req.method ?? 'GET').toUpperCase();
    const tooComplex = gate?.check({ method, body, search: url.search });
    if (tooComplex) {
      refuse(res, tooComplex);
      return;
    }
    const response = await server.executeHTTPGraphQLRequest({
      httpGraphQLRequest: { method, headers, search: url.search, body },
      context: async () => admitted.context,
    });
    for (const [key, value] of response.headers) res.setHeader(key, value);
    res.statusCode = response.status ?? 200;
    if (response.body.kind === 'complete') {
      res.end(response.body.string);
      return;
    }
    for await (const chunk of response.body.asyncIterator) res.write(chunk);
    res.end();
  };
}
