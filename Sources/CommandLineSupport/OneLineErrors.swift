public import ArgumentParser
import Foundation

/// Runs a command-line program so that every error is one line on stderr: a usage error
/// (unknown option, missing or mistyped value) prints `program: message (see program … --help)`
/// and exits 64 instead of the error followed by the whole usage text; `--help` and
/// `--version` print as usual.
public enum OneLineErrors {
    public static func run<Command: AsyncParsableCommand>(_ type: Command.Type, program: String) async {
        let command: any ParsableCommand
        do {
            command = try Command.parseAsRoot(Array(CommandLine.arguments.dropFirst()))
        } catch {
            fail(Command.self, program: program, error)
        }
        do {
            if var asynchronous = command as? any AsyncParsableCommand {
                try await asynchronous.run()
            } else {
                var synchronous = command
                try synchronous.run()
            }
        } catch {
            fail(Command.self, program: program, error)
        }
        Foundation.exit(0)
    }

    static func fail<Command: ParsableCommand>(_ type: Command.Type, program: String, _ error: any Error) -> Never {
        let code = Command.exitCode(for: error)
        guard code == .validationFailure else { Command.exit(withError: error) }
        let message = Command.message(for: error)
            .split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            .joined(separator: "; ")
        FileHandle.standardError.write(Data("\(program): \(message) (see `\(program) … --help`)\n".utf8))
        Foundation.exit(code.rawValue)
    }
}
