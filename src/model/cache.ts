/**
 * The cache directory of one run (--cache-dir) as openCacheDir() checked it.
 * Plain data: the caches read and write under `root` (cache/cache-files.ts,
 * in the layout of cache/layout.ts) and note here what they had to throw
 * away; the pipeline turns `discarded` into one warning and, when the run
 * wrote anything, bounds the directory's size (cache/evict.ts).
 */
export interface CacheDir {
  /** Absolute path of the layout's directory (<--cache-dir>/v<N>), owned by the user and writable by no one else. */
  root: string;
  /** Entries (paths under root) that failed their integrity check this run and were removed. */
  discarded: string[];
  /** Subdirectories (relative to root) already checked this run to be real directories of the user's own. */
  checkedDirs: Set<string>;
  /** The most bytes the entries may take (--cache-size); beyond it the least recently used go. Undefined: no bound. */
  maxBytes: number | undefined;
  /** True once this run wrote an entry: only then can the bound be exceeded, and is it checked. */
  wrote: boolean;
}
