/**
 * Shared steps of the dialect cluster tests (docs/COMPATIBILITY.md): requests
 * sent the way `curl -d` sends them, status expectations that also check the
 * error body, forming a cluster from nodes that each bootstrapped alone, and
 * the refused adoption of a node that holds data.
 *
 * @module
 */

import { assertEquals, assertTrue } from "../assert.ts";
import type { NodeStatus } from "../../src/api.ts";
import { type Answer, type Cluster, type NodeProcess, request, waitFor } from "./harness.ts";

/** The content type `curl -d` sends: the dialects must parse the body as JSON anyway. */
export const CURL_FORM = "application/x-www-form-urlencoded";
/** What a node logs when it refuses to be adopted by another cluster. */
export const REFUSAL_LOG = "refused a node of another cluster: this node holds data";

/** How {@link call} sends a request. */
export interface CallOptions {
  /** Sent as is (a string) or as JSON (anything else), with curl's form content type. */
  body?: unknown;
  /** Follow a redirect like `curl -L` (method and body kept on 307). */
  follow?: boolean;
  /** Extra request headers. */
  headers?: Record<string, string>;
}

/** Sends `method path` to `httpAddr` the way the dialects' curl walkthroughs do. */
export function call(
  httpAddr: string,
  method: string,
  path: string,
  options: CallOptions = {},
): Promise<Answer> {
  const init: RequestInit = {
    method,
    redirect: options.follow === true ? "follow" : "manual",
    headers: { ...options.headers },
  };
  if (options.body !== undefined) {
    init.body = typeof options.body === "string" ? options.body : JSON.stringify(options.body);
    init.headers = { "content-type": CURL_FORM, ...options.headers };
  }
  return request(`http://${httpAddr}${path}`, init);
}

/** The body of `answer` as a JSON object. */
export function bodyOf(answer: Answer): Record<string, unknown> {
  const body = answer.json();
  assertTrue(typeof body === "object" && body !== null, answer.text);
  return body as Record<string, unknown>;
}

/**
 * Awaits `answer` and checks its status; an error status must come with a
 * JSON `{"error": "..."}` body, matching `error` when given.
 */
export async function expectAnswer(
  what: string,
  answer: Promise<Answer>,
  status: number,
  error?: RegExp,
): Promise<Answer> {
  const got = await answer;
  assertEquals(got.status, status, `${what}: ${got.status} ${got.text}`);
  if (status >= 400) {
    const message = bodyOf(got).error;
    assertEquals(typeof message, "string", `${what}: ${got.text}`);
    if (error !== undefined) assertTrue(error.test(message as string), `${what}: ${message}`);
  }
  return got;
}

/** Checks a 307 to `leader`'s HTTP address with the same path and query. */
export function expectRedirect(what: string, answer: Answer, leader: NodeProcess, path: string) {
  assertEquals(answer.status, 307, `${what}: ${answer.status} ${answer.text}`);
  assertEquals(answer.headers.get("location"), `http://${leader.httpAddr}${path}`, what);
}

/** Checks a 503 that tells the client when to retry. */
export function expectUnavailable(what: string, answer: Answer): void {
  assertEquals(answer.status, 503, `${what}: ${answer.status} ${answer.text}`);
  assertTrue(answer.headers.get("retry-after") !== null, `${what}: no Retry-After`);
  assertEquals(typeof bodyOf(answer).error, "string", `${what}: ${answer.text}`);
}

/** Polls `GET path` on `httpAddr` until it answers `status` (a follower catching up). */
export function pollStatus(httpAddr: string, path: string, status: number): Promise<Answer> {
  return waitFor(async () => {
    const answer = await call(httpAddr, "GET", path);
    return answer.status === status ? answer : null;
  }, `GET ${path} on ${httpAddr} to answer ${status}`);
}

/** `GET /status` of `node`; throws unless it answers 200. */
export async function statusOf(node: NodeProcess): Promise<NodeStatus> {
  const answer = await expectAnswer(
    `status of ${node.id}`,
    call(node.httpAddr, "GET", "/status"),
    200,
  );
  return answer.json() as NodeStatus;
}

/**
 * Starts nodes `ids` plainly (neither `--bootstrap` nor `--join`) and waits
 * until each leads a one-member cluster of its own, as the dialects' tools
 * start them.
 */
export async function startAlone(cluster: Cluster, ids: string[]): Promise<NodeProcess[]> {
  const nodes = ids.map((id) => cluster.add(id));
  for (const node of nodes) {
    await waitFor(async () => {
      const status = await cluster.status(node);
      return status?.role === "leader" && status.members.length === 1;
    }, `${node.id} to lead a cluster of its own`);
  }
  const clusterIds = new Set(
    await Promise.all(nodes.map(async (n) => (await statusOf(n)).clusterId)),
  );
  assertEquals(clusterIds.size, nodes.length, "every lone node has its own cluster id");
  return nodes;
}

/**
 * Waits until `leader` leads `members` voters, all in its cluster; checks
 * that every member's HTTP address is known, though the dialects' joins
 * name only raft addresses (the transport handshake carries it).
 */
export async function expectFormed(
  cluster: Cluster,
  leader: NodeProcess,
  members: NodeProcess[],
): Promise<NodeStatus> {
  const agreed = await cluster.leader({ among: members, voters: members.length });
  assertEquals(agreed.id, leader.id, "the node the others joined keeps leading");
  const status = await statusOf(leader);
  const clusterIds = await Promise.all(members.map(async (n) => (await statusOf(n)).clusterId));
  assertEquals(clusterIds, members.map(() => status.clusterId), "members adopted one cluster id");
  const known = status.members.map((m) => `${m.id} ${m.raftAddr} ${m.httpAddr}`).sort();
  const expected = members.map((n) => `${n.id} ${n.raftAddr} ${n.httpAddr}`).sort();
  assertEquals(known, expected, "the leader knows every member's raft and HTTP address");
  return status;
}

/** What the refusal scenario needs from a dialect. */
export interface RefusalCase {
  /** Writes key `kept` with value `data` on the lone node, through the dialect. */
  write(loner: NodeProcess): Promise<Answer>;
  /** Asks `leader` to add `loner`, through the dialect's join. */
  join(leader: NodeProcess, loner: NodeProcess): Promise<Answer>;
  /** Reads key `kept` on the lone node, through the dialect; 200 expected. */
  read(loner: NodeProcess): Promise<Answer>;
}

/**
 * A node that bootstrapped alone and then applied a client write must not be
 * adopted: the leader's join answers 400 with the node's reason (it holds data),
 * the node logs its refusal, keeps leading its own cluster and its data, and
 * the leader's membership stays as it was.
 */
export async function expectRefusedAdoption(
  leader: NodeProcess,
  loner: NodeProcess,
  dialect: RefusalCase,
): Promise<void> {
  await expectAnswer("write on the lone node", dialect.write(loner), 200);
  const before = await statusOf(loner);
  const membersBefore = (await statusOf(leader)).members.map((m) => m.id);

  const refused = await expectAnswer(
    "join of a node holding data",
    dialect.join(leader, loner),
    400,
    /did not accept/,
  );
  const message = bodyOf(refused).error as string;
  assertTrue(message.includes(loner.raftAddr), `the error names the node's address: ${message}`);
  const reason = `node "${loner.id}" holds data and cannot join another cluster`;
  assertTrue(message.includes(reason), `the error says why the node refused: ${message}`);
  await waitFor(
    () => loner.lines.some((line) => line.includes(REFUSAL_LOG)),
    `"${REFUSAL_LOG}" in the log of ${loner.id}`,
  );

  await expectAnswer("read on the refusing node", dialect.read(loner), 200);
  const after = await statusOf(loner);
  assertEquals(after.clusterId, before.clusterId, "the refusing node keeps its cluster id");
  assertEquals(after.role, "leader", "the refusing node still leads its own cluster");
  assertEquals(after.members.map((m) => m.id), [loner.id]);
  assertTrue(after.appliedIndex >= before.appliedIndex, "the refusing node lost nothing");
  assertEquals((await statusOf(leader)).members.map((m) => m.id), membersBefore);
  assertTrue(!loner.lines.some((l) => l.includes("adopted into another cluster")));
}

/**
 * Stops `gone` and waits until one of `rest` leads with every other node of
 * `rest` following it; answers the new leader.
 */
export async function failOver(
  cluster: Cluster,
  gone: NodeProcess,
  rest: NodeProcess[],
): Promise<NodeProcess> {
  await cluster.stop(gone);
  return await waitFor(async () => {
    const statuses = await Promise.all(rest.map((n) => cluster.status(n)));
    const lead = statuses.find((s) => s?.role === "leader");
    if (lead === undefined || lead === null) return null;
    const agreed = statuses.every((s) => s?.leaderId === lead.id && s.term === lead.term);
    return agreed && lead.leaderHttpAddr !== "" ? cluster.node(lead.id) : null;
  }, `a new leader among ${rest.map((n) => n.id).join(", ")}`);
}

/** Waits until `node` no longer considers itself leader (it lost its quorum). */
export function waitLeaderless(cluster: Cluster, node: NodeProcess): Promise<NodeStatus> {
  return waitFor(async () => {
    const status = await cluster.status(node);
    return status !== null && status.role !== "leader" && status.leaderId === "" ? status : null;
  }, `${node.id} to know no leader`);
}
