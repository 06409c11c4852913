/**
 * A separate process subscribed to the store's change feed, for the notification tests:
 * prints "ready", then one JSON line per change of the account in argv[2]. Configured by
 * the environment like the suite (DATABASE_URL).
 */
import { loadConfig } from "../../lib/config";
import { ChangeFeed } from "../../lib/store/change-feed";

const feed = new ChangeFeed(loadConfig());
feed.subscribe(process.argv[2] ?? null, (c) => process.stdout.write(JSON.stringify({ ...c, at: Date.now() }) + "\n"));
// The feed reads the journal's last id before it counts anything as new: wait for that.
setTimeout(() => process.stdout.write("ready\n"), 500);
process.stdin.on("end", () => void feed.close().then(() => process.exit(0)));
process.stdin.resume();
