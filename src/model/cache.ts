/**
 * The cache directory of one run (--cache-dir) as openCacheDir() checked it.
 * Plain data: the caches read and write under `root` and note here what they
 * had to throw away; the pipeline turns `discarded` into one warning.
 */
export interface CacheDir {
  /** Absolute path of the directory, owned by the user and writable by no one else. */
  root: string;
  /** Entries (paths under root) that failed their integrity check this run and were removed. */
  discarded: string[];
  /** Subdirectories (relative to root) already checked this run to be real directories of the user's own. */
  checkedDirs: Set<string>;
}
