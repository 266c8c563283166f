// @ts-check
import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["dist/", "node_modules/", "examples/", "test/fixtures/"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_" }],
      // Layering: tree-sitter only in parse/, handlebars only in render/.
      "no-restricted-imports": ["error", { paths: [
        { name: "tree-sitter", message: "only src/parse may import tree-sitter" },
        { name: "tree-sitter-c", message: "only src/parse may import tree-sitter-c" },
        { name: "handlebars", message: "only src/render may import handlebars" },
      ], patterns: [{ group: ["handlebars/*"], message: "only src/render may import handlebars" }] }],
    },
  },
  { files: ["src/parse/**"], rules: { "no-restricted-imports": ["error", { paths: [
    { name: "handlebars", message: "only src/render may import handlebars" } ],
    patterns: [{ group: ["handlebars/*"], message: "only src/render may import handlebars" }] }] } },
  { files: ["src/render/**"], rules: { "no-restricted-imports": ["error", { paths: [
    { name: "tree-sitter", message: "only src/parse may import tree-sitter" } ] }] } },
  { files: ["src/**"], ignores: ["src/cli/**"], rules: { "no-console": "error" } },
);
