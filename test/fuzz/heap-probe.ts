/**
 * A preload for measuring a server's memory from outside (`NODE_OPTIONS="--expose-gc --require .../heap-probe.js"`):
 * on SIGUSR2 it collects garbage and writes `@@heap {json}` (process.memoryUsage()) as one line on stderr.
 */
if (process.env.SAI_HEAP_PROBE === '1') {
  process.on('SIGUSR2', () => {
    const gc = (globalThis as { gc?: () => void }).gc;
    gc?.();
    gc?.();
    process.stderr.write(`\n@@heap ${JSON.stringify({ ...process.memoryUsage(), collected: !!gc })}\n`);
  });
}
