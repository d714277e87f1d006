/** The shared engine cases in headless Chromium. */
import { chromiumRuntime } from './chromium-runtime.ts'
import { engineCases } from './engine-cases.ts'

engineCases(chromiumRuntime)
