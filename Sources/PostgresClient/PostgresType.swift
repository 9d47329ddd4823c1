/// Type OIDs of the built-in types the layer encodes and decodes.
public enum PostgresType {
    public static let unknown: UInt32 = 0
    public static let bool: UInt32 = 16
    public static let bytea: UInt32 = 17
    public static let name: UInt32 = 19
    public static let int8: UInt32 = 20
    public static let int2: UInt32 = 21
    public static let int4: UInt32 = 23
    public static let text: UInt32 = 25
    public static let oid: UInt32 = 26
    public static let json: UInt32 = 114
    public static let float4: UInt32 = 700
    public static let float8: UInt32 = 701
    public static let unknownLiteral: UInt32 = 705
    public static let boolArray: UInt32 = 1000
    public static let int2Array: UInt32 = 1005
    public static let int4Array: UInt32 = 1007
    public static let textArray: UInt32 = 1009
    public static let varcharArray: UInt32 = 1015
    public static let int8Array: UInt32 = 1016
    public static let bpchar: UInt32 = 1042
    public static let varchar: UInt32 = 1043
    public static let date: UInt32 = 1082
    public static let timestamp: UInt32 = 1114
    public static let timestamptz: UInt32 = 1184
    public static let interval: UInt32 = 1186
    public static let numeric: UInt32 = 1700
    public static let uuid: UInt32 = 2950
    public static let jsonb: UInt32 = 3802

    static let names: [UInt32: String] = [
        0: "unspecified", 16: "bool", 17: "bytea", 19: "name", 20: "int8", 21: "int2", 23: "int4",
        25: "text", 26: "oid", 114: "json", 700: "float4", 701: "float8", 705: "unknown",
        1000: "bool[]", 1005: "int2[]", 1007: "int4[]", 1009: "text[]", 1015: "varchar[]",
        1016: "int8[]", 1042: "bpchar", 1043: "varchar", 1082: "date", 1114: "timestamp",
        1184: "timestamptz", 1186: "interval", 1700: "numeric", 2950: "uuid", 3802: "jsonb",
    ]

    /// A readable name for an OID, for error messages.
    public static func name(of oid: UInt32) -> String {
        names[oid] ?? "type \(oid)"
    }
}
