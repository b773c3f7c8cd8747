/** The REST API and its event stream, as the page uses them: JSON in and out, the operator's token if given. */

const TOKEN_KEY = 'svcswitch-token';

export const token = {
  get: (): string => sessionStorage.getItem(TOKEN_KEY) ?? '',
  set: (value: string): void => (value === '' ? sessionStorage.removeItem(TOKEN_KEY) : sessionStorage.setItem(TOKEN_KEY, value)),
};

const headers = (json: boolean): Record<string, string> => ({
  ...(token.get() === '' ? {} : { authorization: `Bearer ${token.get()}` }),
  // Every change is sent as JSON, with or without a body: what the API asks of a change (CSRF).
  ...(json ? { 'content-type': 'application/json' } : {}),
});

/** The answer's JSON, or an Error with the API's own words. */
export async function api<T>(method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown): Promise<T> {
  const send = (): Promise<Response> => fetch(path, { method, headers: headers(method !== 'GET'), ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  // A read that never reached the controller (the browser dropped it: a network change) is asked once more; a change never is.
  const res = await send().catch(async (e: unknown) => {
    if (method !== 'GET') throw e;
    await new Promise((r) => setTimeout(r, 200));
    return send();
  });
  const text = await res.text();
  const parsed: unknown = text === '' ? undefined : JSON.parse(text);
  if (!res.ok) throw new Error((parsed as { error?: string } | undefined)?.error ?? `${res.status} ${res.statusText}`);
  return parsed as T;
}

export interface StreamEvent {
  kind: string;
  at: number;
  [field: string]: unknown;
}

/**
 * Follows GET /api/events (read with fetch, not EventSource, which cannot send the token),
 * calling `onEvent` for each event and `onState` when the stream opens or drops; a dropped
 * stream is opened again after 2 s, and `onOpen` lets the page read the state afresh.
 */
export function follow(onEvent: (e: StreamEvent) => void, onState: (state: string) => void, onOpen: () => void): void {
  const open = async (): Promise<void> => {
    try {
      const res = await fetch('/api/events', { headers: headers(false) });
      if (!res.ok || res.body === null) throw new Error(`${res.status} ${res.statusText}`);
      onState('open');
      onOpen();
      const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
      let text = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        text += value;
        for (let end = text.indexOf('\n\n'); end >= 0; end = text.indexOf('\n\n')) {
          const data = /^data: (.*)$/m.exec(text.slice(0, end))?.[1];
          text = text.slice(end + 2);
          if (data !== undefined) onEvent(JSON.parse(data) as StreamEvent);
        }
        // One event is a line of JSON: a stream that sends more without ending one is dropped (and opened again).
        if (text.length > 1024 * 1024) throw new Error('an event longer than 1 MiB');
      }
      onState('closed by the controller; opening again');
    } catch (e) {
      onState(`dropped (${(e as Error).message}); opening again`);
    }
    setTimeout(() => void open(), 2000);
  };
  void open();
}
