// import() of a module that exists only in Node (Dawn's `webgpu`, node:fs/promises), by a
// specifier that bundlers cannot read. A literal import('webgpu') in dist/ — and a
// `const spec = 'webgpu'` beside the call is one: the build folds it in — made esbuild
// bundling a page for the browser pull in Dawn's Node package and fail on its node:path,
// node:url and module imports, and on node:fs/promises. A parameter is not folded.
// webpack 5 and Rspack cannot read it either, and said so ("Critical dependency: the request
// of a dependency is an expression") and replaced the import by an empty module context,
// which also broke it in a Node app bundled by them. `webpackIgnore: true` (kept in dist/
// by the build, as `@vite-ignore` is) tells both to leave the native import() as it is.
// And inNode(), the Node test that code a page can reach makes without naming `process`.

/** import(specifier), hidden from bundlers; call it only where Node is known to be running. */
export function importNodeOnly<T>(specifier: string): Promise<T> {
  return import(/* webpackIgnore: true */ /* @vite-ignore */ specifier) as Promise<T>;
}

/**
 * Whether this runs in Node. Reads `globalThis.process`, never a bare `process`: Parcel (as
 * webpack 4 and Browserify did) answers a bare `process` in code a page can reach by
 * bundling a `process` polyfill, installing it into the user's package.json first, or
 * failing the build where it may not install.
 */
export function inNode(): boolean {
  return typeof globalThis.process?.versions?.node === 'string';
}
