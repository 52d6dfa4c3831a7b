// path.resolve for POSIX paths. node:path is not imported anywhere: Bun loads every builtin the
// bundle imports at each start (node:path ~0.3 ms, twice per container start).

/** Like node's path.resolve: later absolute parts win, relative ones join; "." and ".." folded. */
export function resolvePath(...parts: string[]): string {
  let joined = "";
  for (let i = parts.length - 1; i >= 0 && !joined.startsWith("/"); i--) {
    const p = parts[i]!;
    if (p) joined = joined ? `${p}/${joined}` : p;
  }
  if (!joined.startsWith("/")) joined = `${process.cwd()}/${joined}`;
  const out: string[] = [];
  for (const seg of joined.split("/")) {
    if (!seg || seg === ".") continue;
    if (seg === "..") out.pop();
    else out.push(seg);
  }
  return `/${out.join("/")}`;
}
