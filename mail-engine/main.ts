/** The mail engine process: `npm run engine`, or started by `npm start`. */
import { loadConfig, ConfigError } from "../lib/config";
import { log, setLogLevel } from "../lib/log";
import { startEngine } from "./engine";

const elog = log.child({ proc: "engine" });

async function main() {
  const config = loadConfig();
  setLogLevel(config.logLevel);
  const engine = await startEngine(config, { log: elog });
  elog.info("engine.started", { hostname: config.hostname, ports: { ...engine.smtp.ports, ...engine.pop3.ports }, database: config.provider, blobs: config.blobStore });
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    elog.info("engine.stopping", { signal });
    const force = setTimeout(() => {
      elog.error("engine.stop_timeout", { hint: "connections did not close within 30 s; exiting anyway" });
      process.exit(1);
    }, 30_000);
    force.unref();
    engine.stop().then(
      () => process.exit(0),
      (err) => {
        elog.error("engine.stop_failed", { error: err });
        process.exit(1);
      },
    );
  };
  process.on("SIGINT", () => stop("SIGINT"));
  process.on("SIGTERM", () => stop("SIGTERM"));
}

main().catch((err) => {
  elog.error("engine.start_failed", { error: err, hint: err instanceof ConfigError ? "fix the setting named above in the environment or .env" : undefined });
  process.exit(1);
});
