// Time to compile Docker's default profile (amd64: x86_64 + x86 + x32) with libseccomp and with
// the builtin compiler: median of N runs (argv[2], default 50) after a warm-up.
import { readFileSync } from "node:fs";
import { compileSeccomp } from "../src/linux/seccomp/index.ts";
import { DOCKER_DEFAULT_CAPS, type DockerProfile, dockerProfileToOci } from "../src/linux/seccomp/docker-profile.ts";

const runs = Number(process.argv[2] ?? 50);
const docker = JSON.parse(readFileSync(`${import.meta.dir}/../bundles/seccomp/docker-default.json`, "utf8")) as DockerProfile;
const profile = dockerProfileToOci(docker, { arch: "SCMP_ARCH_X86_64", caps: DOCKER_DEFAULT_CAPS });

for (const backend of ["libseccomp", "builtin"] as const) {
  compileSeccomp(profile, { backend }); // warm-up: dlopen, JIT
  const times: number[] = [];
  let size = 0;
  for (let i = 0; i < runs; i++) {
    const start = Bun.nanoseconds();
    size = compileSeccomp(profile, { backend }).program.length / 8;
    times.push((Bun.nanoseconds() - start) / 1e6);
  }
  times.sort((a, b) => a - b);
  console.log(`seccomp compile docker-default ${backend.padEnd(10)} median ${times[runs >> 1]!.toFixed(2)} ms  (${runs} runs, ${size} instructions)`);
}
