import {type Instance, render, type RenderOptions} from 'ink'
import type {ReactNode} from 'react'

import {lendColour} from '../colour.js'

/**
 * ink's render, in the colour decided for the stream it draws on (NO_COLOR, FORCE_COLOR,
 * --[no-]color), for as long as the view is mounted.
 */
export function renderInColour(tree: ReactNode, options: RenderOptions & {stdout: NodeJS.WriteStream}): Instance {
  const restoreColour = lendColour(options.stdout)
  const instance = render(tree, options)
  return {
    ...instance,
    unmount(error) {
      instance.unmount(error)
      restoreColour()
    },
  }
}

/**
 * Unmounts a view and waits until ink has written its last frame. Asked for before the unmount,
 * the wait's beforeExit listener is one the unmount takes back; asked after, ink adds one that
 * stays, one more for each view closed.
 */
export async function closeView(instance: Instance): Promise<void> {
  const exited = instance.waitUntilExit()
  instance.unmount()
  await exited
}
