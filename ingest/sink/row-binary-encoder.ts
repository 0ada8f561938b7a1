import { ByteSink, NOT_ENCODABLE, codedColumns, filledColumns, type CodedColumn } from './binary-column-codecs.ts';
import type { Row } from './signal-rows.ts';

/** One insertable column of a table, as `system.columns` lists it. */
export interface ColumnSpec {
  name: string;
  type: string;
}

/**
 * Encodes rows (the JSONEachRow-shaped objects of signal-rows.ts and of the batch
 * participants) as ClickHouse RowBinary, row after row
 * (https://clickhouse.com/docs/interfaces/formats/RowBinary), for a table whose column types
 * it was built from; undefined for a batch with a value that has no exact binary form
 * (binary-column-codecs.ts): the caller sends it as JSONEachRow. ClickHouse reads Native
 * faster still (native-encoder.ts; bench/insert-formats.bench.ts compares them).
 */
export class RowBinaryEncoder {
  private readonly columns: readonly CodedColumn[];
  private readonly sink = new ByteSink();

  private constructor(columns: CodedColumn[]) {
    this.columns = columns;
  }

  /** An encoder for these columns, or undefined when one of their types has no codec. */
  static forColumns(columns: readonly ColumnSpec[]): RowBinaryEncoder | undefined {
    const coded = codedColumns(columns);
    return coded && new RowBinaryEncoder(coded);
  }

  /** The rows as RowBinary with the columns they fill (see filledColumns), or undefined. */
  encode(rows: readonly Row[]): { columns: string[]; data: Buffer } | undefined {
    const present = filledColumns(rows, this.columns);
    if (!present) return undefined;
    const sink = this.sink;
    sink.reset();
    try {
      for (const row of rows) for (const column of present) column.codec.write(sink, row[column.name]);
    } catch (err) {
      if (err === NOT_ENCODABLE) return undefined;
      throw err;
    }
    return { columns: present.map((c) => c.name), data: sink.take() };
  }
}
