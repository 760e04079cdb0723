import {setFlagsFromString} from 'node:v8'

/**
 * V8 settings for a run that streams a whole account through memory (`tags audit` of 100,000
 * resources), set when the run starts because Node takes no flags from inside the process and
 * a re-exec would cost a second start-up. Both take effect at run time (measured, bench 8):
 * - no allocation-site pretenuring: V8 otherwise sees the records a page adds survive and starts
 *   allocating every object of those sites, the page's garbage included, straight in the old
 *   generation, which nothing collects until it is large (half the peak was such garbage);
 * - no growth of the young generation past its size at that point: Node 22+ grows it to 64 MB
 *   a semi-space on a large machine, all of it resident, for data that lives one page;
 * - the old generation may grow by 60% between full collections, where V8 lets it grow up to
 *   4×: pages promoted out of that small young generation are garbage by the next collection
 *   (peak 186 / 200 MB → 164–179 / 175–178 MB, about 8% more CPU).
 */
export function favourLowMemory(): void {
  setFlagsFromString('--no-allocation-site-pretenuring')
  setFlagsFromString('--semi-space-growth-factor=1')
  setFlagsFromString('--heap-growing-percent=60')
}
