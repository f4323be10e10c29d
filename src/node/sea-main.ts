// The single executable's entry (scripts/build-binary.ts bundles from here): the same command line
// as `npx autopurchase` — serve, watch, run — with the runtime and assets the file carries.
import '../cli/main.js';
