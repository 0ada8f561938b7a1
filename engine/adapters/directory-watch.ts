import { watch, type FSWatcher } from 'node:fs';

/** A running directory watch. */
export interface DirectoryWatch {
  /** Stops watching; no callback runs afterwards. */
  close(): void;
}

export interface DirectoryWatchOptions {
  /** Changes within this long are reloaded once, ms (default 200). */
  debounceMs?: number;
  /** Called when watching itself fails (e.g. the directory was removed); watching stops. */
  onError?: (err: unknown) => void;
}

/**
 * Watches a directory of definition files (SLOs, gate policies) and calls `onChange` with
 * the whole directory reloaded by `load` after its files change: changes within
 * `debounceMs` are reloaded once, and a reload overtaken by a newer one is dropped. Does
 * not load at start. Reload failures are the loader's to report (in what it returns); a
 * failure of the watch itself goes to `onError`.
 */
export function watchDirectory<T>(dir: string, load: (dir: string) => Promise<T>, onChange: (loaded: T) => void, options: DirectoryWatchOptions = {}): DirectoryWatch {
  const debounceMs = options.debounceMs ?? 200;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let closed = false;
  let generation = 0;
  const watcher: FSWatcher = watch(dir, { persistent: false }, () => {
    if (closed) return;
    if (timer !== undefined) clearTimeout(timer);
    timer = setTimeout(() => {
      timer = undefined;
      const mine = ++generation;
      void load(dir).then((loaded) => {
        if (!closed && mine === generation) onChange(loaded);
      });
    }, debounceMs);
  });
  watcher.on('error', (err) => {
    closed = true;
    if (timer !== undefined) clearTimeout(timer);
    options.onError?.(err);
  });
  return {
    close() {
      closed = true;
      if (timer !== undefined) clearTimeout(timer);
      watcher.close();
    },
  };
}
