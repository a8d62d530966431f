/** One PipelineObserver that forwards every report to several (metrics, readiness, test recorders). */
import type { PipelineObserver } from '../observe/observer.js';

// `satisfies` makes the compiler refuse this list when PipelineObserver gains a method it lacks.
const METHODS = {
  sealStarted: true,
  stageFinished: true,
  sealSucceeded: true,
  lastSealFromStore: true,
  sealFailed: true,
  housekeepingFailed: true,
  pending: true,
  keyProviderCall: true,
  verification: true,
  chainChecked: true,
  restoreOnBoot: true,
  restoreSkippedSets: true,
  watching: true,
  keyProviderReachable: true,
} satisfies Record<keyof PipelineObserver, true>;

type AnyReport = (...args: unknown[]) => void;

export function fanOut(...observers: PipelineObserver[]): PipelineObserver {
  const out: Record<string, AnyReport> = {};
  for (const method of Object.keys(METHODS) as (keyof PipelineObserver)[]) {
    out[method] = (...args: unknown[]) => {
      for (const o of observers) {
        try {
          (o[method] as AnyReport | undefined)?.apply(o, args);
        } catch {
          // An observer must never break sealing (the interface forbids throwing; this enforces it).
        }
      }
    };
  }
  return out as unknown as PipelineObserver;
}
