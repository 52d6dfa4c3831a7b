// cgroup v2 pids: the files (pids.max, pids.current) are the same as v1's.
export { pids } from "../v1/pids.ts";
