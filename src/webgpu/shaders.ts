// The WGSL sources, imported as strings with Vite's `?raw` suffix (inlined by the build,
// handled by vitest). WGSL has no #include, so common.wgsl (the overflow-safe sigmoid,
// tanh and activation helpers, the SGD rule) is prepended to every file.

import commonSrc from '../../shaders/common.wgsl?raw';
import elementwiseSrc from '../../shaders/elementwise.wgsl?raw';
import gramSrc from '../../shaders/gram.wgsl?raw';
import matmulSrc from '../../shaders/matmul.wgsl?raw';
import reduceSrc from '../../shaders/reduce.wgsl?raw';
import trainSrc from '../../shaders/train.wgsl?raw';

export type ShaderName = 'matmul' | 'elementwise' | 'reduce' | 'gram' | 'train';

export const SHADER_SOURCES: Readonly<Record<ShaderName, string>> = {
  matmul: `${commonSrc}\n${matmulSrc}`,
  elementwise: `${commonSrc}\n${elementwiseSrc}`,
  reduce: `${commonSrc}\n${reduceSrc}`,
  gram: `${commonSrc}\n${gramSrc}`,
  train: `${commonSrc}\n${trainSrc}`,
};
