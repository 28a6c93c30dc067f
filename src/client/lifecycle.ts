// The engine client's lifecycle as one explicit union, the transitions allowed between its
// states (NEXT), and the four-valued EngineState that listeners and the editor see.
// EngineClient changes its state only through one method, which checks NEXT.
import type { ChildProcess } from 'child_process';
import { ModelInfo } from '../protocol';

export type EngineState = 'stopped' | 'starting' | 'ready' | 'error';

export type Lifecycle =
  /** No engine process; start() spawns one. */
  | { kind: 'stopped' }
  /** A process is loading the model; `loaded` settles when it has. */
  | { kind: 'starting'; child: ChildProcess; loaded: Promise<ModelInfo> }
  | { kind: 'ready'; child: ChildProcess; model: ModelInfo }
  /** The process died; `timer` spawns the next one, start() refuses until then. */
  | { kind: 'backoff'; timer: NodeJS.Timeout }
  /**
   * The load failed or the engine crashed too often. Sticky: the model is missing or corrupt, so
   * start() fails the same way until configure() or restart(); otherwise start() tries again.
   */
  | { kind: 'failed'; error: Error; sticky: boolean }
  /** For good: start() refuses. */
  | { kind: 'disposed' };

export type LifecycleKind = Lifecycle['kind'];

/** Every transition the client may make; anything else is a bug. */
export const NEXT: { readonly [K in LifecycleKind]: readonly LifecycleKind[] } = {
  stopped: ['starting', 'disposed'],
  starting: ['ready', 'failed', 'backoff', 'stopped', 'disposed'],
  ready: ['backoff', 'failed', 'stopped', 'disposed'],
  backoff: ['starting', 'stopped', 'disposed'],
  failed: ['starting', 'stopped', 'disposed'],
  disposed: [],
};

export function canEnter(from: LifecycleKind, to: LifecycleKind): boolean {
  return NEXT[from].includes(to);
}

/** What listeners see: a crash backoff is 'starting' (it restarts by itself), a disposed client 'stopped'. */
export function publicState(s: Lifecycle): EngineState {
  switch (s.kind) {
    case 'stopped':
    case 'disposed':
      return 'stopped';
    case 'starting':
    case 'backoff':
      return 'starting';
    case 'ready':
      return 'ready';
    case 'failed':
      return 'error';
  }
}

/** The engine process of a state that has one. */
export function childOf(s: Lifecycle): ChildProcess | undefined {
  return s.kind === 'starting' || s.kind === 'ready' ? s.child : undefined;
}
