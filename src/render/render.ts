import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import type Handlebars from "handlebars";
// Imported, not required on first use: scripts/bundle.mjs bundles it into the CLI, where V8's
// code cache keeps it compiled (its ~80 KB cost ~5 ms to compile on every run).
import runtime from "handlebars/dist/handlebars.runtime.js";
import type { LivepatchPlan } from "../model/plan.js";
import type { Report } from "../decide/report.js";
import { precompileTemplates } from "./precompile.js";
import { LINE_RESTORE, toView } from "./view.js";

type Spec = Parameters<typeof runtime.template>[0];

/**
 * The templates precompiled by the build (scripts/precompile-templates.mjs),
 * beside the compiled render.js. CommonJS so that it loads synchronously with
 * require on every Node >= 20 (require of an ES module needs 20.19). Like a
 * src/ edit, a template edit shows in dist/ after `npm run build`. Named from
 * dist/'s root: this code also runs from dist/cli/main.bundle.cjs (scripts/bundle.mjs).
 */
const generated = new URL("../render/templates.generated.cjs", import.meta.url);

let specs: Record<string, Spec> | undefined;

/**
 * The precompiled templates, loaded on first use rather than at startup:
 * extract starts the preprocessor first and renders last. Precompiled at
 * build time, a run loads neither Handlebars' compiler nor templates/
 * (~40 ms of a run). The shared partials are registered with them.
 */
function templateSpecs(): Record<string, Spec> {
  if (!specs) {
    const load = createRequire(import.meta.url);
    const loaded = existsSync(fileURLToPath(generated))
      ? (load(fileURLToPath(generated)) as Record<string, Spec>)
      : // Run from src/ (vitest), where no generated file is: the same specs, precompiled and evaluated now.
        Object.fromEntries([...precompileTemplates()].map(([name, source]) => [name, new Function(`return ${source};`)() as Spec]));
    // The preamble and #include section, shared by the module source and its include check.
    runtime.registerPartial("includes", runtime.template(specOf(loaded, "partials/includes.hbs")));
    runtime.registerPartial("syscallWrappers", runtime.template(specOf(loaded, "partials/syscall-wrappers.hbs")));
    runtime.registerPartial("kallsymsResolver", runtime.template(specOf(loaded, "partials/kallsyms-resolver.hbs")));
    specs = loaded;
  }
  return specs;
}

function specOf(specs: Record<string, Spec>, name: string): Spec {
  const spec = specs[name];
  if (!spec) throw new Error(`templates/${name} is not among the precompiled templates (rerun \`npm run build\`)`);
  return spec;
}

const templates = new Map<string, Handlebars.TemplateDelegate>();

/** A template by its path under templates/. */
function template(name: string): Handlebars.TemplateDelegate {
  const done = templates.get(name);
  if (done) return done;
  const made = runtime.template(specOf(templateSpecs(), name));
  templates.set(name, made);
  return made;
}

/** Renders the module source, its Kbuild file and report.json. */
export function renderLivepatch(plan: LivepatchPlan, report: Report): Map<string, string> {
  const view = toView(plan);
  const files = new Map<string, string>();
  files.set(`${plan.name}.c`, restoreLines(template("livepatch.c.hbs")(view), `${plan.name}.c`));
  files.set("Kbuild", template("Kbuild.hbs")(view));
  files.set("report.json", `${JSON.stringify(report, null, 2)}\n`);
  files.set("patched_funcs.csv", template("patched_funcs.csv.hbs")(view));
  return files;
}

/**
 * The module source's preamble and #includes alone (what a trial compile as a
 * module checks): the same lines, in the same order, as renderLivepatch writes.
 */
export function renderIncludeCheck(plan: LivepatchPlan): string {
  return template("include-check.c.hbs")(toView(plan));
}

/** Only the carved-out C (closure-only output): includes and pieces, no livepatch boilerplate. */
export function renderClosure(plan: LivepatchPlan): string {
  return template("closure.c.hbs")(toView(plan));
}

/**
 * After a copied function's `#line N "origin"`, the rest of the file is the
 * livepatch's own again: each LINE_RESTORE line becomes `#line L "NAME.c"`,
 * L the number of the line after it, so klp-ccp's own code keeps its lines.
 */
function restoreLines(text: string, fileName: string): string {
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) if (lines[i] === LINE_RESTORE) lines[i] = `#line ${i + 2} ${JSON.stringify(fileName)}`;
  return lines.join("\n");
}
