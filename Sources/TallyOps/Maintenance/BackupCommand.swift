import Foundation
import SQLite
import TallyStore
import TallySupport

/// `tallyctl backup`: an online, consistent copy of the database.
enum BackupCommand {
    static func spec(console: Console) -> CommandSpec {
        CommandSpec(
            name: "backup",
            abstract: "Copy the database while workers run, with SQLite's online backup API.",
            discussion: """
                The copy is consistent: when a worker writes during the copy, SQLite restarts it, and after three restarts copies the rest in one step, which does not block writers in WAL mode. The copy is then checked with PRAGMA integrity_check.

                To restore: stop every worker, move the database file away together with its -wal and -shm files, copy the backup to the database path, and start the workers. Commands processed after the backup was taken are not in it; their message ids are not in its inbox either, so redelivered copies would be applied again. See ops/RUNBOOK.md.
                """,
            options: [.flag("force", help: "Replace the target file when it exists.", configurable: false)],
            optionGroups: [SharedOptions.storage, SharedOptions.configuration],
            arguments: [.required("path", help: "The file to write the copy to.", as: String.self)],
            validate: requireDatabase,
            run: { parsed in
                let settings = try DatabaseSettings(parsed)
                let target = parsed.argument("path", as: String.self) ?? ""
                let force = parsed.flag("force")
                if FileManager.default.fileExists(atPath: target) && !force {
                    throw TallyctlError("\(target) exists: choose another path, or pass --force to replace it")
                }
                if URL(fileURLWithPath: target).standardizedFileURL == URL(fileURLWithPath: settings.path).standardizedFileURL {
                    throw TallyctlError("the backup path is the database itself: choose another path")
                }

                let started = ContinuousClock.now
                let (size, integrity) = try await runBlocking { () throws -> (Int64, [String]) in
                    let store = try DatabaseAccess.open(settings)
                    defer { store.close() }
                    do {
                        if force { try? FileManager.default.removeItem(atPath: target) }
                        try store.database.backup(to: target)
                    } catch {
                        throw TallyctlError("the backup to \(target) failed: \(error)")
                    }
                    var configuration = Database.Configuration()
                    configuration.readOnly = true
                    let copy = try Database(path: target, configuration: configuration)
                    defer { try? copy.close() }
                    let integrity = try copy.checkIntegrity()
                    let size = (try? FileManager.default.attributesOfItem(atPath: target)[.size] as? NSNumber)??.int64Value ?? 0
                    return (size, integrity)
                }

                guard integrity == ["ok"] else {
                    throw TallyctlError("the copy at \(target) failed its integrity check: \(integrity.prefix(3).joined(separator: "; "))")
                }
                let elapsed = (ContinuousClock.now - started).inSeconds
                console.write("backed up \(settings.path) to \(target): \(Format.bytes(size)) in \(String(format: "%.1f", elapsed)) s, integrity ok\n")
                return 0
            }
        )
    }
}
