// cgroup v1 devices: start from deny-all ("a" to devices.deny), then write each rule in order to
// devices.allow or devices.deny. A wildcard "a *:* rwm" rule switches the default instead.
import type { Controller } from "../controller.ts";
import { isWildcardAll, normalizeDeviceRule, v1DeviceRuleString } from "../devices.ts";
import { writeCgroupFile } from "../files.ts";

const F = "linux.resources.devices";

export const devices: Controller = {
  name: "devices",
  isSet: (r) => r.devices !== undefined,
  apply(dir, r) {
    if (!r.devices) return;
    const rules = r.devices.map((rule, i) => normalizeDeviceRule(rule, `${F}[${i}]`)); // validate all first
    writeCgroupFile(dir, "devices.deny", "a", F);
    rules.forEach((rule, i) => {
      const file = rule.allow ? "devices.allow" : "devices.deny";
      writeCgroupFile(dir, file, isWildcardAll(rule) && rule.access === "rwm" ? "a" : v1DeviceRuleString(rule), `${F}[${i}]`);
    });
  },
};
