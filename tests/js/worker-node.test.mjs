// The edge worker through the Node adapter (worker/local/node.mjs, in-memory
// store) against the Pleo stand-in: the same suite as on workerd.
import { defineWorkerSuite } from "./helpers/worker-suite.mjs";

defineWorkerSuite("node");
