import { endpointException, type ClickHouseException } from './clickhouse-exception.ts';

/**
 * The parameters of one request to ClickHouse's HTTP interface
 * (https://clickhouse.com/docs/interfaces/http), sorted the way the server sorts them:
 * parameters of the HTTP handler itself, `param_<name>` query parameters, and everything
 * else, which is a setting.
 */
export interface ClickHouseHttpParams {
  /** The `query` parameter (URL or multipart part); the body follows it as more text or as data. */
  query: string | undefined;
  /** `database`; default `default`. */
  database: string;
  /** `default_format`: output format of a statement without a FORMAT clause; default `TabSeparated`. */
  defaultFormat: string;
  queryId: string | undefined;
  /** `wait_end_of_query=1`: send nothing before the statement has finished. */
  waitEndOfQuery: boolean;
  /** Settings in request order, last value of a repeated name kept. */
  settings: ReadonlyMap<string, string>;
  /** Query parameters without the `param_` prefix, as the client formatted them
   *  (ClickHouse's escaped text form, e.g. `it\'s`). */
  queryParameters: ReadonlyMap<string, string>;
}

/**
 * Parameters the HTTP handler consumes itself (HTTPHandler.cpp `reserved_param_names` and
 * friends); they are not settings. `session_*` are accepted and ignored: every request
 * runs on a fresh connection (no session state).
 */
const HANDLER_PARAMS = new Set([
  'query',
  'database',
  'default_format',
  'query_id',
  'session_id',
  'session_timeout',
  'session_check',
  'close_session',
  'user',
  'password',
  'quota_key',
  'role',
  'buffer_size',
  'wait_end_of_query',
  'compress',
  'decompress',
  'stacktrace',
  'client_protocol_version',
]);

const IDENTIFIER_RE = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Sort request parameters; an invalid setting or parameter name gives ClickHouse's error. */
export function readHttpParams(entries: Iterable<[string, string]>): ClickHouseHttpParams | ClickHouseException {
  const params: ClickHouseHttpParams = {
    query: undefined,
    database: 'default',
    defaultFormat: 'TabSeparated',
    queryId: undefined,
    waitEndOfQuery: false,
    settings: new Map(),
    queryParameters: new Map(),
  };
  const settings = new Map<string, string>();
  const queryParameters = new Map<string, string>();
  for (const [key, value] of entries) {
    if (key.startsWith('param_')) {
      const name = key.slice('param_'.length);
      if (!IDENTIFIER_RE.test(name)) return endpointException('BAD_ARGUMENTS', `Invalid query parameter name '${name}'`);
      queryParameters.set(name, value);
      continue;
    }
    if (HANDLER_PARAMS.has(key)) {
      if (key === 'query') params.query = value;
      else if (key === 'database' && value !== '') params.database = value;
      else if (key === 'default_format' && value !== '') params.defaultFormat = value;
      else if (key === 'query_id' && value !== '') params.queryId = value;
      else if (key === 'wait_end_of_query') params.waitEndOfQuery = value !== '' && value !== '0' && value !== 'false';
      else if (key === 'decompress' && value !== '' && value !== '0')
        return endpointException('NOT_IMPLEMENTED', 'ClickHouse-native request compression (decompress=1) is not supported by the embedded endpoint; use Content-Encoding');
      continue;
    }
    if (!IDENTIFIER_RE.test(key)) return endpointException('UNKNOWN_SETTING', `Unknown setting '${key}'`);
    settings.delete(key); // keep request order of the last occurrence
    settings.set(key, value);
  }
  if (!IDENTIFIER_RE.test(params.defaultFormat)) return endpointException('UNKNOWN_FORMAT', `Unknown format ${params.defaultFormat}`);
  return { ...params, settings, queryParameters };
}

/** A ClickHouse string literal: backslash and single quote escaped, NUL as `\0` (chdb's C
 *  API takes NUL-terminated text). Everything else is taken byte for byte. */
export function quoteString(value: string): string {
  return `'${value.replace(/[\\'\0]/g, (c) => (c === '\0' ? '\\0' : `\\${c}`))}'`;
}

/** A ClickHouse identifier in backquotes. */
export function quoteIdentifier(name: string): string {
  return `\`${name.replace(/[\\`\0]/g, (c) => (c === '\0' ? '\\0' : `\\${c}`))}\``;
}

/**
 * One `SET` statement applying `defaults`, then the request's settings, then its query
 * parameters (`SET param_x = '<text>'`: ClickHouse parses the text exactly as it parses
 * `param_x` of an HTTP request). Undefined when there is nothing to set.
 */
export function setStatement(params: ClickHouseHttpParams, defaults: ReadonlyMap<string, string>): string | undefined {
  const assignments: string[] = [];
  for (const [name, value] of defaults) if (!params.settings.has(name)) assignments.push(`${name} = ${quoteString(value)}`);
  for (const [name, value] of params.settings) assignments.push(`${name} = ${quoteString(value)}`);
  for (const [name, value] of params.queryParameters) assignments.push(`param_${name} = ${quoteString(value)}`);
  return assignments.length === 0 ? undefined : `SET ${assignments.join(', ')}`;
}

export interface MultipartPart {
  name: string;
  filename: string | undefined;
  data: Buffer;
}

/**
 * Parts of a `multipart/form-data` body (RFC 7578). `@clickhouse/client` sends the query
 * and its parameters this way when they are too long for the URL (`use_multipart_params`).
 */
export function parseMultipart(body: Buffer, contentType: string): MultipartPart[] | ClickHouseException {
  const boundary = /boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType);
  const token = boundary?.[1] ?? boundary?.[2];
  if (!token) return endpointException('BAD_ARGUMENTS', 'multipart/form-data request without a boundary');
  const delimiter = Buffer.from(`--${token}`);
  const parts: MultipartPart[] = [];
  let pos = body.indexOf(delimiter);
  while (pos !== -1) {
    let start = pos + delimiter.length;
    if (body.subarray(start, start + 2).toString() === '--') break; // closing delimiter
    if (body[start] === 0x0d && body[start + 1] === 0x0a) start += 2;
    const next = body.indexOf(delimiter, start);
    if (next === -1) break;
    const part = body.subarray(start, next);
    const headerEnd = part.indexOf('\r\n\r\n');
    if (headerEnd === -1) return endpointException('BAD_ARGUMENTS', 'malformed multipart/form-data part');
    const headers = part.subarray(0, headerEnd).toString('utf8');
    let data = part.subarray(headerEnd + 4);
    if (data.length >= 2 && data[data.length - 2] === 0x0d && data[data.length - 1] === 0x0a) data = data.subarray(0, data.length - 2);
    const name = /\bname="([^"]*)"/i.exec(headers)?.[1];
    if (name === undefined) return endpointException('BAD_ARGUMENTS', 'multipart/form-data part without a name');
    parts.push({ name, filename: /\bfilename="([^"]*)"/i.exec(headers)?.[1], data });
    pos = next;
  }
  return parts;
}
