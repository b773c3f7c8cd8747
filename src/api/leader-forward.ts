import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ClusterView } from '../cluster/etcd-mastership.js';

/** Set on a request a follower forwards: a member that is not the leader either answers it 503 rather than forward it again. */
const FORWARDED = 'x-svcswitch-forwarded-by';
/** Set on the answer: which member answered it. */
export const ANSWERED_BY = 'x-svcswitch-answered-by';
/** Under the API's own 10 s request timeout, so that a leader that does not answer is said in words. */
const FORWARD_TIMEOUT_MS = 9_000;

/** What forwarding needs of the cluster: who leads the migrations, and where each member's API is. */
export interface LeaderDirectory {
  view(): ClusterView;
  apiOf(member: string): string | undefined;
}

/**
 * A request that the migration leader answers (it alone writes the migration state and keeps
 * its history) reaching a follower: sent on to the leader's REST API as it came (method, path,
 * body, token), and its answer passed back with the member that gave it. Who can pull it:
 * whoever may call this member's API, and no more (the leader checks the same token). A
 * request already forwarded once is never forwarded again (the leadership moved meanwhile):
 * 503, try again.
 */
export async function forwardToLeader(cluster: LeaderDirectory, req: FastifyRequest, reply: FastifyReply): Promise<unknown> {
  const me = cluster.view().member;
  const leader = cluster.view().migrationLeader?.member;
  const unavailable = (why: string): unknown => reply.code(503).send({ error: `${why}; try again in a few seconds` });
  if (req.headers[FORWARDED] !== undefined) return unavailable(`forwarded by ${String(req.headers[FORWARDED]).slice(0, 64)} to ${me}, which no longer leads the migrations`);
  if (leader === undefined || leader === me) return unavailable('no member leads the migrations now (an election takes about 2 s)');
  const api = cluster.apiOf(leader);
  if (api === undefined) return unavailable(`the migration leader ${leader} has not said where its REST API is`);
  const headers: Record<string, string> = { [FORWARDED]: me };
  if (req.headers.authorization !== undefined) headers.authorization = req.headers.authorization;
  const hasBody = req.body !== undefined && req.method !== 'GET';
  // The leader asks every request that changes something to say JSON, with a body or without (a form cannot).
  if (req.method !== 'GET') headers['content-type'] = 'application/json';
  let res: Response;
  try {
    res = await fetch(`${api}${req.url}`, { method: req.method, headers, ...(hasBody ? { body: JSON.stringify(req.body) } : {}), signal: AbortSignal.timeout(FORWARD_TIMEOUT_MS) });
  } catch (e) {
    return unavailable(`the migration leader ${leader} (${api}) did not answer: ${(e as Error).message}`);
  }
  const text = await res.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return unavailable(`the migration leader ${leader} answered ${res.status} with something not JSON`);
  }
  return reply.code(res.status).header(ANSWERED_BY, res.headers.get(ANSWERED_BY) ?? leader).send(body);
}
