// Bundles an app (feed_app.jsx by default, or the .jsx named second: React, @knocklabs/react and
// its CSS) into OUTDIR/<app>.js and OUTDIR/<app>.css with esbuild, resolving packages through
// NODE_PATH: `node build.js OUTDIR [guide_app.jsx]`.
const path = require("node:path");
const esbuild = require("esbuild");

esbuild
  .build({
    entryPoints: [path.join(__dirname, process.argv[3] || "feed_app.jsx")],
    outdir: process.argv[2],
    bundle: true,
    format: "iife",
    jsx: "automatic",
    define: { "process.env.NODE_ENV": '"development"' },
    nodePaths: (process.env.NODE_PATH || "").split(path.delimiter).filter(Boolean),
    logLevel: "error",
  })
  .catch(() => process.exit(1));
