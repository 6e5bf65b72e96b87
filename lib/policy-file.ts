import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { isPolicyError, type Policy, PolicyError, resolvePolicy } from '../lambdas/policy/policy';

/**
 * Policy files as people write them (JSON or YAML), read on the operator's side: by the CLI and by the CDK
 * construct at synth. The Lambda reads only the JSON this module produces, so the YAML parser never ships in a
 * bundle.
 */

/** Parses JSON or YAML text (YAML is a superset of JSON; JSON is tried first for exact error positions). */
export function parsePolicyText(text: string, source = 'policy'): unknown {
  try {
    return JSON.parse(text);
  } catch {
    try {
      return parseYaml(text);
    } catch (error) {
      throw new PolicyError(`${source}: not valid JSON or YAML: ${(error as Error).message}`, [], {
        cause: error,
      });
    }
  }
}

/** A validated policy file and the JSON the Lambda is to read. */
export interface CompiledPolicy {
  readonly policy: Policy;
  /** The document as pretty-printed JSON with a trailing newline; an empty file becomes `{}`. */
  readonly json: string;
}

/**
 * Reads a JSON or YAML policy file, validates it and returns it as JSON.
 * @throws {PolicyError} when the file cannot be read or parsed, or fails validation (then `issues` names each field).
 */
export function compilePolicyFile(path: string): CompiledPolicy {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new PolicyError(
      `cannot read policy file "${path}" (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
      [],
      { cause: error },
    );
  }
  const document = parsePolicyText(text, path) ?? {};
  try {
    // The document first, so messages show the values as written (a YAML `.inf` would be `null` in JSON)…
    resolvePolicy(document);
    const json = `${JSON.stringify(document, null, 2)}\n`;
    // …then the JSON itself: what passes here is byte for byte what the Lambda will read.
    return { policy: resolvePolicy(JSON.parse(json)), json };
  } catch (error) {
    if (isPolicyError(error))
      throw new PolicyError(`${path}: ${error.message}`, error.issues, { cause: error });
    throw error;
  }
}
