/// SplitMix64 (Steele, Lea, Flood 2014): small, fast, and the same on every platform. The demo
/// year, the benchmarks and the chaos suite draw from it (a seed repeats a run).
public struct SplitMix64: Sendable, RandomNumberGenerator {
    private var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A number from `low` to `high` (both included); `low` when `high` is below it.
    public mutating func int(_ low: Int, _ high: Int) -> Int {
        guard high > low else { return low }
        let width = UInt64(high - low) + 1
        return low + Int(next() % width)
    }

    public mutating func chance(_ probability: Double) -> Bool {
        Double(next() >> 11) / 9_007_199_254_740_992.0 < probability
    }

    public mutating func pick<T>(_ items: [T]) -> T? {
        items.dropFirst(int(0, items.count - 1)).first
    }

    public mutating func shuffled<T>(_ items: [T]) -> [T] {
        items.enumerated().map { (key: next(), offset: $0.offset, element: $0.element) }
            .sorted { ($0.key, $0.offset) < ($1.key, $1.offset) }
            .map(\.element)
    }
}
