// The TU's symbol namespace imports, carried into the livepatch (src/decide/namespace-imports.ts):
// corpus ene_ub6250.c used usb_stor_* exports of namespace USB_STORAGE, and modpost refused it.
import { describe, expect, it } from "vitest";
import { join } from "node:path";
import { run } from "../src/kbuild/run.js";
import { namespaceImports } from "../src/decide/namespace-imports.js";
import type { TuContext } from "../src/model/tu.js";
import { FIXTURES, expectGolden } from "./golden.js";

const DIR = join(FIXTURES, "decide", "namespace-imports");

function piecesOf(file: string, text?: string) {
  const pp = text === undefined ? run(["gcc", "-E", "-I", "include", file], DIR) : { status: 0, stdout: text, stderr: "" };
  expect(pp.status, pp.stderr).toBe(0);
  return namespaceImports({ relPath: `drivers/usb/storage/${file}`, tu: { text: pp.stdout } } as unknown as TuContext);
}

describe("symbol namespace imports", () => {
  it("each namespace the TU imports, once, as MODULE_INFO(import_ns, ...)", () => {
    const [piece, ...rest] = piecesOf("demo.c");
    expect(rest).toEqual([]);
    expect(piece!.kind).toBe("declaration");
    expectGolden(join(DIR, "expected.c"), `${piece!.text}\n`);
  });
  it("built-in code's modinfo strings have the module name before them", () => {
    const builtIn = 'static const char __UNIQUE_ID_import_ns7[] __attribute__((__used__)) = "usb_storage" "." "import_ns" "=" "USB_STORAGE";';
    expect(piecesOf("demo.c", builtIn).map((p) => p.text)).toEqual(['MODULE_INFO(import_ns, "USB_STORAGE");']);
  });
  it("near miss: import_ns=... as another tag's value or a string in code is no import", () => {
    expect(piecesOf("near-miss.c")).toEqual([]);
  });
});
