import Foundation
import PostgresClient
import PostgresTestSupport
import Testing
import TongxinBase

@Suite struct DecodingTests {
    @Test func boolAndIntegersRoundTripIncludingLimitsAndNull() async throws {
        try await TestDatabase.withConnection { connection in
            let row = try await connection.query("""
                SELECT \(true), \(false), \(Int16.min), \(Int16.max), \(Int32.min), \(Int32.max),
                       \(Int64.min), \(Int64.max), \(Int.min), \(Int.max)
                """).single()
            let (t, f, i16a, i16b, i32a, i32b, i64a, i64b, ia, ib) = try row.decode(
                (Bool, Bool, Int16, Int16, Int32, Int32, Int64, Int64, Int, Int).self)
            #expect(t == true && f == false)
            #expect(i16a == .min && i16b == .max)
            #expect(i32a == .min && i32b == .max)
            #expect(i64a == .min && i64b == .max)
            #expect(ia == .min && ib == .max)

            // Values the server computes, read back with the server's own types.
            let (small, int4, int8, bool) = try await connection.query(
                "SELECT (-32768)::int2, 2147483647::int4, (-9223372036854775808)::int8, 1 < 2"
            ).single().decode((Int16, Int32, Int64, Bool).self)
            #expect(small == -32768 && int4 == 2_147_483_647 && int8 == Int64.min && bool)

            let nulls = try await connection.query(
                "SELECT NULL::bool, NULL::int2, NULL::int4, NULL::int8, \(Optional<Int>.none)"
            ).single().decode((Bool?, Int16?, Int32?, Int64?, Int?).self)
            #expect(nulls.0 == nil && nulls.1 == nil && nulls.2 == nil && nulls.3 == nil && nulls.4 == nil)
        }
    }

    @Test func decodingNullAsANonOptionalTypeFailsNamingTheColumnAndType() async throws {
        try await TestDatabase.withConnection { connection in
            let row = try await connection.query("SELECT NULL::int8 AS missing_count").single()
            let error = #expect(throws: PostgresDecodingError.self) { _ = try row.decode(Int64.self, at: 0) }
            #expect(error?.column == "missing_count")
            #expect(error?.description.contains("missing_count") == true)
            #expect(error?.description.contains("Int64") == true)
            #expect(try row.decode(Int64?.self, at: 0) == nil)
        }
    }

    @Test func integerOverflowIsADecodingError() async throws {
        try await TestDatabase.withConnection { connection in
            let row = try await connection.query("SELECT 40000::int4 AS big").single()
            let error = #expect(throws: PostgresDecodingError.self) { _ = try row.decode(Int16.self, at: 0) }
            #expect(error?.expected == "Int16")
            #expect(try row.decode(Int32.self, at: 0) == 40000)
        }
    }

    @Test func doublesRoundTripIncludingNaNAndInfinities() async throws {
        try await TestDatabase.withConnection { connection in
            let values: [Double] = [0, -0.0, 1.5, -2.25e-300, 1.7976931348623157e308, Double.leastNonzeroMagnitude, 0.1, .pi, 1e-05, 123456789.123456789]
            for value in values {
                let (back, text) = try await connection.query("SELECT \(value), \(value)::text").single()
                    .decode((Double, String).self)
                #expect(back == value, "\(value) came back as \(back) (server text \(text))")
                #expect(back.sign == value.sign)
            }
            let (nan, inf, negInf) = try await connection.query(
                "SELECT \(Double.nan), \(Double.infinity), \(-Double.infinity)"
            ).single().decode((Double, Double, Double).self)
            #expect(nan.isNaN)
            #expect(inf == .infinity)
            #expect(negInf == -.infinity)
            let (serverNaN, serverInf, isNaN) = try await connection.query(
                "SELECT 'NaN'::float8, '-Infinity'::float8, \(Double.nan) = 'NaN'::float8"
            ).single().decode((Double, Double, Bool).self)
            #expect(serverNaN.isNaN && serverInf == -.infinity && isNaN)
            let real = try await connection.scalar("SELECT 0.5::float4", as: Double.self)
            #expect(real == 0.5)
        }
    }

    @Test func decimalsRoundTripWithManyDigits() async throws {
        try await TestDatabase.withConnection { connection in
            let texts = ["12345678901234567890.123456789", "-0.000000000000000001", "0", "99999999999999999999999999999999999999"]
            for text in texts {
                let value = try #require(Decimal(string: text, locale: Locale(identifier: "en_US_POSIX")))
                let (back, equal, serverText) = try await connection.query(
                    "SELECT \(value), \(value) = \(text)::numeric, \(value)::text"
                ).single().decode((Decimal, Bool, String).self)
                #expect(back == value)
                #expect(equal, "server read \(value) as \(serverText)")
            }
            let fromServer = try await connection.scalar(
                "SELECT 12345678901234567890.123456789::numeric(40, 9) * 2", as: Decimal.self)
            let serverText = try await connection.scalar(
                "SELECT (12345678901234567890.123456789::numeric(40, 9) * 2)::text", as: String.self)
            #expect(fromServer == Decimal(string: serverText, locale: Locale(identifier: "en_US_POSIX")))
            let nan = await thrownError { _ = try await connection.scalar("SELECT 'NaN'::numeric AS n", as: Decimal.self) }
            #expect(nan is PostgresDecodingError)
        }
    }

    @Test func chineseTextRoundTrips() async throws {
        try await TestDatabase.withConnection { connection in
            try await connection.query("CREATE TABLE proposal (title text, body varchar(200), code char(4))")
            let title = "关于加强社区养老服务的提案"
            let body = "提案内容：emoji 🏛️, quotes ' \" \\ tab\tnewline\n结束"
            try await connection.query("INSERT INTO proposal VALUES (\(title), \(body), \("提案"))")
            let (t, b, c, length) = try await connection.query(
                "SELECT title, body, code, char_length(title) FROM proposal"
            ).single().decode((String, String, String, Int).self)
            #expect(t == title)
            #expect(b == body)
            #expect(c == "提案  ")
            #expect(length == title.count)
            let null = try await connection.scalar("SELECT NULL::text", as: String?.self)
            #expect(null == nil)
        }
    }

    @Test func timestamptzRoundTripsWithMicrosecondsInAnyServerTimeZone() async throws {
        try await TestDatabase.withConnection { connection in
            try await connection.query("SET TimeZone TO 'Asia/Shanghai'")
            #expect(try await connection.scalar("SHOW TimeZone", as: String.self) == "Asia/Shanghai")
            // From the server: text in +08, decoded to the same instant as the server's epoch.
            let (date, epochText, text) = try await connection.query("""
                SELECT ts, extract(epoch FROM ts)::text, ts::text
                FROM (SELECT '2024-05-06 07:08:09.123456+00'::timestamptz AS ts) s
                """).single().decode((Date, String, String).self)
            #expect(text.hasSuffix("+08"))
            #expect(microseconds(date) == microseconds(epochText: epochText))

            // From Swift: the server stores the same instant and sends it back.
            let instants = [
                Date(timeIntervalSince1970: 1_714_979_289.654321),
                Date(timeIntervalSince1970: -86_400 * 365.25 * 30 + 0.5),  // before 1970
                Date(timeIntervalSince1970: 0),
                Date(timeIntervalSince1970: 1_900_000_000.000001),
            ]
            for instant in instants {
                let (back, epoch) = try await connection.query(
                    "SELECT \(instant), extract(epoch FROM \(instant))::text"
                ).single().decode((Date, String).self)
                #expect(microseconds(back) == microseconds(instant))
                #expect(microseconds(epochText: epoch) == microseconds(instant))
            }
            // Half-hour and historical offsets (LMT, with seconds) parse too.
            try await connection.query("SET TimeZone TO 'Asia/Kolkata'")
            let (kolkata, kolkataEpoch) = try await connection.query(
                "SELECT ts, extract(epoch FROM ts)::text FROM (SELECT '2021-01-01 00:00:00.5+00'::timestamptz AS ts) s"
            ).single().decode((Date, String).self)
            #expect(microseconds(kolkata) == microseconds(epochText: kolkataEpoch))
            try await connection.query("SET TimeZone TO 'Asia/Shanghai'")
            let (old, oldEpoch, oldText) = try await connection.query(
                "SELECT ts, extract(epoch FROM ts)::text, ts::text FROM (SELECT '1890-06-01 12:00:00+00'::timestamptz AS ts) s"
            ).single().decode((Date, String, String).self)
            #expect(microseconds(old) == microseconds(epochText: oldEpoch), "server sent \(oldText)")
            // timestamp without time zone and date are read as UTC.
            let (plain, plainEpoch) = try await connection.query(
                "SELECT ts, extract(epoch FROM ts)::text FROM (SELECT '2024-02-29 23:59:59.999999'::timestamp AS ts) s"
            ).single().decode((Date, String).self)
            #expect(microseconds(plain) == microseconds(epochText: plainEpoch))
            #expect(try await connection.scalar("SELECT NULL::timestamptz", as: Date?.self) == nil)
        }
    }

    @Test func calendarDatesRoundTrip() async throws {
        try await TestDatabase.withConnection { connection in
            for text in ["2024-02-29", "0001-01-01", "9999-12-31", "1969-07-20"] {
                let date = try CalendarDate(text)
                let (back, serverText, days) = try await connection.query(
                    "SELECT \(date), \(date)::text, \(date) - DATE '1970-01-01'"
                ).single().decode((CalendarDate, String, Int32).self)
                #expect(back == date)
                #expect(serverText == text)
                #expect(Int(days) == date.daysSinceEpoch)
            }
            let fromServer = try await connection.scalar("SELECT DATE '2024-01-31' + 30", as: CalendarDate.self)
            let fromServerText = try await connection.scalar("SELECT (DATE '2024-01-31' + 30)::text", as: String.self)
            #expect(fromServer.description == fromServerText)
            #expect(try await connection.scalar("SELECT NULL::date", as: CalendarDate?.self) == nil)
            // Dates a CalendarDate cannot hold are refused by name, not misread.
            for text in ["infinity", "4714-11-24 BC", "10000-01-01"] {
                let error = await #expect(throws: PostgresDecodingError.self) {
                    try await connection.scalar("SELECT \(text)::date", as: CalendarDate.self)
                }
                #expect(error?.reason.hasSuffix("is not a YYYY-MM-DD date") == true, "\(text)")
            }
        }
    }

    @Test func intervalsRoundTripWithMonthsDaysAndNegativeParts() async throws {
        try await TestDatabase.withConnection { connection in
            let texts = [
                "3 months 2 days 04:05:06.5", "-1 year -2 mons +3 days -04:05:06", "00:00:00",
                "-0.000001 seconds", "1 year", "-7 days", "100 hours 1 minute", "1 mon -1 day 00:00:00.25",
            ]
            for text in texts {
                let (fromServer, serverIsoText) = try await connection.query(
                    "SELECT \(text)::interval, \(text)::interval::text"
                ).single().decode((PostgresInterval, String).self)
                // The server agrees that what we read (and send back) is the same interval, field by field.
                let (same, months, days, micros) = try await connection.query("""
                    SELECT \(fromServer) = \(text)::interval,
                           (extract(year FROM \(fromServer)) * 12 + extract(month FROM \(fromServer)))::int,
                           extract(day FROM \(fromServer))::int,
                           (extract(epoch FROM \(fromServer)::interval - date_trunc('day', \(fromServer)))::numeric * 1000000)::int8
                    """).single().decode((Bool, Int32, Int32, Int64).self)
                #expect(same, "\(text) read as \(fromServer) from \(serverIsoText)")
                #expect(fromServer.months == months, "\(text)")
                #expect(fromServer.days == days, "\(text)")
                #expect(fromServer.microseconds == micros, "\(text)")
                // Strictly equal too: identical text from the server.
                let back = try await connection.scalar("SELECT \(fromServer)::text", as: String.self)
                #expect(back == serverIsoText)
            }
            #expect(try await connection.scalar("SELECT NULL::interval", as: PostgresInterval?.self) == nil)
        }
    }

    @Test func durationsRoundTripAndAnIntervalWithMonthsIsRejected() async throws {
        try await TestDatabase.withConnection { connection in
            let durations: [Duration] = [.seconds(93_600), .milliseconds(1500), .microseconds(-2_500_001), .zero]
            for duration in durations {
                let (back, serverMicros) = try await connection.query(
                    "SELECT \(duration), (extract(epoch FROM \(duration)) * 1000000)::int8"
                ).single().decode((Duration, Int64).self)
                #expect(back == duration)
                #expect(Duration.microseconds(serverMicros) == duration)
            }
            let dayAndTime = try await connection.scalar("SELECT '1 day 02:00:00.000001'::interval", as: Duration.self)
            let serverSeconds = try await connection.scalar(
                "SELECT (extract(epoch FROM '1 day 02:00:00.000001'::interval) * 1000000)::int8", as: Int64.self)
            #expect(dayAndTime == .microseconds(serverSeconds))
            let row = try await connection.query("SELECT '1 mon 2 days'::interval AS term").single()
            let error = #expect(throws: PostgresDecodingError.self) { _ = try row.decode(Duration.self, at: 0) }
            #expect(error?.column == "term")
            #expect(try row.decode(PostgresInterval.self, at: 0).months == 1)
        }
    }

    @Test func uuidsRoundTrip() async throws {
        try await TestDatabase.withConnection { connection in
            let id = UUID()
            let (back, text) = try await connection.query("SELECT \(id), \(id)::text").single().decode((UUID, String).self)
            #expect(back == id)
            #expect(text == id.uuidString.lowercased())
            let generated = try await connection.query("SELECT gen_random_uuid() AS u").single()
            let (asUUID, asText) = (try generated.decode(UUID.self, at: 0), try generated.decode(String.self, at: 0))
            #expect(asUUID.uuidString.lowercased() == asText)
            #expect(try await connection.scalar("SELECT NULL::uuid", as: UUID?.self) == nil)
        }
    }

    @Test func byteaRoundTripsEveryByteValue() async throws {
        try await TestDatabase.withConnection { connection in
            try await connection.query("CREATE TABLE blob (id int, bytes bytea)")
            let all = (0...255).map { UInt8($0) }
            try await connection.query("INSERT INTO blob VALUES (1, \(all)), (2, \(Data(all.reversed()))), (3, \([UInt8]())), (4, \(Optional<Data>.none))")
            let rows = try await connection.query("SELECT bytes, length(bytes), md5(bytes) FROM blob ORDER BY id")
            let (first, firstLength, firstMD5) = try rows[0].decode(([UInt8], Int32, String).self)
            #expect(first == all)
            #expect(firstLength == 256)
            #expect(try await connection.scalar("SELECT md5(\(all))", as: String.self) == firstMD5)
            let second = try rows[1].decode(Data.self, at: 0)
            #expect(Array(second) == all.reversed())
            #expect(try rows[2].decode([UInt8].self, at: 0) == [])
            #expect(try rows[3].decode(Data?.self, at: 0) == nil)
            // Bytes the server made.
            let made = try await connection.scalar("SELECT decode('00ff10', 'hex')", as: [UInt8].self)
            let madeHex = try await connection.scalar("SELECT encode(decode('00ff10', 'hex'), 'hex')", as: String.self)
            #expect(made.map { String(format: "%02x", $0) }.joined() == madeHex)
        }
    }

    struct Settings: Codable, Sendable, Equatable {
        var county: String
        var quota: Int
        var tags: [String]
        var deadline: String?
    }

    @Test func jsonbAndJsonColumnsRoundTripACodableValue() async throws {
        try await TestDatabase.withConnection { connection in
            try await connection.query("CREATE TABLE config (id int, b jsonb, j json)")
            let settings = Settings(county: "同心县", quota: 12, tags: ["a\"b", "c\\d", "提案"], deadline: nil)
            try await connection.query("INSERT INTO config VALUES (1, \(JSONB(settings)), \(JSONB(settings)))")
            let (b, j) = try await connection.query("SELECT b, j FROM config").single()
                .decode((JSONB<Settings>, JSONB<Settings>).self)
            #expect(b.value == settings)
            #expect(j.value == settings)
            // The server sees real JSON, not a string.
            let (county, quota, type) = try await connection.query(
                "SELECT b->>'county', (j->>'quota')::int, jsonb_typeof(b->'tags') FROM config"
            ).single().decode((String, Int32, String).self)
            #expect(county == settings.county)
            #expect(Int(quota) == settings.quota)
            #expect(type == "array")
            // JSON the server built decodes too.
            let built = try await connection.scalar(
                "SELECT jsonb_build_object('county', 'x', 'quota', 3, 'tags', jsonb_build_array('y'))",
                as: JSONB<Settings>.self)
            #expect(built.value == Settings(county: "x", quota: 3, tags: ["y"], deadline: nil))
            let wrongShape = await thrownError {
                _ = try await connection.scalar("SELECT '{\"county\": 1}'::jsonb", as: JSONB<Settings>.self)
            }
            #expect(wrongShape is PostgresDecodingError)
            #expect(try await connection.scalar("SELECT NULL::jsonb", as: JSONB<Settings>?.self) == nil)
        }
    }

    struct Reading: Codable, Sendable {
        var station: String
        var value: Double
    }

    @Test func aJSONBValueThatJSONCannotHoldIsRejectedNotStoredAsNull() async throws {
        try await TestDatabase.withConnection { connection in
            try await connection.query("CREATE TABLE reading (id int, data jsonb)")
            let reading = Reading(station: "同心", value: .nan)
            let error = await thrownError {
                try await connection.query("INSERT INTO reading VALUES (1, \(JSONB(reading)))")
            }
            let stored = try await connection.query("SELECT data::text FROM reading").values(String?.self)
            #expect(error != nil, "the insert succeeded and stored \(stored)")
            #expect(stored.isEmpty)
        }
    }

    @Test func textArraysRoundTripAwkwardElements() async throws {
        try await TestDatabase.withConnection { connection in
            let values = ["plain", "with \"quotes\"", "a,b", "back\\slash", "NULL", "", " spaced ", "提案", "{braces}", "new\nline", "tab\tx"]
            let (back, count, fifth, sixthEmpty) = try await connection.query(
                "SELECT \(values), cardinality(\(values)), (\(values))[5] IS NULL, (\(values))[6] = ''"
            ).single().decode(([String], Int32, Bool, Bool).self)
            #expect(back == values)
            #expect(Int(count) == values.count)
            #expect(fifth == false)  // the word NULL is a string, not SQL NULL
            #expect(sixthEmpty)
            let fromServer = try await connection.scalar(
                "SELECT ARRAY['x y', 'NULL', '', 'a\"b', 'c\\d', '提案']::text[]", as: [String].self)
            let serverCount = try await connection.scalar(
                "SELECT cardinality(ARRAY['x y', 'NULL', '', 'a\"b', 'c\\d', '提案']::text[])", as: Int32.self)
            #expect(fromServer.count == Int(serverCount))
            #expect(fromServer == ["x y", "NULL", "", "a\"b", "c\\d", "提案"])
            let varchar = try await connection.scalar("SELECT ARRAY['a', 'b']::varchar[]", as: [String].self)
            #expect(varchar == ["a", "b"])
            let withNull = await thrownError { _ = try await connection.scalar("SELECT ARRAY['a', NULL]", as: [String].self) }
            #expect(withNull is PostgresDecodingError)
            #expect(try await connection.scalar("SELECT \([String]())", as: [String].self) == [])
            #expect(try await connection.scalar("SELECT '{}'::text[]", as: [String].self) == [])
        }
    }

    @Test func integerArraysRoundTripForEveryWidth() async throws {
        try await TestDatabase.withConnection { connection in
            let ints: [Int] = [Int.min, -1, 0, 1, Int.max]
            let int64s: [Int64] = [Int64.min, 42, Int64.max]
            let int32s: [Int32] = [Int32.min, 7, Int32.max]
            let int16s: [Int16] = [Int16.min, -3, Int16.max]
            let (a, b, c, d) = try await connection.query("SELECT \(ints), \(int64s), \(int32s), \(int16s)")
                .single().decode(([Int], [Int64], [Int32], [Int16]).self)
            #expect(a == ints && b == int64s && c == int32s && d == int16s)
            let types = try await connection.query(
                "SELECT pg_typeof(\(ints))::text, pg_typeof(\(int32s))::text, pg_typeof(\(int16s))::text"
            ).single().decode((String, String, String).self)
            #expect(types.0 == "bigint[]")
            #expect(types.1 == "integer[]")
            #expect(types.2 == "smallint[]")
            let (series, sum) = try await connection.query(
                "SELECT array_agg(g ORDER BY g)::int4[], sum(g)::int8 FROM generate_series(-5, 5) g"
            ).single().decode(([Int32], Int64).self)
            #expect(series.count == 11)
            #expect(Int64(series.reduce(0, +)) == sum)
            #expect(try await connection.scalar("SELECT ARRAY[1, 2]::int2[]", as: [Int64].self) == [1, 2])
            let empty = try await connection.query("SELECT \([Int]()), \([Int32]()), \([Int16]()), \([Int64]()), '{}'::int4[]")
                .single().decode(([Int], [Int32], [Int16], [Int64], [Int32]).self)
            #expect(empty.0.isEmpty && empty.1.isEmpty && empty.2.isEmpty && empty.3.isEmpty && empty.4.isEmpty)
            #expect(try await connection.scalar("SELECT NULL::int8[]", as: [Int]?.self) == nil)
            let overflow = await thrownError { _ = try await connection.scalar("SELECT ARRAY[70000]::int4[]", as: [Int16].self) }
            #expect(overflow is PostgresDecodingError)
        }
    }

    @Test func decodingTextAsIntNamesTheColumnAndTheSwiftType() async throws {
        try await TestDatabase.withConnection { connection in
            let row = try await connection.query("SELECT 'abc'::text AS proposal_title").single()
            let error = #expect(throws: PostgresDecodingError.self) { _ = try row.decode(Int.self, at: 0) }
            let failure = try #require(error)
            #expect(failure.column == "proposal_title")
            #expect(failure.expected == "Int")
            #expect(failure.description.contains("proposal_title"))
            #expect(failure.description.contains("Int"))
            #expect(failure.description.contains("text"))
            // An integer column that does not fit a String-like expectation is fine; the reverse fails.
            let uuidAsInt = await thrownError { _ = try await connection.scalar("SELECT gen_random_uuid() AS u", as: Int32.self) }
            #expect((uuidAsInt as? PostgresDecodingError)?.column == "u")
            let boolAsDate = await thrownError { _ = try await connection.scalar("SELECT true AS flag", as: Date.self) }
            #expect((boolAsDate as? PostgresDecodingError)?.expected == "Date")
        }
    }

    @Test func decodingATupleOfTheWrongArityFails() async throws {
        try await TestDatabase.withConnection { connection in
            let rows = try await connection.query("SELECT 1 AS a, 'x' AS b, true AS c")
            let row = try rows.single()
            let tooFew = #expect(throws: PostgresError.self) { _ = try row.decode((Int32, String).self) }
            #expect(tooFew?.kind == .misuse)
            let tooMany = #expect(throws: PostgresError.self) { _ = try row.decode((Int32, String, Bool, Int).self) }
            #expect(tooMany?.kind == .misuse)
            #expect(throws: PostgresError.self) { _ = try rows.decode((Int32, String).self) }
            let (a, b, c) = try row.decode((Int32, String, Bool).self)
            #expect(a == 1 && b == "x" && c)
        }
    }

    @Test func decodingByColumnNameFindsTheColumnAndAnUnknownNameFails() async throws {
        try await TestDatabase.withConnection { connection in
            try await connection.query("CREATE TABLE proposal (id int8, title text, submitted date)")
            try await connection.query("INSERT INTO proposal VALUES (\(Int64(9)), \("标题"), \(try CalendarDate("2024-03-01")))")
            let row = try await connection.query("SELECT * FROM proposal").single()
            #expect(row.columns == ["id", "title", "submitted"])
            #expect(try row.decode(String.self, column: "title") == "标题")
            #expect(try row.decode(Int64.self, column: "id") == 9)
            #expect(try row.decode(CalendarDate.self, column: "submitted").description == "2024-03-01")
            let error = #expect(throws: PostgresError.self) { _ = try row.decode(String.self, column: "titel") }
            #expect(error?.kind == .misuse)
            #expect(error?.message.contains("titel") == true)
            #expect(throws: PostgresError.self) { _ = try row.decode(String.self, at: 3) }
        }
    }

    @Test func multipleRowsDecodeInOrder() async throws {
        try await TestDatabase.withConnection { connection in
            let rows = try await connection.query("SELECT g, 'n' || g FROM generate_series(1, \(Int32(100))) g ORDER BY g")
            #expect(rows.count == 100)
            let decoded = try rows.decode((Int32, String).self)
            #expect(decoded.map(\.0) == Array(1...100))
            #expect(decoded.allSatisfy { $0.1 == "n\($0.0)" })
            let none = try await connection.query("SELECT 1 WHERE false")
            #expect(none.isEmpty)
            #expect(throws: PostgresError.self) { _ = try none.single() }
        }
    }
}

/// Microseconds since 1970 of a decoded `Date`, rounded.
private func microseconds(_ date: Date) -> Int64 {
    Int64((date.timeIntervalSince1970 * 1_000_000).rounded())
}

/// Microseconds since 1970 from the server's `extract(epoch …)::text` (exact decimal arithmetic).
private func microseconds(epochText: String) -> Int64 {
    let value = Decimal(string: epochText, locale: Locale(identifier: "en_US_POSIX")) ?? .nan
    var scaled = value * 1_000_000
    var rounded = Decimal()
    NSDecimalRound(&rounded, &scaled, 0, .plain)
    return NSDecimalNumber(decimal: rounded).int64Value
}
