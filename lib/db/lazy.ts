/**
 * A Prisma client created on first use. The engine writes and looks up recipients
 * through its own SQL fast path, so on an MX-only load Prisma (its client and the WASM
 * query compiler, about 30 MB resident) is never needed; submission's password check
 * and the rare fallbacks open it when they first run.
 *
 * Before the client exists, `db.model.method(args)` returns a deferred call that runs
 * when awaited (like Prisma's own PrismaPromise, so `db.$transaction([...])` batches
 * them); once it exists, every property is the real client's, with no wrapper.
 */
import type { Db } from "./client";

type Path = readonly PropertyKey[];

export interface LazyDb {
  db: Db;
  /** True once the client has been created. */
  opened(): boolean;
  /** Disconnects the client if it was ever created. */
  close(): Promise<void>;
}

function invoke(client: Db, path: Path, args: unknown[]): unknown {
  let owner: any = client;
  for (const key of path.slice(0, -1)) owner = owner[key];
  return owner[path[path.length - 1]](...args);
}

export function lazyDb(open: () => Promise<Db>): LazyDb {
  let client: Db | null = null;
  let opening: Promise<Db> | null = null;
  const ready = () => (opening ??= open().then((c) => (client = c)));

  class DeferredCall implements PromiseLike<unknown> {
    private started: Promise<unknown> | null = null;
    constructor(
      readonly path: Path,
      readonly args: unknown[],
    ) {}
    /** The same call on the real client, unstarted (a PrismaPromise), for a batch. */
    real(c: Db): unknown {
      return invoke(c, this.path, this.args);
    }
    private run(): Promise<unknown> {
      return (this.started ??= ready().then((c) => this.real(c)));
    }
    then<A = unknown, B = never>(onOk?: ((v: unknown) => A | PromiseLike<A>) | null, onErr?: ((e: unknown) => B | PromiseLike<B>) | null): Promise<A | B> {
      return this.run().then(onOk, onErr);
    }
    catch<B = never>(onErr?: ((e: unknown) => B | PromiseLike<B>) | null): Promise<unknown> {
      return this.run().catch(onErr);
    }
    finally(f?: (() => void) | null): Promise<unknown> {
      return this.run().finally(f);
    }
  }

  const special: Record<string, (...args: any[]) => unknown> = {
    $disconnect: () => (opening ? opening.then((c) => c.$disconnect()) : Promise.resolve()),
    $connect: () => ready().then((c) => c.$connect()),
    $transaction: (arg: unknown, opts?: unknown) =>
      ready().then((c) => (c.$transaction as any)(Array.isArray(arg) ? arg.map((x) => (x instanceof DeferredCall ? x.real(c) : x)) : arg, opts)),
  };

  const node = (path: Path): any =>
    new Proxy(function () {}, {
      get(_t, key) {
        if (client) {
          let v: any = client;
          for (const k of [...path, key]) v = v?.[k];
          return v;
        }
        // Not a thenable itself: `await db` or `await db.account` must not try to call it.
        if (key === "then" || typeof key === "symbol") return undefined;
        if (path.length === 0 && typeof key === "string" && key in special) return special[key];
        return node([...path, key]);
      },
      apply(_t, _this, args) {
        if (client) return invoke(client, path, args);
        return new DeferredCall(path, args);
      },
    });

  return {
    db: node([]) as Db,
    opened: () => client !== null,
    close: () => special.$disconnect() as Promise<void>,
  };
}
