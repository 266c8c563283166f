import { readFileSync, readdirSync } from "node:fs";
import { createRequire } from "node:module";
import type Handlebars from "handlebars";

/** templates/, beside both src/ and dist/. */
const templateDir = new URL("../../templates/", import.meta.url);

/**
 * Every template under templates/ (and templates/partials/) as Handlebars'
 * precompiled JavaScript source, by path relative to templates/. The build
 * writes these into dist/render/templates.generated.cjs
 * (scripts/precompile-templates.mjs) so that a run needs only Handlebars'
 * runtime; render.ts calls this itself only when that file is missing (run
 * from src/ by vitest), so both paths render through the same specs.
 */
export function precompileTemplates(): Map<string, string> {
  const compiler = createRequire(import.meta.url)("handlebars") as typeof Handlebars;
  const specs = new Map<string, string>();
  for (const dir of ["", "partials/"]) {
    for (const file of readdirSync(new URL(dir, templateDir)).filter((f) => f.endsWith(".hbs")).sort()) {
      const text = readFileSync(new URL(dir + file, templateDir), "utf8");
      // noEscape: this is C, not HTML (`&&` must stay `&&`). strict: a view field
      // the template names but the view lacks is an error, not an empty string.
      // Partials get the same options (compiled at runtime, they inherited the caller's).
      // precompile's typings say TemplateSpecification; it returns the spec's source text.
      specs.set(dir + file, String(compiler.precompile(text, { noEscape: true, strict: true })));
    }
  }
  return specs;
}
