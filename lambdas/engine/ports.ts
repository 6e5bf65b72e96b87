import type { BlockRecord, BlockScope } from '../store/table-schema';
import type { CounterUpdate, Item } from './counter-layout';

/** The counter store as the engine sees it (implemented over DynamoDB in `lambdas/adapters`). */
export interface CounterStore {
  /**
   * One round trip: applies `update` atomically and returns the item after it, while reading `reads` in parallel.
   * `update` may be undefined (read only). Rejects with {@link StoreUnavailableError} on failure or timeout.
   */
  exchange(
    update: CounterUpdate | undefined,
    reads: readonly { pk: string; sk: string }[],
    signal: AbortSignal,
  ): Promise<{ updated: Item | undefined; read: ReadonlyMap<string, Item> }>;
  /** Applies several updates (the feedback path, block flags); each one atomic. */
  applyUpdates(updates: readonly CounterUpdate[], signal?: AbortSignal): Promise<void>;
  /** Records an offence and returns how many offences are remembered for this client (1 = first). */
  recordOffence(scope: BlockScope, value: string, nowSeconds: number, memorySeconds: number): Promise<number>;
  /** Writes a block record (and, for enforced blocks, the flag on the counter item the hot path reads). */
  putBlock(record: BlockRecord): Promise<void>;
  /** Removes a block (operators). `resetEscalation` forgets the offence history too. */
  deleteBlock(scope: BlockScope, value: string, resetEscalation: boolean): Promise<void>;
}

/** The store failed or did not answer in time; the route's fail mode applies. */
export class StoreUnavailableError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'StoreUnavailableError';
  }
}

export const isStoreUnavailable = (e: unknown): e is StoreUnavailableError =>
  e instanceof StoreUnavailableError;
