/**
 * Orders strings by UTF-16 code units: the same order on every machine.
 * localeCompare() follows the process's locale (LANG), so output sorted with
 * it could differ between two hosts, and its first call loads ICU's
 * collation data (~25 ms of a run).
 */
export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
