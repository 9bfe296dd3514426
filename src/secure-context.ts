// WebGPU (navigator.gpu) and the origin-private file system exist only in a secure context:
// on a page served over plain http from a host other than localhost, browsers hide them, and
// "this browser has no WebGPU" sent the user looking in the wrong place.

/** Why a page-only API is missing when this is a page that is not a secure context, else null. */
export function insecureContext(): string | null {
  return (globalThis as { isSecureContext?: boolean }).isSecureContext === false
    ? 'this page is not a secure context, where browsers hide it (serve the page over https, or from http://localhost or http://127.0.0.1)'
    : null;
}
