// Vite builds the app into dist/ (static files the platform runner serves).
// The generated Connect clients are compiled from clients/typescript/src (no copy, no
// hand-written API types); their runtime packages resolve from this app's node_modules.
import { fileURLToPath } from "node:url";

import { defineConfig } from "vite";

export default defineConfig({
  base: "./",
  resolve: {
    alias: {
      "@agora/clients": fileURLToPath(
        new URL("../../clients/typescript/src/index.ts", import.meta.url),
      ),
    },
    dedupe: ["@bufbuild/protobuf", "@connectrpc/connect", "@connectrpc/connect-web"],
  },
  build: {
    target: "es2022",
    outDir: "dist",
    emptyOutDir: true,
    reportCompressedSize: true,
  },
  server: { port: 5173, strictPort: true },
});
