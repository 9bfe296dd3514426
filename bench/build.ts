// What a benchmark build is made of, recorded as `build` in every results JSON: sigmoid-core's
// version and git commit, and the versions of the packages it was measured against or
// through. Read by bench/build-info.ts when Vite builds a runner or serves the page, and
// compiled in as __BENCH_BUILD__ (so the bundle carried to a GPU host, with no git there,
// still knows). No Node API here: the page imports it. null when run unbundled (vitest).

export interface BuildInfo {
  /** sigmoid-core's package.json version. */
  sigmoidCore: string;
  /** `git rev-parse HEAD` of the checkout it was built from; null outside a git checkout. */
  commit: string | null;
  /** Whether tracked files differed from that commit (uncommitted changes); null without git. */
  dirty: boolean | null;
  /** Installed versions (node_modules) of the peers and of Dawn's `webgpu` package; null when not installed. */
  packages: Record<string, string | null>;
}

declare const __BENCH_BUILD__: BuildInfo | undefined;

export function buildInfo(): BuildInfo | null {
  return typeof __BENCH_BUILD__ === 'undefined' ? null : __BENCH_BUILD__;
}

/** "name version", or the name alone when the version is not known. */
export function withVersion(name: string): string {
  const v = buildInfo()?.packages[name] ?? null;
  return v === null ? name : `${name} ${v}`;
}
