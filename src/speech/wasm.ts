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

export const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;
