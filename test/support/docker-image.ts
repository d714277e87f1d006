/**
 * The container image of the Docker tests, built locally (there is no registry here and tests
 * never pull): a busybox rootfs from busybox-static, `docker import`ed once per machine.
 */
import { execFile } from 'node:child_process'
import { mkdir, mkdtemp, rm, symlink, writeFile, copyFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'

const run = promisify(execFile)

/** The image the Docker tests run: busybox with sh, cat, echo, ls, wc, sha256sum, ... */
export const TEST_IMAGE = 'local/shoal-busybox:test'

/** Where busybox-static installs its binary. */
const BUSYBOX = '/bin/busybox'
const APPLETS = ['sh', 'cat', 'echo', 'ls', 'wc', 'sha256sum', 'sleep', 'head', 'dd', 'env', 'pwd', 'touch', 'mkdir', 'ip', 'id', 'seq', 'yes', 'true', 'false', 'nslookup', 'wget', 'tail', 'printf']

let building: Promise<string> | undefined

/** Runs the docker CLI; rejects with its stderr. */
export async function dockerCli(args: string[]): Promise<string> {
  const { stdout } = await run('docker', args, { maxBuffer: 16 * 1024 * 1024 })
  return stdout
}

/** Whether dockerd answers on this machine. */
export async function dockerAvailable(): Promise<boolean> {
  return dockerCli(['version', '--format', '{{.Server.Version}}']).then(
    () => true,
    () => false,
  )
}

/**
 * Builds {@link TEST_IMAGE} unless dockerd has it already, and returns its name. Fails with what
 * to install when busybox-static or dockerd is missing (.ci/run provides both).
 */
export function ensureTestImage(): Promise<string> {
  building ??= build()
  return building
}

async function build(): Promise<string> {
  const present = await dockerCli(['image', 'inspect', TEST_IMAGE]).then(
    () => true,
    () => false,
  )
  if (present) return TEST_IMAGE
  const root = await mkdtemp(join(tmpdir(), 'shoal-busybox-rootfs-'))
  try {
    for (const dir of ['bin', 'etc', 'tmp', 'proc', 'sys', 'dev', 'work']) await mkdir(join(root, dir))
    await copyFile(BUSYBOX, join(root, 'bin', 'busybox')).catch((error: unknown) => {
      throw new Error(`cannot copy ${BUSYBOX} into the test image (apt-get install busybox-static): ${(error as Error).message}`)
    })
    for (const applet of APPLETS) await symlink('busybox', join(root, 'bin', applet))
    await writeFile(join(root, 'etc', 'passwd'), 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/sh\n')
    await writeFile(join(root, 'etc', 'group'), 'root:x:0:\nnogroup:x:65534:\n')
    const tar = `tar -C ${JSON.stringify(root)} -c . | docker import --change 'ENV PATH=/bin' - ${TEST_IMAGE}`
    await run('sh', ['-c', tar])
  } finally {
    await rm(root, { recursive: true, force: true })
  }
  return TEST_IMAGE
}

/** IDs of the containers (running or not) carrying `label` (`key=value`). */
export async function containersLabelled(label: string): Promise<string[]> {
  const out = await dockerCli(['ps', '-a', '-q', '--filter', `label=${label}`])
  return out.split('\n').filter((line) => line.trim() !== '')
}
