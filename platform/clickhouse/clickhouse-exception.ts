/**
 * ClickHouse exceptions as the HTTP interface reports them: the error text
 * `Code: N. DB::Exception: <message>. (NAME) (version V)`, the `X-ClickHouse-Exception-Code`
 * header and an HTTP status chosen from the error code. `@clickhouse/client` turns such a
 * response into a `ClickHouseError` with `code` and `type` (= NAME).
 */

/** Codes used for errors the endpoint raises itself (numbers from ClickHouse's ErrorCodes.cpp). */
export const ErrorCode = {
  SYNTAX_ERROR: 62,
  UNKNOWN_SETTING: 115,
  UNKNOWN_FORMAT: 73,
  UNKNOWN_COMPRESSION_METHOD: 89,
  NOT_IMPLEMENTED: 48,
  BAD_ARGUMENTS: 36,
  QUERY_IS_TOO_LARGE: 229,
  CANNOT_DECOMPRESS: 271,
  READONLY: 164,
  ACCESS_DENIED: 497,
  REQUIRED_PASSWORD: 194,
  AUTHENTICATION_FAILED: 516,
  STD_EXCEPTION: 1001,
} as const;
export type ErrorCodeName = keyof typeof ErrorCode;

export interface ClickHouseException {
  code: number;
  /** Error name, e.g. `SYNTAX_ERROR`; '' when the text carries none. */
  name: string;
  /** Full text `Code: N. DB::Exception: …`, without the version suffix. */
  text: string;
}

const CODE_RE = /^Code: (\d+)\. /;
const NAME_RE = /\(([A-Z][A-Z0-9_]*[A-Z][A-Z0-9_]*)\)/g;

/** Parse chdb's error text; undefined when it is not a ClickHouse exception. */
export function parseClickHouseException(message: string): ClickHouseException | undefined {
  const code = CODE_RE.exec(message);
  if (!code) return undefined;
  let name = '';
  for (const m of message.matchAll(NAME_RE)) name = m[1] ?? name;
  return { code: Number(code[1]), name, text: message.trimEnd() };
}

/** An exception raised by the endpoint itself, in ClickHouse's shape. */
export function endpointException(name: ErrorCodeName, message: string): ClickHouseException {
  const code = ErrorCode[name];
  return { code, name, text: `Code: ${code}. DB::Exception: ${message}. (${name})` };
}

/** `(version 26.5.1.1 (official build))` at the end of an exception text. */
const VERSION_SUFFIX_RE = /\(version [^()]*(?:\([^()]*\))?\)$/;

/** The response body ClickHouse sends for an exception. */
export function exceptionBody(e: ClickHouseException, version: string): string {
  return VERSION_SUFFIX_RE.test(e.text) ? `${e.text}\n` : `${e.text} (version ${version})\n`;
}

/**
 * HTTP status for an error name, after ClickHouse's `exceptionCodeToHTTPStatus.cpp`
 * (src/Server/HTTP/): parse and AST errors → 400, unknown objects → 404, everything
 * else → 500; a missing password → 401, wrong credentials → 403.
 */
const STATUS_BY_NAME: ReadonlyMap<string, number> = new Map([
  ...[
    'BAD_ARGUMENTS',
    'CANNOT_COMPILE_REGEXP',
    'CANNOT_PARSE_TEXT',
    'CANNOT_PARSE_ESCAPE_SEQUENCE',
    'CANNOT_PARSE_QUOTED_STRING',
    'CANNOT_PARSE_DATE',
    'CANNOT_PARSE_DATETIME',
    'CANNOT_PARSE_NUMBER',
    'CANNOT_PARSE_DOMAIN_VALUE_FROM_STRING',
    'CANNOT_PARSE_IPV4',
    'CANNOT_PARSE_IPV6',
    'CANNOT_PARSE_INPUT_ASSERTION_FAILED',
    'CANNOT_PARSE_UUID',
    'DUPLICATE_COLUMN',
    'ILLEGAL_COLUMN',
    'UNKNOWN_ELEMENT_IN_AST',
    'UNKNOWN_TYPE_OF_AST_NODE',
    'THERE_IS_NO_COLUMN',
    'TOO_DEEP_AST',
    'TOO_BIG_AST',
    'UNEXPECTED_AST_STRUCTURE',
    'SYNTAX_ERROR',
    'INCORRECT_DATA',
    'TYPE_MISMATCH',
    'VALUE_IS_OUT_OF_RANGE_OF_DATA_TYPE',
  ].map((n): [string, number] => [n, 400]),
  ...[
    'UNKNOWN_TABLE',
    'UNKNOWN_FUNCTION',
    'UNKNOWN_IDENTIFIER',
    'UNKNOWN_TYPE',
    'UNKNOWN_STORAGE',
    'UNKNOWN_DATABASE',
    'UNKNOWN_SETTING',
    'UNKNOWN_DIRECTION_OF_SORTING',
    'UNKNOWN_AGGREGATE_FUNCTION',
    'UNKNOWN_FORMAT',
    'UNKNOWN_DATABASE_ENGINE',
    'UNKNOWN_TYPE_OF_QUERY',
    'UNKNOWN_ROLE',
  ].map((n): [string, number] => [n, 404]),
  // ClickHouse: a missing password → 401; a wrong user or password → 403 (READONLY and
  // ACCESS_DENIED are not mapped there: 500)
  ['REQUIRED_PASSWORD', 401],
  ...['UNKNOWN_USER', 'WRONG_PASSWORD', 'AUTHENTICATION_FAILED', 'SET_NON_GRANTED_ROLE'].map((n): [string, number] => [n, 403]),
  ['QUERY_IS_TOO_LARGE', 413],
  ['NOT_IMPLEMENTED', 501],
  ['SOCKET_TIMEOUT', 503],
  ['CANNOT_OPEN_FILE', 503],
  ['CANNOT_SCHEDULE_TASK', 503],
  ['HTTP_LENGTH_REQUIRED', 411],
  ['TIMEOUT_EXCEEDED', 408],
  ['UNSUPPORTED_MEDIA_TYPE', 415],
]);

export function httpStatusForException(e: ClickHouseException): number {
  return STATUS_BY_NAME.get(e.name) ?? 500;
}
