// cgroup v2 rdma: rdma.max, the same file as v1's.
export { rdma } from "../v1/rdma.ts";
