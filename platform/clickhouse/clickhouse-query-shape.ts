/**
 * The shape of one ClickHouse statement, as far as the HTTP endpoint needs it, read with a
 * small lexer (string literals, quoted identifiers, comments and bracket depth are
 * respected; nothing is parsed beyond that):
 *
 * - which kind of statement it is (SELECT-like output can be streamed from chdb; other
 *   statements cannot),
 * - the output format named by a top-level `FORMAT x` clause (for `X-ClickHouse-Format`),
 * - for an `INSERT … FORMAT x <data>` / `INSERT … VALUES <data>`: where the data starts,
 *   so the data can be written to a file and inserted with `FROM INFILE` instead of being
 *   inlined in the query text (chdb fails on inline data above ~2.5 MB).
 *
 * The text handed in may be a latin1 view of raw bytes: only ASCII is inspected, so the
 * offsets returned are byte offsets then.
 *
 * Lexical rules follow ClickHouse's `Lexer.cpp` (https://github.com/ClickHouse/ClickHouse/blob/master/src/Parsers/Lexer.cpp)
 * and the data-start rule its `ParserInsertQuery.cpp`.
 */

export type StatementKind =
  /** SELECT / WITH / a parenthesised SELECT: chdb can stream its result. */
  | 'select'
  /** Other statements that return rows (SHOW, DESCRIBE, EXISTS, EXPLAIN, CHECK). */
  | 'query'
  | 'insert'
  /** DDL, SET, USE, ALTER, SYSTEM, OPTIMIZE, … */
  | 'command'
  | 'empty';

export interface InsertData {
  /** End of `INSERT INTO t (a, b)`: the statement up to its SETTINGS / FORMAT / VALUES clause. */
  targetEnd: number;
  /** Offsets of the statement's own `SETTINGS k = v, …` clause, if any. */
  settingsClause: { start: number; end: number } | undefined;
  /** Input format of the data; `Values` for `INSERT … VALUES`. */
  format: string;
  /** Offset where the data starts in the text. */
  dataOffset: number;
}

export interface StatementShape {
  kind: StatementKind;
  /** First keyword, upper case (`SELECT`, `INSERT`, `SYSTEM`, …); '' when empty. */
  head: string;
  /** Format named by the last top-level `FORMAT x` clause (not for inserts). */
  outputFormat: string | undefined;
  /** Set when the statement is an INSERT whose rows follow it as data. */
  insertData: InsertData | undefined;
  /** True when another statement follows the first one after a top-level `;`. */
  multipleStatements: boolean;
  /**
   * Lower-case names of every word directly followed by `(` — function calls, table
   * functions, table engines, dictionary sources — and of the words INFILE / OUTFILE;
   * the data of an INSERT is not read.
   */
  calls: string[];
}

interface Token {
  kind: 'word' | 'string' | 'quoted-identifier' | 'open' | 'close' | 'semicolon' | 'other';
  text: string;
  start: number;
  end: number;
  /** Bracket depth before the token. */
  depth: number;
}

const isSpace = (c: string): boolean => c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\f' || c === '\v';
const isWordStart = (c: string): boolean => /[A-Za-z_]/.test(c);
const isWordPart = (c: string): boolean => /[A-Za-z0-9_$]/.test(c);

/** Lexer that can be stopped at any point (the data of an INSERT is not SQL). */
class Lexer {
  private pos = 0;
  private depth = 0;
  private readonly text: string;

  constructor(text: string) {
    this.text = text;
  }

  next(): Token | undefined {
    const t = this.text;
    for (;;) {
      while (this.pos < t.length && isSpace(t.charAt(this.pos))) this.pos++;
      if (this.pos >= t.length) return undefined;
      const c = t.charAt(this.pos);
      const c2 = t.charAt(this.pos + 1);
      if ((c === '-' && c2 === '-') || (c === '#' && (c2 === ' ' || c2 === '!'))) {
        const eol = t.indexOf('\n', this.pos);
        this.pos = eol === -1 ? t.length : eol + 1;
        continue;
      }
      if (c === '/' && c2 === '*') {
        this.skipBlockComment();
        continue;
      }
      break;
    }
    const start = this.pos;
    const c = t.charAt(start);
    const depth = this.depth;
    if (c === "'" || c === '`' || c === '"') {
      this.skipQuoted(c);
      return { kind: c === "'" ? 'string' : 'quoted-identifier', text: t.slice(start, this.pos), start, end: this.pos, depth };
    }
    if (isWordStart(c)) {
      while (this.pos < t.length && isWordPart(t.charAt(this.pos))) this.pos++;
      return { kind: 'word', text: t.slice(start, this.pos), start, end: this.pos, depth };
    }
    this.pos++;
    if (c === '(' || c === '[' || c === '{') {
      this.depth++;
      return { kind: 'open', text: c, start, end: this.pos, depth };
    }
    if (c === ')' || c === ']' || c === '}') {
      this.depth = Math.max(0, this.depth - 1);
      return { kind: 'close', text: c, start, end: this.pos, depth };
    }
    if (c === ';') return { kind: 'semicolon', text: c, start, end: this.pos, depth };
    // numbers and operators: one character at a time is enough for our purposes
    return { kind: 'other', text: c, start, end: this.pos, depth };
  }

  private skipQuoted(quote: string): void {
    const t = this.text;
    this.pos++;
    while (this.pos < t.length) {
      const c = t.charAt(this.pos);
      if (c === '\\') {
        this.pos += 2;
        continue;
      }
      if (c === quote) {
        if (t.charAt(this.pos + 1) === quote) {
          this.pos += 2; // doubled quote
          continue;
        }
        this.pos++;
        return;
      }
      this.pos++;
    }
  }

  /** ClickHouse block comments nest. */
  private skipBlockComment(): void {
    const t = this.text;
    let nesting = 0;
    while (this.pos < t.length) {
      if (t.startsWith('/*', this.pos)) {
        nesting++;
        this.pos += 2;
      } else if (t.startsWith('*/', this.pos)) {
        nesting--;
        this.pos += 2;
        if (nesting === 0) return;
      } else {
        this.pos++;
      }
    }
  }
}

const ROW_RETURNING = new Set(['SHOW', 'DESCRIBE', 'DESC', 'EXISTS', 'EXPLAIN', 'CHECK']);

/** Read the shape of the (first) statement of `text`. */
export function statementShape(text: string): StatementShape {
  const lexer = new Lexer(text);
  const first = lexer.next();
  if (!first) return { kind: 'empty', head: '', outputFormat: undefined, insertData: undefined, multipleStatements: false, calls: [] };
  const head = first.kind === 'word' ? first.text.toUpperCase() : first.text;
  const scan = new StatementScan(first);
  if (head === 'INSERT') {
    const insertData = readInsertData(text, lexer, scan);
    // the data of an INSERT is not SQL: nothing after it is a statement
    if (!insertData) scan.readRest(lexer);
    return { kind: 'insert', head, outputFormat: undefined, insertData, multipleStatements: scan.multiple, calls: scan.calls };
  }
  let kind: StatementKind;
  if (head === 'SELECT' || head === 'WITH' || head === '(') kind = 'select';
  else if (ROW_RETURNING.has(head)) kind = 'query';
  else kind = 'command';
  const outputFormat = scan.readRest(lexer);
  return { kind, head, outputFormat, insertData: undefined, multipleStatements: scan.multiple, calls: scan.calls };
}

/** Collects calls and notices a second statement while the tokens of the first are read. */
class StatementScan {
  readonly calls: string[] = [];
  multiple = false;
  private previous: Token | undefined;
  private ended = false;

  constructor(first: Token) {
    this.see(first);
  }

  /** Notes one token; false once the first statement has ended. */
  see(token: Token): boolean {
    if (this.ended) {
      if (token.kind !== 'semicolon') this.multiple = true;
      return false;
    }
    if (token.kind === 'semicolon' && token.depth === 0) {
      this.ended = true;
      return false;
    }
    const word = token.kind === 'word' ? token.text.toLowerCase() : undefined;
    if (word === 'infile' || word === 'outfile') this.calls.push(word);
    if (token.kind === 'open' && token.text === '(' && this.previous?.kind === 'word') this.calls.push(this.previous.text.toLowerCase());
    this.previous = token;
    return true;
  }

  /** Reads the remaining tokens; returns the format of the last top-level `FORMAT x`. */
  readRest(lexer: Lexer): string | undefined {
    let format: string | undefined;
    let previous: Token | undefined;
    for (let token = lexer.next(); token; token = lexer.next()) {
      if (!this.see(token)) continue;
      if (token.kind === 'word' && previous?.kind === 'word' && previous.depth === 0 && previous.text.toUpperCase() === 'FORMAT') {
        format = token.text;
      }
      previous = token;
    }
    return format;
  }
}

/**
 * After `INSERT`: find `FORMAT x` or `VALUES` at bracket depth 0. Returns undefined for
 * `INSERT … SELECT`, `INSERT … FROM INFILE` and anything unexpected (then the statement
 * runs as written).
 */
function readInsertData(text: string, lexer: Lexer, scan: StatementScan): InsertData | undefined {
  let settingsStart: number | undefined;
  for (let token = lexer.next(); token; token = lexer.next()) {
    scan.see(token);
    if (token.depth !== 0 || token.kind !== 'word') {
      if (token.kind === 'semicolon' && token.depth === 0) return undefined;
      continue;
    }
    const word = token.text.toUpperCase();
    if (word === 'SELECT' || word === 'WITH' || word === 'INFILE') return undefined;
    if (word === 'SETTINGS' && settingsStart === undefined) settingsStart = token.start;
    if (word === 'VALUES') {
      return {
        targetEnd: settingsStart ?? token.start,
        settingsClause: settingsStart === undefined ? undefined : { start: settingsStart, end: token.start },
        format: 'Values',
        dataOffset: token.end,
      };
    }
    if (word === 'FORMAT') {
      const name = lexer.next();
      if (name) scan.see(name);
      if (!name || name.kind !== 'word') return undefined;
      return {
        targetEnd: settingsStart ?? token.start,
        settingsClause: settingsStart === undefined ? undefined : { start: settingsStart, end: token.start },
        format: name.text,
        dataOffset: dataStart(text, name.end),
      };
    }
  }
  return undefined;
}

/** "Data starts after the first newline, if there is one, or after all the whitespace
 *  characters, otherwise" (ClickHouse ParserInsertQuery). */
function dataStart(text: string, afterFormatName: number): number {
  let pos = afterFormatName;
  while (pos < text.length) {
    const c = text.charAt(pos);
    if (c === '\n') return pos + 1;
    if (!isSpace(c)) return pos;
    pos++;
  }
  return pos;
}
