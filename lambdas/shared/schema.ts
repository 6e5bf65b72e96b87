import { config } from 'zod/mini';
import en from 'zod/v4/locales/en.js';

/**
 * The one way schema code in this repo gets zod: the tree-shakeable `zod/mini` API with English issue messages.
 * Import it as a namespace, `import * as z from '.../shared/schema'`. The named `z` that zod also exports is one
 * object holding the whole library (every locale, JSON Schema, the compiler): importing it puts 430 KB back into
 * each Lambda bundle, where the namespace import keeps only what is called.
 *
 * zod/mini loads no locale, so without this every built-in issue would read "Invalid input". Only English is
 * imported (`locales` would pull in every language). The locale is process-wide zod state; schemas importing from
 * here get it set before anything parses.
 */
config(en());

export * from 'zod/mini';
