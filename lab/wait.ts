import { firstValueFrom, filter, timeout, type Observable } from 'rxjs';

/** The first value that satisfies `pred`, or a rejection naming what was awaited. */
export function next<T>(source: Observable<T>, what: string, ms = 15_000, pred: (v: T) => boolean = () => true): Promise<T> {
  return firstValueFrom(
    source.pipe(
      filter(pred),
      timeout({ first: ms, with: () => { throw new Error(`timed out after ${ms} ms waiting for ${what}`); } }),
    ),
  );
}

/** Polls `check` until it returns true; bounded, never loops forever. */
export async function until(check: () => Promise<boolean> | boolean, what: string, ms = 15_000, every = 50): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, every));
  }
  throw new Error(`timed out after ${ms} ms waiting for ${what}`);
}
