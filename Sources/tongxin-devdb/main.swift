// tongxin-devdb: run a command against a throwaway PostgreSQL server.
//
//     tongxin-devdb run -- CMD [ARGS...]
//
// Everything it does lives in EmbeddedPostgres; this file parses arguments and handles signals.

import EmbeddedPostgres
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

let usage = """
    usage: tongxin-devdb run -- CMD [ARGS...]
           tongxin-devdb --help

    Starts a throwaway PostgreSQL server (initdb into a private folder under the temporary
    directory, unix socket only, fsync off), runs CMD with PGHOST, PGPORT, PGUSER, PGDATABASE and
    DATABASE_URL pointing at it, then stops the server and deletes the folder. Exits with CMD's
    exit status. SIGINT, SIGTERM and SIGHUP go to CMD; the server is cleaned up either way.

    environment:
      TONGXIN_PG_BINDIR  folder with initdb and pg_ctl (default: /usr/lib/postgresql/15/bin,
                         else the newest /usr/lib/postgresql/*/bin)

    """

func printError(_ line: String) {
    FileHandle.standardError.write(Data(("tongxin-devdb: " + line + "\n").utf8))
}

func usageError(_ message: String) -> Never {
    printError("error: \(message) (see tongxin-devdb --help)")
    exit(2)
}

// MARK: - Arguments

var arguments = Array(CommandLine.arguments.dropFirst())
guard let subcommand = arguments.first else {
    usageError("missing subcommand; expected `run -- CMD [ARGS...]`")
}
switch subcommand {
case "-h", "--help", "help":
    FileHandle.standardOutput.write(Data(usage.utf8))
    exit(0)
case "run":
    arguments.removeFirst()
default:
    usageError("unknown subcommand \(subcommand.debugDescription)")
}
if arguments.first == "--" {
    arguments.removeFirst()
} else if let first = arguments.first, first.hasPrefix("-") {
    usageError("unknown option \(first.debugDescription) for run")
}
guard let program = arguments.first else {
    usageError("missing command after `run --`")
}
let programArguments = Array(arguments.dropFirst())

// MARK: - Signals

// Until the command runs (and again after it), a signal must not kill us half-way through
// initdb or cleanup: note it, finish the step, clean up, and exit as if killed by it.
// While the command runs, EmbeddedPostgres.run forwards these signals to it instead.
nonisolated(unsafe) var caughtSignal: Int32 = 0
for signalNumber in [SIGINT, SIGTERM, SIGHUP] {
    signal(signalNumber) { caughtSignal = $0 }
}

// MARK: - Run

let server: EmbeddedPostgres
do {
    server = try EmbeddedPostgres.start()
} catch {
    printError("\(error)")
    exit(caughtSignal != 0 ? 128 + caughtSignal : 1)
}

var status: Int32
if caughtSignal != 0 {
    status = 128 + caughtSignal
} else {
    printError("PostgreSQL \(server.majorVersion) on \(server.socketDirectory) (throwaway)")
    do {
        status = try server.run(program, programArguments, environment: [:])
    } catch {
        printError("\(error)")
        status = 127
    }
}

do {
    try server.stop()
} catch {
    printError("\(error)")
    if status == 0 { status = 1 }
}
exit(status)
