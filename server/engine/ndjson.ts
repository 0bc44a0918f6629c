/**
 * Newline-delimited JSON from a child's stdout (the netlink agent, the spawn relay): calls `onMessage` with
 * each complete line parsed (lines that are not JSON are skipped). Replies can be megabytes long (a
 * 1000-namespace dump): only the new chunk is searched for the end of the line, and a line is joined once
 * (appending to one string and rescanning it was quadratic).
 */
export function ndjsonReader<T>(onMessage: (msg: T) => void): (chunk: Buffer) => void {
  let chunks: Buffer[] = [];
  return (b) => {
    let rest = b;
    for (let nl = rest.indexOf(10); nl >= 0; nl = rest.indexOf(10)) {
      chunks.push(rest.subarray(0, nl));
      const line = Buffer.concat(chunks).toString('utf8');
      chunks = [];
      rest = rest.subarray(nl + 1);
      let msg: T;
      try {
        msg = JSON.parse(line) as T;
      } catch {
        continue;
      }
      onMessage(msg);
    }
    if (rest.length) chunks.push(rest);
  };
}
