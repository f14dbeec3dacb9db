extension QueueStore {
    /// Takes the database's write lock and lets it go, writing nothing: throws when the queue
    /// cannot be written now (read-only file system, disk error, a lock held past the busy timeout).
    public func checkWritable() throws {
        try pool.writeWithoutTransaction { db in
            try db.execute(sql: "BEGIN IMMEDIATE")
            try db.execute(sql: "ROLLBACK")
        }
    }
}
