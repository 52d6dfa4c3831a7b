// Scalar types of the runtime-spec JSON schema (defs.json), shared by schema.ts and other-platforms.ts.
// JSON numbers arrive as doubles: int64/uint64 bounds are the nearest doubles, as in any
// JSON-schema validator; values above 2^53 lose precision (e.g. a memory limit of 2^63-1).
import * as v from "valibot";

export const integer = (min: number, max: number) =>
  v.pipe(v.number(), v.integer(), v.minValue(min), v.maxValue(max));

export const int32 = integer(-2147483648, 2147483647);
export const int64 = integer(-9223372036854775808, 9223372036854775807);
export const uint8 = integer(0, 255);
export const uint16 = integer(0, 65535);
export const uint32 = integer(0, 4294967295);
export const uint64 = integer(0, 18446744073709551615);
export const fileMode = integer(0, 0o777); // "in decimal, not octal": 438 is 0666

// JSON schema's "type": "object" refuses arrays and null; valibot's object() takes arrays.
export const isJsonObject = (input: unknown): input is Record<string, unknown> =>
  typeof input === "object" && input !== null && !Array.isArray(input);
const jsonObject = v.custom<Record<string, unknown>>(isJsonObject, "expected object");

/** A JSON object with these fields (unknown ones dropped: the spec says to ignore them). */
export const object = <T extends v.ObjectEntries>(entries: T) => v.pipe(jsonObject, v.object(entries));
/** A JSON object used as a map: any keys, each value of one schema. */
export const record = <T extends v.GenericSchema<unknown, unknown>>(value: T) => v.pipe(jsonObject, v.record(v.string(), value));

export const strings = v.array(v.string()); // ArrayOfStrings
export const stringMap = record(v.string()); // mapStringString

/**
 * A schema built the first time a config has its section: constructing valibot schemas is most
 * of the CLI's validation cost at start-up (a CPU profile of `run`), and most configs use few sections.
 */
export function builtOnFirstUse<T extends v.GenericSchema>(build: () => T): v.LazySchema<T> {
  let schema: T | undefined;
  return v.lazy(() => (schema ??= build()));
}
