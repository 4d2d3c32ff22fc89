// The podman client moved to src/podman/client.ts. This re-export stays only while src/daemon/acting.ts
// (changed on another branch) still imports it from here; remove it once that file imports ../podman/client.js.
export { podmanClient } from '../podman/client.js';
