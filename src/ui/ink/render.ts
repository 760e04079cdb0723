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
