/**
 * The few WebAssembly calls flite needs, typed locally: the project compiles against lib ES2022
 * without DOM, which has no WebAssembly declarations.
 */
export interface WasmModule {
  readonly __wasmModule: unique symbol;
}
export interface WasmInstance {
  readonly exports: Record<string, unknown>;
}
interface WasmApi {
  compile(bytes: Uint8Array): Promise<WasmModule>;
  instantiate(module: WasmModule, imports: object): Promise<WasmInstance>;
}

const api = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

interface WasmConstructors {
  Instance: new (module: WasmModule, imports: object) => WasmInstance;
}
const ctors = (globalThis as unknown as { WebAssembly: WasmConstructors }).WebAssembly;

/** Synchronous instantiation: fine on a worker thread, where blocking is the point. */
export function instantiateSync(module: WasmModule, imports: object): WasmInstance {
  return new ctors.Instance(module, imports);
}

export const wasm = {
  compile: (bytes: Uint8Array): Promise<WasmModule> => api.compile(bytes),
  instantiate: (module: WasmModule, imports: object): Promise<WasmInstance> => api.instantiate(module, imports),
  instantiateSync,
};
