/** What the livepatch's design depends on in the kernel's configuration (`BUILD/.config`). */
export interface KernelConfig {
  /** The .config read (absolute path), for diagnostics. */
  file: string;
  /**
   * Where `CONFIG_X86_KERNEL_IBT=y` is (1-based line), or undefined without IBT. On an IBT
   * kernel objtool seals the ENDBR of every function whose address vmlinux never takes, so an
   * indirect call to such a function faults (#CP) on a CPU that enforces IBT.
   */
  ibtLine?: number;
}
