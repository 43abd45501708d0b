/**
 * Errors a caller of the store can act on, one class per failure, each with a stable `name`
 * (callers match on `name`, which survives thread boundaries). Every error about a database
 * names its file, in the message and as the `file` field, because a node may hold several
 * files (the live store, a copy the CLI reads) and "database is corrupt" alone is useless.
 */

export class StoreError extends Error {
  constructor(
    readonly file: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

/**
 * The file is not a SQLite database, or SQLite found it damaged (SQLITE_NOTADB, SQLITE_CORRUPT*).
 * Retrying will not help: restore it from a backup or move it aside.
 */
export class StoreCorruptError extends StoreError {
  constructor(file: string, detail: string, options?: ErrorOptions) {
    super(file, `database ${file} is corrupt or not a SQLite database: ${detail}`, options);
  }
}

/**
 * The file was written by a newer build: its schema version is above the latest migration this
 * build knows. Opening it anyway could corrupt data the newer build relies on, so it is refused.
 */
export class StoreVersionError extends StoreError {
  constructor(
    file: string,
    readonly found: number,
    readonly supported: number,
  ) {
    super(
      file,
      `database ${file} has schema version ${found}, newer than the ${supported} this build supports; run a newer build or use another file`,
    );
  }
}

/**
 * Any other failure to open or migrate: permissions, a missing directory, a lock held longer than
 * the busy timeout. `code` keeps the SQLite or errno code (e.g. SQLITE_CANTOPEN, SQLITE_BUSY, EACCES).
 */
export class StoreOpenError extends StoreError {
  constructor(
    file: string,
    readonly code: string | undefined,
    detail: string,
    options?: ErrorOptions,
  ) {
    super(file, `cannot open database ${file}${code === undefined ? '' : ` (${code})`}: ${detail}`, options);
  }
}

/** An actor's stored snapshot is not valid JSON: the row is damaged; remove it to start the actor fresh. */
export class SnapshotCorruptError extends StoreError {
  constructor(
    file: string,
    readonly actorId: string,
    detail: string,
    options?: ErrorOptions,
  ) {
    super(file, `snapshot of actor '${actorId}' in database ${file} is not valid JSON: ${detail}`, options);
  }
}

/**
 * The migration list itself is wrong (versions not 1..N in order). A defect of the build, not of
 * any database file, so it names no file; it is thrown when the list is loaded.
 */
export class MigrationOrderError extends Error {
  constructor(readonly detail: string) {
    super(`migration list is invalid: ${detail}`);
    this.name = new.target.name;
  }
}
