/** Headless Chromium tabs on the contribute page, for `shoal devstack --browsers N` and tests. */
export { openHeadlessTabs, inLoopbackOnlyNamespace, CHROMIUM_ARGS, CHROMIUM_PATH } from './headless-tabs.ts'
export type { HeadlessTabs, HeadlessTabsOptions } from './headless-tabs.ts'
