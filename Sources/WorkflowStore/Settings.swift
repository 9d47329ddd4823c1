public import Counties
import Foundation
import PostgresClient
import TongxinBase
import Workflow

extension WorkflowStore {
    /// The county's settings as its steps read them.
    public func settings() async throws -> CountySettings {
        try await read { context in
            try authorize(.readReference, countyTarget(context))
            return context.settings
        }
    }

    /// Changes one of the county's settings (validated), audited in the county's log with its
    /// old and new value. Only that key is written (a change of another key at the same time
    /// stays).
    @discardableResult
    public func changeSetting(_ key: String, to value: String) async throws -> Outcome {
        try await step { context in
            try authorize(.configureCounty, countyTarget(context))
            var settings = context.settings
            let before = settings.lines.first { $0.hasPrefix(key + "=") }.map { String($0.dropFirst(key.count + 1)) } ?? ""
            do {
                try settings.set(key, to: value)
            } catch let error as CountyError {
                throw WorkflowError(error.description)
            }
            let encoded = try JSONSerialization.jsonObject(with: JSONEncoder().encode(settings)) as? [String: Any]
            guard let one = encoded?[key],
                  let fragment = String(data: try JSONSerialization.data(withJSONObject: [key: one]), encoding: .utf8) else {
                throw WorkflowError("setting \(key): cannot be written")
            }
            if key == "handling_months" || key == "extended_handling_months" {
                // The two are checked together: write both.
                context.batch.append(.control("""
                    UPDATE \(identifier: CountyRegistry.controlSchema).county
                    SET settings = settings || jsonb_build_object('handling_months', \(settings.handlingMonths)::int,
                                                                  'extended_handling_months', \(settings.extendedHandlingMonths)::int),
                        updated_at = \(now)
                    WHERE code = \(county.value)
                    """))
            } else {
                context.batch.append(.control("""
                    UPDATE \(identifier: CountyRegistry.controlSchema).county SET settings = settings || \(fragment)::jsonb, updated_at = \(now)
                    WHERE code = \(county.value)
                    """))
            }
            audit(context, entity: "county", id: county.value, action: "setting", detail: ["key": key, "from": before, "to": value])
            return Outcome(number: county.value, status: "active", message: "county \(county): \(key)=\(value) (was \(before))")
        }
    }
}
