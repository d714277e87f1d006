/** The hostile-module cases in headless Chromium. */
import { chromiumRuntime } from './chromium-runtime.ts'
import { hostileCases } from './hostile-cases.ts'

hostileCases(chromiumRuntime)
