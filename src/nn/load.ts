// loadSafetensors(engine, bytes): a model saved by model.save(), rebuilt on `engine`
// (the function form of Sequential.fromSafetensors).

import type { Engine } from '../engine.js';
import { Sequential } from './sequential.js';

/** A model saved by model.save() rebuilt on `engine` (architecture and weights); not compiled. */
export function loadSafetensors(engine: Engine, bytes: Uint8Array): Sequential {
  return Sequential.fromSafetensors(engine, bytes);
}
