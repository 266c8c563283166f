import { readFileSync } from "node:fs";
import Handlebars from "handlebars";
import type { LivepatchPlan } from "../model/plan.js";
import type { Report } from "../decide/report.js";
import { toView } from "./view.js";

const templateDir = new URL("../../templates/", import.meta.url);

function compile(name: string): Handlebars.TemplateDelegate {
  // noEscape: this is C, not HTML (`&&` must stay `&&`).
  return Handlebars.compile(readFileSync(new URL(name, templateDir), "utf8"), { noEscape: true, strict: true });
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

/** Only the carved-out C (closure-only output): includes and pieces, no livepatch boilerplate. */
export function renderClosure(plan: LivepatchPlan): string {
  return compile("closure.c.hbs")(toView(plan));
}
