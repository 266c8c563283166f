import { workerData } from "node:worker_threads";
import { pchMatches } from "./pch-sum.js";

/** A worker thread's half of checkPchAhead(): checks the PCH and stores 1 (matches), 2 (does not) or 3 (could not check). */
const w = workerData as { path: string; sumLine: string; state: Int32Array };
let answer = 3;
try {
  answer = pchMatches(w.path, w.sumLine) ? 1 : 2;
} finally {
  Atomics.store(w.state, 0, answer);
  Atomics.notify(w.state, 0);
}
