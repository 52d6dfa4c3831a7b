// The runtime-spec's own JSON schema, run by a real JSON-schema validator (ajv, draft-04):
// the oracle our valibot schema must agree with.
import { readdirSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import Ajv from "ajv-draft-04";

// shared/ lies beside the repository (the work tree and CI's clone alike).
export const SPEC_DIR = process.env.OCI_RUNTIME_SPEC_DIR ?? resolve(import.meta.dir, "../../../../shared/oci-runtime-spec");

let validate: ((data: unknown) => boolean) | undefined;

/** Validates a config value with config-schema.json; returns ajv's error lines ([] = valid). */
export function schemaErrors(config: unknown): string[] {
  if (!validate) {
    const ajv = new Ajv({ allErrors: true, strict: false });
    for (const file of readdirSync(SPEC_DIR).filter((f) => /^(defs|config-).*\.json$/.test(f)))
      if (file !== "config-schema.json") ajv.addSchema(JSON.parse(readFileSync(`${SPEC_DIR}/${file}`, "utf8")), file);
    const compiled = ajv.compile(JSON.parse(readFileSync(`${SPEC_DIR}/config-schema.json`, "utf8")));
    validate = (data) => {
      const ok = compiled(data);
      lastErrors = (compiled.errors ?? []).map((e) => `${e.instancePath} ${e.message}`);
      return ok;
    };
  }
  return validate(config) ? [] : lastErrors;
}
let lastErrors: string[] = [];
