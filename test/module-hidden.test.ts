// parse/module-hidden.ts: which arms of a header a -DMODULE build does not read.
import { describe, expect, it } from "vitest";
import { mentionsModuleConditional, moduleHidden } from "../src/parse/module-hidden.js";

describe("moduleHidden", () => {
  it("finds #ifndef MODULE, #if !defined(MODULE) and the #else of #ifdef MODULE", () => {
    const text = [
      "#ifndef MODULE", // 1
      "extern void a(void);", // 2
      "#else", // 3
      "#define b() 0", // 4
      "#endif", // 5
      "#if !defined(MODULE)", // 6
      "extern void c(void);", // 7
      "#endif", // 8
      "#ifdef MODULE", // 9
      "#define d 1", // 10
      "#else", // 11
      "extern int e;", // 12
      "#endif", // 13
    ].join("\n");
    const h = moduleHidden(text);
    expect(h.ranges).toEqual([[2, 2], [7, 7], [12, 12]]);
    expect(h.moduleArms).toBe("#define b() 0\n#define d 1\n");
    expect(mentionsModuleConditional(text)).toBe(true);
  });

  it("leaves conditions that only mention MODULE alone (near miss)", () => {
    const text = "#if defined(MODULE) || defined(CONFIG_X)\nint a;\n#else\nint b;\n#endif\n#ifdef MODULE_SIG\nint c;\n#endif\n";
    expect(moduleHidden(text).ranges).toEqual([]);
    expect(mentionsModuleConditional("#ifdef MODULE_SIG\n#endif\n")).toBe(false);
  });
});
