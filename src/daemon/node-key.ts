// The daemon's node key, checked against the node its log was written by: see ../log/node-identity.ts,
// which holds everything about node identity.
export { nodeKeyFor } from '../log/node-identity.js';
