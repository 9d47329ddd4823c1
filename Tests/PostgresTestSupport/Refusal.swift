/// What a refused operation says (its error's text), or nil when `body` succeeded.
public func refusal(_ body: () async throws -> Void) async -> String? {
    do {
        try await body()
        return nil
    } catch {
        return "\(error)"
    }
}
