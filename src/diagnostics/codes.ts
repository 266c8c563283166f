/**
 * The catalogue of diagnostic codes. Codes are stable: tests and users key on
 * them. `exit` is what the CLI returns when such an error ends a run:
 * 2 = bad input or usage, 1 = the patch is unsafe or unsupported.
 */
export interface CodeInfo {
  exit: 1 | 2;
  /** One line for the README: what to do. */
  advice: string;
  /** false: `--force` cannot accept it (the result would be wrong whatever the user checked). */
  forceable?: false;
  /** A warning printed even with -q (one the user must hear of although the run succeeded). */
  loud?: true;
}

export const CODES = {
  "KLP-E001": { exit: 2, advice: "The patch is not a unified diff (empty, prose only, a hunk cut short or miscounted, a NUL byte): pass a whole file made by `git diff`, `git format-patch` or `diff -u`." },
  "KLP-E002": { exit: 2, advice: "The patch does not apply to --src: check that the tree is the kernel version the fix was made for." },
  "KLP-E003": { exit: 2, advice: "A file named by the patch is missing from --src, or its name would leave the tree (absolute, `..`, nothing for -p1 to strip, a symbolic link out of --src): check --src and the patch's a/ b/ paths." },
  "KLP-E004": { exit: 2, advice: "An input does not exist or cannot be read (a path given on the command line, an IPA dump, a file of --src, a report.json): check the option's value and the file's permissions." },
  "KLP-E005": { exit: 2, advice: "The build tree is not configured or lacks the TU's compile command: run `make O=BUILD olddefconfig prepare` and compile the file once (see README, test bed)." },
  "KLP-E006": { exit: 2, advice: "Preprocessing the TU failed, or the --preprocessed file is empty or truncated: the compiler's message follows; check the build tree matches the source, or preprocess again." },
  "KLP-E007": { exit: 2, advice: "A line of the symbol table (kallsyms/System.map) is malformed: regenerate it from /proc/kallsyms or System.map." },
  "KLP-E008": { exit: 2, advice: "A line of Module.symvers is malformed: use the kernel's own Module.symvers." },
  "KLP-E009": { exit: 2, advice: "A line of an IPA clone dump is malformed: regenerate it with -fdump-ipa-clones." },
  "KLP-E010": { exit: 1, advice: "The patch changes no function: data, macros or declarations cannot be live-patched by replacing functions; rework the fix into function changes." },
  "KLP-E011": { exit: 2, advice: "The patch changes nothing but comments or whitespace: there is nothing to patch." },
  "KLP-E012": { exit: 1, advice: "A variable the new code needs is not in the symbol table, so it cannot be reached: check --symbols is the running kernel's." },
  "KLP-E013": { exit: 1, advice: "A function to replace has no symbol in the running kernel and no patchable caller: check --symbols and the IPA clone dump." },
  "KLP-E014": { exit: 1, advice: "A symbol name occurs several times in the symbol table and its position could not be decided: give the kernel's real System.map or kallsyms." },
  "KLP-E015": { exit: 2, advice: "tree-sitter could not parse the C around a changed function: report the region; the tool will not guess." },
  "KLP-E016": { exit: 2, advice: "The output directory exists and is not empty: choose another --out or pass --force-overwrite." },
  "KLP-E017": { exit: 1, advice: "kallsyms mode: a non-exported symbol is reached only through a header inline that a macro other than the trace macros generates (tracepoint inlines are copied), or a tracepoint inline whose macro or declarations were not found: use --externalize klp-reloc, or copy that code into the patch by hand." },
  "KLP-E019": { exit: 2, advice: "Bad command-line usage (also: --out inside --src, which is never written to): see `klp-ccp extract --help`." },
  "KLP-E020": { exit: 1, advice: "What a livepatch cannot replace: a file that is not C, a new .c file, a file deleted, renamed or copied, a .c file only another .c includes, a binary diff, or a .c name that is not UTF-8. Several .c files, and changed headers' inline code, are one livepatch." },
  "KLP-E021": { exit: 1, advice: "The patch changes a struct/union/enum layout: data cannot be live-patched; keep the layout and use shadow variables (klp_shadow_*) or callbacks." },
  "KLP-E022": { exit: 1, advice: "The patch changes a global/static variable's declaration or initializer: the running kernel keeps the old data; change it in a callback or use a shadow variable." },
  "KLP-E023": { exit: 1, advice: "The patch adds, removes or changes a static local variable of a patched function: keep static locals as they are; put new state in a shadow variable." },
  "KLP-E024": { exit: 1, advice: "The patch changes an __init/__exit/__ref function: it already ran or was discarded; patch the code that runs later, or use a callback." },
  "KLP-E025": { exit: 1, advice: "The patch changes a notrace/noinstr function, or one in a TU compiled without ftrace's -pg, which ftrace cannot redirect: patch its callers instead." },
  "KLP-E026": { exit: 1, advice: "The patch changes a function's signature while unpatched code still calls it or takes its address: keep the signature or patch every user." },
  "KLP-E027": { exit: 2, advice: "--functions names a function the file does not define: check the name (a static inline from a header is not in the file)." },
  "KLP-E028": { exit: 1, advice: "A function to replace or copy has no definition in the source nor at a line of the file in the preprocessed TU (could not be parsed): patch the function its body calls, or write it by hand." },
  "KLP-E030": { exit: 2, advice: "The file is not a kernel module object: fixup takes an ELF64 little-endian x86-64 relocatable file (a .ko)." },
  "KLP-E031": { exit: 2, advice: "The ELF file is truncated or inconsistent (a table or section lies outside the file): rebuild the module." },
  "KLP-E032": { exit: 2, advice: "The module has no symbol table: do not run `strip --strip-all` on a livepatch module; rebuild it." },
  "KLP-E033": { exit: 1, advice: "A .klp.sym symbol name is malformed: it must read .klp.sym.OBJECT.NAME,POS (see Documentation/livepatch/module-elf-format.rst)." },
  "KLP-E034": { exit: 1, advice: "A .klp.sym symbol is defined in the module: livepatch symbols must stay undefined; rename the definition." },
  "KLP-E035": { exit: 1, advice: "The module already has livepatch relocation sections that are wrong or clash with the rewrite: rebuild it and run fixup once on kbuild's output." },
  "KLP-E036": { exit: 1, advice: "An undefined symbol is neither a .klp.sym symbol nor exported (Module.symvers): the loader would refuse the module; fix the name or externalize it." },
  "KLP-E037": { exit: 2, advice: "The module or its output could not be read or written: check the path and permissions." },
  "KLP-E040": { exit: 1, forceable: false, advice: "No function is left to replace (every changed function was refused, or the fix only deletes functions): a livepatch would load and change nothing; fix what the other diagnostics report." },
  "KLP-E041": { exit: 1, advice: "The fix deletes a function that unpatched code still calls or whose address it takes (or a global one other files may call): keep the function in the fix, or patch its users too." },
  "KLP-E042": { exit: 1, advice: "The generated module does not compile as a module (-DMODULE -fsyntax-only, the TU's command): the message shows the compiler's first error, in the generated file and the original line it was copied from; report it with the patch. Nothing was written." },
  "KLP-E043": { exit: 1, forceable: false, advice: "A replaced or copied function, preprocessed as the livepatch compiles it, is not the kernel's function (beyond the documented renames): the message names it and shows the first differing tokens in both; report it with the patch. --force cannot accept it." },
  "KLP-E056": { exit: 1, forceable: false, advice: "kallsyms mode on a kernel with IBT (CONFIG_X86_KERNEL_IBT=y in the build's .config) when the livepatch must look symbols up: the lookup calls kallsyms_on_each_symbol and the klpe_ functions through pointers, and their ENDBR may be sealed, so the module would fault on a CPU that enforces IBT; use --externalize klp-reloc. --force cannot accept it." },
  "KLP-E057": { exit: 1, forceable: false, advice: "On an IBT kernel the livepatch's code takes the address of a static kernel function whose address the kernel never takes (its ENDBR is sealed): an indirect call through it would fault; call it directly or copy it. --force cannot accept it." },
  "KLP-E054": { exit: 1, forceable: false, advice: "kallsyms mode: a static initializer of copied code names an externalized variable, or a function whose arguments no thunk can forward (variadic, an unnamed function-pointer parameter), which is reached through a klpe_ pointer filled in at init and so is no constant: use --externalize klp-reloc (it binds the symbol itself), or initialise that static by hand." },
  "KLP-E038": { exit: 2, advice: "--cache-dir is not a directory of your own, or others can write it: what it keeps goes into the livepatch; `chmod go-w` it or pass another (or --no-cache)." },
  "KLP-W001": { exit: 1, advice: "A hunk changes no function (a comment, declaration or macro outside any function): check it needs no live change." },
  "KLP-W002": { exit: 1, advice: "No IPA clone dump was found for a TU: inlining and clones of the changed functions are unknown; produce one with -fdump-ipa-clones." },
  "KLP-W004": { exit: 1, advice: "A header inline or a kernel macro's expansion the new code uses names a non-exported symbol: usually dead code gcc drops; if modpost rejects the module, copy the inline and externalize the symbol." },
  "KLP-W005": { exit: 1, advice: "A replaced or copied function has (non-const) static locals: the livepatch's copy starts with fresh state; externalize it by hand if it matters." },
  "KLP-W006": { exit: 1, advice: "A replaced or copied function uses pr_*_once/WARN_ONCE/ratelimit state, which restarts in the livepatch." },
  "KLP-W007": { exit: 1, advice: "The kernel was not built with -flive-patching: IPA effects other than those in the dumps (e.g. ipa-ra, ipa-icf) are not captured; review the result." },
  "KLP-W008": { exit: 1, advice: "With --no-verify: the livepatch's #include section fails to compile as a module: the module build shows the full error; report it with the patch." },
  "KLP-W009": { exit: 1, advice: "Code replaced in a module uses tracepoints, static keys or static calls, which a module defines and binds at load: test with the module loaded after and before the livepatch." },
  "KLP-W010": { exit: 1, advice: "The fix deletes a static function: nothing replaces it; its users in the file are replaced and no longer call it." },
  "KLP-E058": { exit: 1, advice: "A fix over several .c files: two TUs would replace the same kernel function (object, name, sympos), which one livepatch can register only once: check --symbols, or let one TU's change be the only one to it." },
  "KLP-W019": { exit: 1, advice: "A fix over several .c files: one file's new code calls a function the livepatch replaces in another; the call reaches it through its symbol and the patch redirects it to the new code (both switch in one transition). Nothing to do unless the two were not meant to change together." },
  "KLP-W011": { exit: 1, loud: true, advice: "A cache entry under --cache-dir failed its integrity check (checksum, or numbers pointing outside its data): it was discarded and not used, and is rebuilt; if it repeats, check the disk or what else writes there." },
  "KLP-W018": { exit: 1, advice: "On an IBT kernel the livepatch's code takes the address of a non-exported global function: if no kernel code takes its address too, its ENDBR is sealed and an indirect call through it faults; check, or call it directly." },
  "KLP-W016": { exit: 1, advice: "The fix changes the values of a static const table that only functions read by index: the livepatch copies it as klpp_NAME with the new values and replaces every function of the file that reads it; the kernel's own table keeps the old values (nothing else reads it)." },
  "KLP-E048": { exit: 1, advice: "klp-reloc mode: a copied function still tests a target module's tracepoint key with a jump label (trace events copied as klpr_trace_X test it at run time): the relocations wait for the module to load, after the livepatch's jump labels were set up, and 6.1 then refuses the module; patch a function that does not test it." },
  "KLP-W014": { exit: 1, advice: "A changed macro call that generates functions also defines data (an ops table, an attribute): the generated functions are replaced, the data keeps its old contents; check the fix does not need it changed." },
  "KLP-W003": { exit: 1, advice: "The new code compares or stores a patched function's address: the old and new functions differ; check such comparisons." },
  "KLP-E059": { exit: 1, advice: "A header fix: TUs that include the changed header have no IPA clone dump, and --build is not writable, so they cannot be made on the way: run the `klp-ccp prepare` command the message gives (or make --build writable), then extract again." },
  "KLP-E069": { exit: 1, advice: "A header change klp-ccp cannot follow into the TUs that include it: a changed macro or declaration that no inline function of the header uses (its expansions are in those TUs' own functions), or a header no TU of --build includes. The message names the TUs (kbuild's dependency lists) and the `klp-ccp prepare` command for their IPA dumps; patch the functions that use the change in their .c files instead, the header left as it is." },
  "KLP-W020": { exit: 1, advice: "A header fix: these TUs include the changed header, but none of their functions that exist in the running kernel runs the changed code (the inline is unused there or compiled out): they add nothing to the livepatch. Nothing to do." },
} as const satisfies Record<string, CodeInfo>;

export type DiagnosticCode = keyof typeof CODES;
