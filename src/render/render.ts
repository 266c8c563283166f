import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import type Handlebars from "handlebars";
// Imported, not required on first use: scripts/bundle.mjs bundles it into the CLI, where V8's
// code cache keeps it compiled (its ~80 KB cost ~5 ms to compile on every run).
import runtime from "handlebars/dist/handlebars.runtime.js";
import type { LivepatchPlan } from "../model/plan.js";
import type { Report } from "../model/report.js";
import { precompileTemplates } from "./precompile.js";
import { LINE_RESTORE, toView } from "./view.js";
import type { LivepatchSet, TuPart } from "../model/livepatch-set.js";
import { partStem, toMainView, toPartView } from "./set-view.js";

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
    // The copied pieces, each with its #line pair (view.ts lineDirective), in every module source.
    runtime.registerPartial("body", runtime.template(specOf(loaded, "partials/body.hbs")));
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
 * A livepatch over one or more TUs. One: as renderLivepatch. Several: a file
 * per part (NAME_<key>.c, so that statics copied from two TUs never clash),
 * NAME_main.c with the klp_patch, a Kbuild that links them into NAME.ko.
 */
export function renderLivepatchSet(set: LivepatchSet, report: Report): Map<string, string> {
  if (set.parts.length === 1) return renderLivepatch(set.parts[0]!.plan, report);
  const main = toMainView(set);
  const files = new Map<string, string>();
  files.set(`${set.name}_main.c`, template("livepatch-main.c.hbs")(main));
  for (const part of set.parts) files.set(`${partStem(set, part)}.c`, renderPart(set, part));
  files.set("Kbuild", template("Kbuild-multi.hbs")(main));
  files.set("report.json", `${JSON.stringify(report, null, 2)}\n`);
  files.set("patched_funcs.csv", template("patched_funcs.csv.hbs")(main));
  return files;
}

/** One part's generated file (what the compile check of that TU compiles). */
export function renderPart(set: LivepatchSet, part: TuPart): string {
  return restoreLines(template("livepatch-part.c.hbs")(toPartView(set, part)), `${partStem(set, part)}.c`);
}

/** NAME_main.c alone (its compile check). */
export function renderMain(set: LivepatchSet): string {
  return template("livepatch-main.c.hbs")(toMainView(set));
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
