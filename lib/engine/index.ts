/** The embedded SIP engine: what the rest of the project may use of it. */
export { Engine, WIRE_VERSION, type EngineOptions } from './core/engine';
export type { EngineStats } from './core/stats';
export { MemoryReducer, exposeGc, type MemoryReducerOptions } from './core/memory-reducer';
