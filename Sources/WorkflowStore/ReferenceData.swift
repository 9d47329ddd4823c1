import Foundation
import PostgresClient
public import Workflow
public import TongxinBase

/// A member (委员) as listed.
public struct MemberRecord: Codable, Sendable, Hashable {
    public var name: String
    public var sector: String?
    public var active: Bool
}

/// A handling unit (承办单位) as listed.
public struct UnitRecord: Codable, Sendable, Hashable {
    public var name: String
    public var kind: String
    public var active: Bool
}

/// A session (届次会议).
public struct SessionRecord: Codable, Sendable, Hashable {
    public var year: Int
    public var name: String
    public var openedOn: CalendarDate
    public var closedOn: CalendarDate?
    enum CodingKeys: String, CodingKey {
        case year, name
        case openedOn = "opened_on"
        case closedOn = "closed_on"
    }
}

/// A day off on a weekday or a working weekend day (调休).
public struct CalendarDayRecord: Codable, Sendable, Hashable {
    public var day: CalendarDate
    public var kind: String
}

extension WorkflowStore {
    // MARK: Sectors

    @discardableResult
    public func addSector(_ name: String) async throws -> String {
        let name = try Text.required(name, field: "sector", maximum: 100)
        return try await step { context in
            try authorize(.manageReference, countyTarget(context))
            try await insertSector(context, name)
            return name
        }
    }

    func insertSector(_ context: Context, _ name: String) async throws {
        let inserted = try await context.tx.query("""
            INSERT INTO sector (name) VALUES (\(name)) ON CONFLICT (name) DO NOTHING
            """).affectedRows
        guard inserted == 1 else { throw WorkflowError("sector \(name) exists already") }
        audit(context, entity: "sector", id: name, action: "add")
    }

    public func sectors() async throws -> [String] {
        try await read { context in
            try authorize(.readReference, countyTarget(context))
            return try await context.tx.query("SELECT name FROM sector ORDER BY name").decode(String.self)
        }
    }

    // MARK: Members

    @discardableResult
    public func addMember(_ name: String, sector: String?) async throws -> MemberRecord {
        let name = try Text.required(name, field: "name", maximum: 100)
        let sector = try Text.optional(sector, field: "--sector", maximum: 100)
        return try await step { context in
            try authorize(.manageReference, countyTarget(context))
            try await insertMember(context, name: name, sector: sector, active: true, field: "name")
            return MemberRecord(name: name, sector: sector, active: true)
        }
    }

    func insertMember(_ context: Context, name: String, sector: String?, active: Bool, field: String) async throws {
        var sectorID: Int64?
        if let sector {
            let rows = try await context.tx.query("SELECT id FROM sector WHERE name = \(sector)")
            guard let row = rows.first else {
                throw WorkflowError("sector: no sector \"\(sector)\"; add it with `tongxin sector add`")
            }
            sectorID = try row.decode(Int64.self)
        }
        let inserted = try await context.tx.query("""
            INSERT INTO member (name, sector_id, active) VALUES (\(name), \(sectorID), \(active))
            ON CONFLICT (name) DO NOTHING
            """).affectedRows
        guard inserted == 1 else { throw WorkflowError("\(field): member \(name) exists already") }
        var detail = ["active": String(active)]
        if let sector { detail["sector"] = sector }
        audit(context, entity: "member", id: name, action: "add", detail: detail)
    }

    /// Marks a member active or not (members leave; their proposals stay).
    public func setMemberActive(_ name: String, _ active: Bool) async throws {
        let name = try Text.required(name, field: "name", maximum: 100)
        try await step { context in
            try authorize(.manageReference, countyTarget(context))
            let changed = try await context.tx.query("UPDATE member SET active = \(active) WHERE name = \(name)").affectedRows
            guard changed == 1 else { throw WorkflowError("no member \"\(name)\" in county \(county)") }
            audit(context, entity: "member", id: name, action: active ? "activate" : "deactivate")
        }
    }

    public func members() async throws -> [MemberRecord] {
        try await read { context in
            try authorize(.readReference, countyTarget(context))
            return try await context.tx.query("""
                SELECT m.name, s.name, m.active FROM member m LEFT JOIN sector s ON s.id = m.sector_id ORDER BY m.name
                """).decode((String, String?, Bool).self).map { MemberRecord(name: $0.0, sector: $0.1, active: $0.2) }
        }
    }

    // MARK: Units

    @discardableResult
    public func addUnit(_ name: String, kind: UnitKind = .department) async throws -> UnitRecord {
        let name = try Text.required(name, field: "name", maximum: 100)
        return try await step { context in
            try authorize(.manageReference, countyTarget(context))
            try await insertUnit(context, name: name, kind: kind, field: "name")
            return UnitRecord(name: name, kind: kind.rawValue, active: true)
        }
    }

    func insertUnit(_ context: Context, name: String, kind: UnitKind, field: String) async throws {
        let inserted = try await context.tx.query("""
            INSERT INTO unit (name, kind) VALUES (\(name), \(kind.rawValue)) ON CONFLICT (name) DO NOTHING
            """).affectedRows
        guard inserted == 1 else { throw WorkflowError("\(field): unit \(name) exists already") }
        audit(context, entity: "unit", id: name, action: "add", detail: ["kind": kind.rawValue])
    }

    public func units() async throws -> [UnitRecord] {
        try await read { context in
            try authorize(.readReference, countyTarget(context))
            return try await context.tx.query("SELECT name, kind, active FROM unit ORDER BY name")
                .decode((String, String, Bool).self).map { UnitRecord(name: $0.0, kind: $0.1, active: $0.2) }
        }
    }

    // MARK: Sessions

    /// Opens the year's session (届次会议); proposals of that year are numbered in it.
    @discardableResult
    public func openSession(year: Int, name: String, openedOn: CalendarDate?, closedOn: CalendarDate?) async throws -> SessionRecord {
        guard (1949...9999).contains(year) else { throw WorkflowError("--year: \(year) is not a year from 1949 to 9999") }
        let name = try Text.required(name, field: "--name", maximum: 100)
        let opened = openedOn ?? today
        if let closedOn, closedOn < opened {
            throw WorkflowError("--closed-on: \(closedOn) is before the opening on \(opened)")
        }
        return try await step { context in
            try authorize(.manageReference, countyTarget(context))
            let inserted = try await context.tx.query("""
                INSERT INTO session (year, name, opened_on, closed_on) VALUES (\(year), \(name), \(opened), \(closedOn))
                ON CONFLICT (year) DO NOTHING
                """).affectedRows
            guard inserted == 1 else { throw WorkflowError("--year: the \(year) session is open already") }
            audit(context, entity: "session", id: String(year), action: "open", detail: ["name": name])
            return SessionRecord(year: year, name: name, openedOn: opened, closedOn: closedOn)
        }
    }

    public func sessions() async throws -> [SessionRecord] {
        try await read { context in
            try authorize(.readReference, countyTarget(context))
            return try await context.tx.query("SELECT year, name, opened_on, closed_on FROM session ORDER BY year")
                .decode((Int, String, CalendarDate, CalendarDate?).self)
                .map { SessionRecord(year: $0.0, name: $0.1, openedOn: $0.2, closedOn: $0.3) }
        }
    }

    // MARK: Calendar

    /// Marks a day as a holiday (a weekday off) or a make-up workday (a working weekend day).
    public func setCalendarDay(_ day: CalendarDate, kind: String) async throws {
        guard kind == "holiday" || kind == "workday" else {
            throw WorkflowError("kind: \"\(kind.prefix(20))\" is not holiday or workday")
        }
        try await step { context in
            try authorize(.manageReference, countyTarget(context))
            try await context.tx.query("""
                INSERT INTO calendar_day (day, kind) VALUES (\(day), \(kind)) ON CONFLICT (day) DO UPDATE SET kind = EXCLUDED.kind
                """)
            audit(context, entity: "calendar", id: day.description, action: kind)
        }
    }

    public func calendarDays(year: Int?) async throws -> [CalendarDayRecord] {
        try await read { context in
            try authorize(.readReference, countyTarget(context))
            return try await context.tx.query("""
                SELECT day, kind FROM calendar_day
                WHERE \(year)::int IS NULL OR extract(year FROM day) = \(year) ORDER BY day
                """).decode((CalendarDate, String).self).map { CalendarDayRecord(day: $0.0, kind: $0.1) }
        }
    }
}
