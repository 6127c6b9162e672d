/**
 * The cluster secret: what members prove to each other in the Raft handshake
 * and what a joining node proves to `/join`.
 *
 * @module
 */

export {
  CLUSTER_SECRET_BYTES_MIN,
  CLUSTER_SECRETS_MAX,
  ClusterSecret,
  PROOF_BYTES,
} from "./cluster_secret.ts";
export {
  checkJoinProof,
  JOIN_PROOF_AGE_MS_MAX,
  JOIN_PROOF_HEADER,
  joinProof,
} from "./join_proof.ts";
