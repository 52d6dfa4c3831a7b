// AppArmor and SELinux: a profile or label is applied where the host has the LSM, and is a clear
// error where it does not (runc refuses too rather than run the process unconfined).
import { RuntimeError } from "../sys/errors.ts";
import { exists, readText } from "../sys/fs.ts";
import { writeProcFile } from "../sys/procfs.ts";

export const apparmorEnabled = () => {
  try { return readText("/sys/module/apparmor/parameters/enabled").trim() === "Y"; } catch { return false; }
};
export const selinuxEnabled = () => exists("/sys/fs/selinux/enforce");

/** Parent side, before anything is made: refuse what the host cannot enforce. */
export function checkLsm(where: string, p: { apparmorProfile?: string; selinuxLabel?: string }, mountLabel?: string) {
  if (p.apparmorProfile && !apparmorEnabled())
    throw new RuntimeError(`${where}.apparmorProfile "${p.apparmorProfile}": AppArmor is not enabled on this host`);
  if (p.selinuxLabel && !selinuxEnabled())
    throw new RuntimeError(`${where}.selinuxLabel "${p.selinuxLabel}": SELinux is not enabled on this host`);
  if (mountLabel && !selinuxEnabled())
    throw new RuntimeError(`linux.mountLabel "${mountLabel}": SELinux is not enabled on this host`);
}

/** Init side, right before execve: the kernel applies the label/profile at exec. */
export function applyLsm(p: { apparmorProfile?: string; selinuxLabel?: string }) {
  if (p.apparmorProfile) {
    const attr = exists("/proc/self/attr/apparmor/exec") ? "/proc/self/attr/apparmor/exec" : "/proc/self/attr/exec";
    try { writeProcFile(attr.slice("/proc/".length), `exec ${p.apparmorProfile}`); } catch (e) {
      throw new RuntimeError(`process.apparmorProfile "${p.apparmorProfile}": ${(e as Error).message}`);
    }
  }
  if (p.selinuxLabel) {
    try { writeProcFile("self/attr/exec", p.selinuxLabel); } catch (e) {
      throw new RuntimeError(`process.selinuxLabel "${p.selinuxLabel}": ${(e as Error).message}`);
    }
  }
}
