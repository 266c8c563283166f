// Handlebars' runtime-only build (no parser, no compiler) as one file: the package types
// only the full build, whose runtime half is what this module's default export is.
declare module "handlebars/dist/handlebars.runtime.js" {
  import type Handlebars from "handlebars";
  const runtime: Pick<typeof Handlebars, "template" | "registerPartial">;
  export default runtime;
}
