// For type-checking, `sigmoid-core` in the browser page means the library's own source
// types; at run time the page's Vite config aliases it to the built dist/index.js.
declare module 'sigmoid-core' {
  const lib: typeof import('../../src/index.js');
  export = lib;
}
