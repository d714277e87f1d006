/**
 * Stands in for jco and preview2-shim in the edge job host bundle: components need jco's
 * transpiler, which compiles its own WASM at run time, and workerd refuses that. The edge engine
 * refuses components before a job gets here (loader-wasm-engine.ts).
 */

/** Always throws: WASI preview2 components do not run on the edge. */
export function transpile(): never {
  throw new Error('WASI preview2 components do not run on edge compute nodes')
}
