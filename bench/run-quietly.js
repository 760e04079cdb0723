/** Runs the built command with stdout/stderr swallowed; returns its result and what it printed. */
export async function runQuietly(run) {
  const writes = {stdout: process.stdout.write, stderr: process.stderr.write}
  let printed = ''
  const swallow = (chunk, encoding, callback) => {
    printed += String(chunk)
    if (typeof encoding === 'function') encoding()
    else if (typeof callback === 'function') callback()
    return true
  }
  process.stdout.write = swallow
  process.stderr.write = swallow
  try {
    return {result: await run(), printed}
  } finally {
    process.stdout.write = writes.stdout
    process.stderr.write = writes.stderr
  }
}
