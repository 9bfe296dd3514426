// Data utilities: column selection, seeded splits, standardisation, label handling.

export { checkMatrix, column, dropColumn, type Matrix, resolveColumn, selectColumns, takeRows, takeValues } from './matrix.js';
export { type Random, seededRandom, shuffleInPlace } from './random.js';
export { randomSplit, type Split, type SplitOptions, stratifiedSplit } from './split.js';
export { applyStandardizer, fitStandardizer, standardize, type Standardizer } from './standardize.js';
export {
  classIndices, type ClassificationLabels, type LabelOptions, type Labels, labelsFromColumn, oneHot, type RegressionLabels, type Task,
} from './labels.js';
