// npm pack / npm publish: make sure dist/ is built and current, so a tarball
// packed from a fresh clone is never missing the wasm. Quiet when it is.
import { ensureBuild } from "./setup.mjs";

ensureBuild();
