import { spawn, execFile, type ChildProcess } from 'node:child_process'
import { randomBytes, randomUUID } from 'node:crypto'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { freePort } from './free-port.ts'

const run = promisify(execFile)

/** Options of {@link startRadosgw}. */
export interface StartRadosgwOptions {
  /** Bytes the in-memory OSD holds (default 1 GiB). */
  memstoreBytes?: number
  /**
   * Keep objects in a BlueStore on a sparse file of this many bytes under the cluster's temp dir
   * instead of the in-memory OSD: for objects of gigabytes, which a memstore would hold in RAM.
   */
  bluestoreBytes?: number
  /** Longest wait for the gateway to answer, in ms (default 60 s). */
  timeoutMs?: number
}

/** A throwaway Ceph cluster (one mon, one memstore or file-backed BlueStore OSD) with an S3 gateway on loopback. */
export interface Radosgw {
  /** The S3 endpoint, e.g. http://127.0.0.1:PORT. */
  endpoint: string
  accessKeyId: string
  secretAccessKey: string
  region: string
  /** Stops every daemon and deletes the cluster's directory. */
  stop(): Promise<void>
}

/** Whether the Ceph binaries the harness needs are installed (apt: radosgw ceph-mon ceph-osd ceph-common). */
export async function radosgwInstalled(): Promise<boolean> {
  try {
    await run('sh', ['-c', 'command -v radosgw && command -v ceph-mon && command -v ceph-osd && command -v monmaptool'])
    return true
  } catch {
    return false
  }
}

/**
 * Starts a real S3 server that checks SigV4 (Ceph's radosgw) on loopback: everything (config,
 * keyrings, logs, sockets) lives in one temp dir, deleted by stop(). Throws after `timeoutMs`
 * with the daemons' output when the cluster does not come up.
 */
export async function startRadosgw(options: StartRadosgwOptions = {}): Promise<Radosgw> {
  const dir = await mkdtemp(join(tmpdir(), 'shoal-radosgw-'))
  const processes: ChildProcess[] = []
  const output: string[] = []
  // Daemons die with the test process even when it never reaches stop().
  const killAll = () => {
    for (const child of processes) child.kill('SIGKILL')
  }
  process.once('exit', killAll)
  const stop = async () => {
    process.off('exit', killAll)
    for (const child of processes.reverse()) {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve))
        child.kill('SIGKILL')
        await exited
      }
    }
    await rm(dir, { recursive: true, force: true, maxRetries: 3 })
  }
  try {
    const monPort = await freePort()
    const rgwPort = await freePort()
    const fsid = randomUUID()
    const conf = join(dir, 'ceph.conf')
    await mkdir(join(dir, 'mon'), { recursive: true })
    await mkdir(join(dir, 'osd'), { recursive: true })
    await mkdir(join(dir, 'run'), { recursive: true })
    await writeFile(
      conf,
      [
        '[global]',
        `fsid = ${fsid}`,
        `mon_host = v2:127.0.0.1:${monPort}`,
        'mon_initial_members = a',
        'ms_bind_msgr1 = false',
        'public_addr = 127.0.0.1',
        'auth_cluster_required = cephx',
        'auth_service_required = cephx',
        'auth_client_required = cephx',
        `keyring = ${dir}/$name.keyring`,
        `log_file = ${dir}/$name.log`,
        `run_dir = ${dir}/run`,
        `admin_socket = ${dir}/run/$name.asok`,
        `pid_file = ${dir}/run/$name.pid`,
        'osd_pool_default_size = 1',
        'osd_pool_default_min_size = 1',
        'mon_allow_pool_size_one = true',
        'osd_crush_chooseleaf_type = 0',
        'mon_warn_on_pool_no_redundancy = false',
        'paxos_propose_interval = 0.05',
        'mon_data_avail_warn = 1',
        'mon_data_avail_crit = 0',
        '[mon]',
        `mon_data = ${dir}/mon/$id`,
        '[osd]',
        ...(options.bluestoreBytes === undefined
          ? ['osd_objectstore = memstore', `memstore_device_bytes = ${options.memstoreBytes ?? 1024 ** 3}`]
          : [
              'osd_objectstore = bluestore',
              'bluestore_block_create = true',
              `bluestore_block_size = ${options.bluestoreBytes}`,
              // A small cache: the OSD's own RSS is not what tests measure, and the machine is shared.
              'osd_memory_target = 939524096',
              'bluestore_cache_autotune = false',
              'bluestore_cache_size = 134217728',
            ]),
        `osd_data = ${dir}/osd/$id`,
        '[client.rgw.a]',
        `rgw_frontends = beast endpoint=127.0.0.1:${rgwPort}`,
        `rgw_data = ${dir}/rgw`,
        'rgw_dns_name = localhost',
        '',
      ].join('\n'),
    )
    const authtool = (args: string[]) => run('ceph-authtool', args)
    await authtool([join(dir, 'mon.keyring'), '--create-keyring', '--gen-key', '-n', 'mon.', '--cap', 'mon', 'allow *'])
    await authtool([join(dir, 'client.admin.keyring'), '--create-keyring', '--gen-key', '-n', 'client.admin', '--cap', 'mon', 'allow *', '--cap', 'osd', 'allow *', '--cap', 'mgr', 'allow *'])
    await authtool([join(dir, 'client.rgw.a.keyring'), '--create-keyring', '--gen-key', '-n', 'client.rgw.a', '--cap', 'mon', 'allow rw', '--cap', 'osd', 'allow rwx'])
    await authtool([join(dir, 'mon.keyring'), '--import-keyring', join(dir, 'client.admin.keyring')])
    await authtool([join(dir, 'mon.keyring'), '--import-keyring', join(dir, 'client.rgw.a.keyring')])
    await run('monmaptool', ['--create', '--addv', 'a', `[v2:127.0.0.1:${monPort}]`, '--fsid', fsid, join(dir, 'monmap')])
    await run('ceph-mon', ['-c', conf, '--mkfs', '-i', 'a', '--monmap', join(dir, 'monmap'), '--keyring', join(dir, 'mon.keyring')])
    const daemon = (command: string, args: string[]) => {
      const child = spawn(command, ['-f', '-c', conf, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
      child.stdout!.on('data', (chunk: Buffer) => output.push(`${command}: ${chunk.toString()}`))
      child.stderr!.on('data', (chunk: Buffer) => output.push(`${command}: ${chunk.toString()}`))
      processes.push(child)
    }
    daemon('ceph-mon', ['-i', 'a'])
    const ceph = (args: string[]) => run('ceph', ['-c', conf, '-n', 'client.admin', '--connect-timeout', '20', ...args])
    const osdUuid = randomUUID()
    const { stdout: osdId } = await ceph(['osd', 'new', osdUuid])
    const id = osdId.trim()
    await mkdir(join(dir, 'osd', id), { recursive: true })
    await authtool([join(dir, `osd.${id}.keyring`), '--create-keyring', '--gen-key', '-n', `osd.${id}`])
    await ceph(['auth', 'add', `osd.${id}`, 'osd', 'allow *', 'mon', 'allow profile osd', 'mgr', 'allow profile osd', '-i', join(dir, `osd.${id}.keyring`)])
    await run('ceph-osd', ['-c', conf, '-i', id, '--mkfs', '--no-mon-config', '--osd-uuid', osdUuid])
    daemon('ceph-osd', ['-i', id])
    daemon('radosgw', ['-n', 'client.rgw.a'])
    const accessKeyId = `SHOAL${randomBytes(8).toString('hex').toUpperCase()}`
    const secretAccessKey = randomBytes(20).toString('hex')
    const endpoint = `http://127.0.0.1:${rgwPort}`
    const deadline = Date.now() + (options.timeoutMs ?? 60_000)
    // Bounded: the gateway answers once its pools exist, or the deadline passes.
    for (;;) {
      const up = await fetch(endpoint, { signal: AbortSignal.timeout(2000) }).then(
        (response) => response.status < 500,
        () => false,
      )
      if (up) break
      if (Date.now() > deadline) throw new Error(`radosgw did not answer at ${endpoint} within ${options.timeoutMs ?? 60_000} ms:\n${output.join('').slice(-4000)}`)
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
    await run('radosgw-admin', ['-c', conf, '-n', 'client.admin', 'user', 'create', '--uid', 'shoal', '--display-name', 'shoal', '--access-key', accessKeyId, '--secret', secretAccessKey])
    return { endpoint, accessKeyId, secretAccessKey, region: 'us-east-1', stop }
  } catch (error) {
    await stop()
    throw error
  }
}
