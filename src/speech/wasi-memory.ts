/**
 * A minimal WASI preview1 host for running a command-line WebAssembly program (flite) entirely in
 * memory: argv in, files it creates under one virtual directory out, nothing else reachable. It
 * replaces node:wasi, which crashed the worker thread (SIGSEGV in V8) after a few sentences on
 * Node 20 when instances were created and exited repeatedly, and which needs a real directory.
 * Only the 13 calls flite imports are provided.
 */
import { type WasmModule, wasm } from './wasm.js';

const ERRNO = { SUCCESS: 0, ACCES: 2, BADF: 8, INVAL: 28, NOENT: 44, SPIPE: 70, NOTCAPABLE: 76 } as const;
const FILETYPE = { CHARACTER_DEVICE: 2, DIRECTORY: 3, REGULAR_FILE: 4 } as const;
const PREOPEN_FD = 3;
/** A program writing more than this into one file is stopped (a sentence is well under 2 MB). */
const MAX_FILE_BYTES = 64 * 1024 * 1024;
const MAX_STDERR = 4096;

class ExitSignal {
  constructor(readonly code: number) {}
}

class MemoryFile {
  data = new Uint8Array(64 * 1024);
  size = 0;
  pos = 0;
  write(bytes: Uint8Array): boolean {
    const end = this.pos + bytes.length;
    if (end > MAX_FILE_BYTES) return false;
    if (end > this.data.length) {
      const grown = new Uint8Array(Math.max(end, this.data.length * 2));
      grown.set(this.data.subarray(0, this.size));
      this.data = grown;
    }
    this.data.set(bytes, this.pos);
    this.pos = end;
    this.size = Math.max(this.size, end);
    return true;
  }
}

export interface WasiRun {
  exitCode: number;
  /** Files the program created, by name relative to the virtual directory. */
  files: Map<string, Uint8Array>;
  stderr: string;
}

/** An instantiated command waiting for its arguments: it runs once. */
export interface PreparedCommand {
  run(args: readonly string[]): WasiRun;
}

/**
 * Runs `module` as a WASI command. `dirName` is the one directory the program sees (e.g. `/out`);
 * it may create files there only (no reading, no subdirectories).
 */
export function runWasiCommand(module: WasmModule, args: readonly string[], dirName: string): WasiRun {
  return prepareWasiCommand(module, dirName).run(args);
}

/**
 * Instantiates `module` now and runs it later with the arguments given then. Instantiating flite
 * (a fresh linear memory filled with its voice data) costs more than speaking a short sentence,
 * so a worker prepares its next instance while it waits for work.
 */
export function prepareWasiCommand(module: WasmModule, dirName: string): PreparedCommand {
  const enc = new TextEncoder();
  let argBytes: Uint8Array[] = [];
  const dirBytes = enc.encode(dirName);
  const fds = new Map<number, MemoryFile>();
  const names = new Map<MemoryFile, string>();
  let nextFd = PREOPEN_FD + 1;
  let stderr = '';
  let memory: { buffer: ArrayBuffer } | undefined;
  const view = () => new DataView((memory as { buffer: ArrayBuffer }).buffer);
  const bytes = (ptr: number, len: number) => new Uint8Array((memory as { buffer: ArrayBuffer }).buffer, ptr, len);

  const iovecs = (iovs: number, count: number): Uint8Array[] => {
    const v = view();
    const out: Uint8Array[] = [];
    for (let i = 0; i < count; i++) out.push(bytes(v.getUint32(iovs + i * 8, true), v.getUint32(iovs + i * 8 + 4, true)));
    return out;
  };

  const imports = {
    args_sizes_get(argcPtr: number, bufSizePtr: number): number {
      const v = view();
      v.setUint32(argcPtr, argBytes.length, true);
      v.setUint32(
        bufSizePtr,
        argBytes.reduce((n, a) => n + a.length, 0),
        true,
      );
      return ERRNO.SUCCESS;
    },
    args_get(argvPtr: number, bufPtr: number): number {
      const v = view();
      let p = bufPtr;
      argBytes.forEach((a, i) => {
        v.setUint32(argvPtr + i * 4, p, true);
        bytes(p, a.length).set(a);
        p += a.length;
      });
      return ERRNO.SUCCESS;
    },
    clock_time_get(_id: number, _precision: bigint, timePtr: number): number {
      view().setBigUint64(timePtr, BigInt(Date.now()) * 1_000_000n, true);
      return ERRNO.SUCCESS;
    },
    fd_close(fd: number): number {
      return fds.delete(fd) || fd <= PREOPEN_FD ? ERRNO.SUCCESS : ERRNO.BADF;
    },
    fd_fdstat_get(fd: number, ptr: number): number {
      const type =
        fd <= 2 ? FILETYPE.CHARACTER_DEVICE : fd === PREOPEN_FD ? FILETYPE.DIRECTORY : fds.has(fd) ? FILETYPE.REGULAR_FILE : 0;
      if (!type) return ERRNO.BADF;
      const v = view();
      v.setUint8(ptr, type);
      v.setUint16(ptr + 2, 0, true);
      v.setBigUint64(ptr + 8, 0xffffffffffffffffn, true);
      v.setBigUint64(ptr + 16, 0xffffffffffffffffn, true);
      return ERRNO.SUCCESS;
    },
    fd_fdstat_set_flags(): number {
      return ERRNO.SUCCESS;
    },
    fd_prestat_get(fd: number, ptr: number): number {
      if (fd !== PREOPEN_FD) return ERRNO.BADF;
      const v = view();
      v.setUint8(ptr, 0);
      v.setUint32(ptr + 4, dirBytes.length, true);
      return ERRNO.SUCCESS;
    },
    fd_prestat_dir_name(fd: number, ptr: number, len: number): number {
      if (fd !== PREOPEN_FD) return ERRNO.BADF;
      bytes(ptr, Math.min(len, dirBytes.length)).set(dirBytes.subarray(0, len));
      return ERRNO.SUCCESS;
    },
    fd_read(fd: number, _iovs: number, _count: number, nreadPtr: number): number {
      // stdin is empty; created files are write-only.
      if (fd !== 0) return ERRNO.BADF;
      view().setUint32(nreadPtr, 0, true);
      return ERRNO.SUCCESS;
    },
    fd_seek(fd: number, offset: bigint, whence: number, newPtr: number): number {
      const f = fds.get(fd);
      if (!f) return fd <= 2 ? ERRNO.SPIPE : ERRNO.BADF;
      const base = whence === 0 ? 0 : whence === 1 ? f.pos : whence === 2 ? f.size : -1;
      const pos = base + Number(offset);
      if (base < 0 || pos < 0 || pos > MAX_FILE_BYTES) return ERRNO.INVAL;
      f.pos = pos;
      view().setBigUint64(newPtr, BigInt(pos), true);
      return ERRNO.SUCCESS;
    },
    fd_write(fd: number, iovs: number, count: number, nwrittenPtr: number): number {
      let written = 0;
      const f = fds.get(fd);
      if (!f && fd !== 1 && fd !== 2) return ERRNO.BADF;
      for (const buf of iovecs(iovs, count)) {
        if (f && !f.write(buf)) return ERRNO.INVAL;
        if (fd === 2 && stderr.length < MAX_STDERR) stderr += new TextDecoder().decode(buf).slice(0, MAX_STDERR - stderr.length);
        written += buf.length;
      }
      view().setUint32(nwrittenPtr, written, true);
      return ERRNO.SUCCESS;
    },
    path_open(
      dirFd: number,
      _dirFlags: number,
      pathPtr: number,
      pathLen: number,
      _oflags: number,
      _rb: bigint,
      _ri: bigint,
      _fdFlags: number,
      fdPtr: number,
    ): number {
      if (dirFd !== PREOPEN_FD) return ERRNO.BADF;
      const name = new TextDecoder().decode(bytes(pathPtr, pathLen));
      // One level, plain names: nothing to traverse, nothing to read.
      if (!/^[A-Za-z0-9_.-]{1,64}$/.test(name) || name.startsWith('.')) return ERRNO.NOTCAPABLE;
      if (fds.size >= 8) return ERRNO.ACCES;
      const file = new MemoryFile();
      const fd = nextFd++;
      fds.set(fd, file);
      names.set(file, name);
      view().setUint32(fdPtr, fd, true);
      return ERRNO.SUCCESS;
    },
    proc_exit(code: number): never {
      throw new ExitSignal(code);
    },
  };

  const instance = wasm.instantiateSync(module, { wasi_snapshot_preview1: imports });
  memory = instance.exports.memory as { buffer: ArrayBuffer };
  let used = false;
  return {
    run(args: readonly string[]): WasiRun {
      // A WASI command's static state is spent after one run: never start it twice.
      if (used) throw new Error('a prepared WASI command runs once');
      used = true;
      argBytes = args.map((a) => enc.encode(`${a}\0`));
      let exitCode = 0;
      try {
        (instance.exports._start as () => void)();
      } catch (err) {
        if (!(err instanceof ExitSignal)) throw err;
        exitCode = err.code;
      }
      const files = new Map<string, Uint8Array>();
      for (const [file, name] of names) files.set(name, file.data.slice(0, file.size));
      return { exitCode, files, stderr };
    },
  };
}
