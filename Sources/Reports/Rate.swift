import Foundation

/// A rate with the count behind it and its 95% Wilson score interval: what every report shows.
public struct Rate: Sendable, Hashable, Codable {
    /// The part counted.
    public let count: Int
    /// The whole it is a part of.
    public let of: Int
    /// count / of, nil when `of` is 0.
    public let value: Double?
    /// The 95% Wilson score interval, nil when `of` is 0.
    public let low: Double?
    public let high: Double?

    public init(_ count: Int, of whole: Int) {
        self.count = count
        self.of = whole
        if whole > 0 {
            value = Double(count) / Double(whole)
            let (l, h) = Wilson.interval(successes: count, trials: whole)
            low = l
            high = h
        } else {
            value = nil
            low = nil
            high = nil
        }
    }

    enum CodingKeys: String, CodingKey {
        case count, of, value, low, high
    }

    /// Decoded from its counts only (the value and interval are recomputed), which must make a
    /// rate: 0 ≤ count ≤ of ≤ 100,000,000. Figures from elsewhere (a peer's bundle) cannot
    /// smuggle in a value that does not follow from its counts.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let count = try c.decode(Int.self, forKey: .count)
        let of = try c.decode(Int.self, forKey: .of)
        guard count >= 0, count <= of, of <= 100_000_000 else {
            throw DecodingError.dataCorruptedError(forKey: .count, in: c, debugDescription: "not a rate: \(count) of \(of)")
        }
        self.init(count, of: of)
    }

    /// `89.1% (57/64)`, or `– (0/0)`.
    public var display: String {
        guard let value else { return "– (\(count)/\(of))" }
        return "\(Self.percent(value)) (\(count)/\(of))"
    }

    /// `89.1%`, rounded half up to tenths.
    public static func percent(_ value: Double) -> String {
        let tenths = Int((value * 1000).rounded(.toNearestOrAwayFromZero))
        return "\(tenths / 10).\(tenths % 10)%"
    }

    /// `[79.0–94.7%]`.
    public var intervalDisplay: String {
        guard let low, let high else { return "" }
        return "[\(Self.percent(low))–\(Self.percent(high))]"
    }
}

/// The Wilson score interval for a binomial proportion (Wilson 1927), at 95% by default: unlike
/// the normal approximation it stays inside [0, 1] and is honest for small counts and for
/// 0% and 100%.
public enum Wilson {
    public static func interval(successes: Int, trials: Int, z: Double = 1.959963984540054) -> (low: Double, high: Double) {
        guard trials > 0 else { return (0, 1) }
        let n = Double(trials)
        let p = Double(min(max(successes, 0), trials)) / n
        let z2 = z * z
        let centre = (p + z2 / (2 * n)) / (1 + z2 / n)
        let half = (z / (1 + z2 / n)) * ((p * (1 - p) / n + z2 / (4 * n * n)).squareRoot())
        return (max(0, centre - half), min(1, centre + half))
    }
}

/// The median of whole-day durations (the mean of the middle two for an even count), nil for none.
public func median(_ values: [Double]) -> Double? {
    guard !values.isEmpty else { return nil }
    let sorted = values.sorted()
    let middle = sorted.count / 2
    return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
}
