/** Where a one-shot command writes: results on `out` (stdout), messages on `err` (stderr). Tests capture both. */
export interface CliIo {
  out(text: string): void;
  err(text: string): void;
}

export const PROCESS_IO: CliIo = {
  out: (text) => void process.stdout.write(text),
  err: (text) => void process.stderr.write(text),
};
