// The training side of the family registry: importing this module loads the training code of the
// built-in families trained here (each src/train module provides its `fit` to the family's
// descriptor in src/models), so every registered family can `fit`. The registry itself is
// src/models/registry.ts (browser-safe; model files load through it).

import './triplet.js';
import './bpr.js';
import './ials.js';
import './ease.js';
import './hlr.js';

export { getFamily, modelKinds, registerFamily, isBuiltInFamily, type AnyFamily, type BuiltInFamilies, type BuiltInKind } from '../models/registry.js';
