import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import type Handlebars from "handlebars";
import type { LivepatchPlan } from "../model/plan.js";
import type { Report } from "../decide/report.js";
import { toView } from "./view.js";

const templateDir = new URL("../../templates/", import.meta.url);

let engine: typeof Handlebars | undefined;

/**
 * Handlebars, loaded on first use rather than at startup (~40 ms): extract
 * starts the preprocessor first and renders last.
 */
function handlebars(): typeof Handlebars {
  if (!engine) {
    engine = createRequire(import.meta.url)("handlebars") as typeof Handlebars;
    // The preamble and #include section, shared by the module source and its include check.
    engine.registerPartial("includes", readFileSync(new URL("partials/includes.hbs", templateDir), "utf8"));
    engine.registerPartial("syscallWrappers", readFileSync(new URL("partials/syscall-wrappers.hbs", templateDir), "utf8"));
  }
  return engine;
}

const compiled = new Map<string, Handlebars.TemplateDelegate>();

function compile(name: string): Handlebars.TemplateDelegate {
  const done = compiled.get(name);
  if (done) return done;
  // noEscape: this is C, not HTML (`&&` must stay `&&`).
  const template = handlebars().compile(readFileSync(new URL(name, templateDir), "utf8"), { noEscape: true, strict: true });
  compiled.set(name, template);
  return template;
}

/** Renders the module source, its Kbuild file and report.json. */
export function renderLivepatch(plan: LivepatchPlan, report: Report): Map<string, string> {
  const view = toView(plan);
  const files = new Map<string, string>();
  files.set(`${plan.name}.c`, compile("livepatch.c.hbs")(view));
  files.set("Kbuild", compile("Kbuild.hbs")(view));
  files.set("report.json", `${JSON.stringify(report, null, 2)}\n`);
  files.set("patched_funcs.csv", compile("patched_funcs.csv.hbs")(view));
  return files;
}

/**
 * The module source's preamble and #includes alone (what a trial compile as a
 * module checks): the same lines, in the same order, as renderLivepatch writes.
 */
export function renderIncludeCheck(plan: LivepatchPlan): string {
  return compile("include-check.c.hbs")(toView(plan));
}

/** Only the carved-out C (closure-only output): includes and pieces, no livepatch boilerplate. */
export function renderClosure(plan: LivepatchPlan): string {
  return compile("closure.c.hbs")(toView(plan));
}
