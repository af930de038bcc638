// Bundles feed_app.jsx (React, @knocklabs/react and its CSS) into OUTDIR/feed_app.js and
// OUTDIR/feed_app.css with esbuild, resolving packages through NODE_PATH: `node build.js OUTDIR`.
const path = require("node:path");
const esbuild = require("esbuild");

esbuild
  .build({
    entryPoints: [path.join(__dirname, "feed_app.jsx")],
    outdir: process.argv[2],
    bundle: true,
    format: "iife",
    jsx: "automatic",
    define: { "process.env.NODE_ENV": '"development"' },
    nodePaths: (process.env.NODE_PATH || "").split(path.delimiter).filter(Boolean),
    logLevel: "error",
  })
  .catch(() => process.exit(1));
