import Accounts
import Counties
import Foundation
import Hummingbird
import Reports
import TongxinBase
import Workflow
import WorkflowStore

/// One county's pages for the signed-in account: every read and step goes through the
/// workflow store as that account (its permission check, its audit entry).
struct CountySite: Sendable {
    let server: WebServer
    let store: WorkflowStore
    let county: CountyCode
    let viewer: Viewer

    var base: String { "/c/\(county.value)" }
    var role: Role { viewer.account.role }
    var isOffice: Bool { role == .staff || role == .operator }

    /// The member's or unit's name this account is (kept a minute).
    func ownName() async throws -> String? {
        guard role == .member || role == .unit else { return nil }
        let principal = viewer.account.principal
        return try await server.names.name("\(county.value)|\(principal.login)|\(principal.memberID ?? 0)|\(principal.unitID ?? 0)") {
            try await store.ownName()
        }
    }

    // MARK: Home

    func home(_ page: PageRequest) async throws -> Response {
        switch role {
        case .member: return try await memberHome(page)
        case .unit: return try await unitHome(page)
        case .leader: return try await report(page)
        default: return try await officeHome(page)
        }
    }

    func memberHome(_ page: PageRequest) async throws -> Response {
        let t = page.t
        let mine = try await store.list()
        let (drafts, invited) = try await store.drafts()
        func draftRows(_ list: [DraftRecord], invitation: Bool) -> HTML {
            guard !list.isEmpty else { return "<p class=\"muted\">\(t("暂无。", "None."))</p>" }
            let rows: [HTML] = list.map { d in
                let answers = d.coSigners.map { "\($0.member)：\(coSignLabel(t, $0.state))" }.joined(separator: "、")
                return "<tr><td><a href=\"\(base)/d/\(d.id)\">\(d.title)</a></td><td>\(invitation ? d.lead : answers)</td><td>\(LocalTime.display(d.updatedAt))</td></tr>"
            }
            return """
                <div class="scroll"><table><thead><tr><th scope="col">\(t("案由", "Title"))</th>
                <th scope="col">\(invitation ? t("领衔委员", "Lead") : t("联名委员", "Co-authors"))</th><th scope="col">\(t("更新", "Updated"))</th></tr></thead>
                <tbody>\(rows)</tbody></table></div>
                """
        }
        return Pages.layout(page, title: t("我的提案", "My proposals"), county: county.value, """
            <h1>\(t("我的提案", "My proposals"))</h1>
            <p><a class="button" href="\(base)/new">\(t("＋ 撰写新提案", "+ Write a new proposal"))</a></p>
            \(invited.isEmpty ? .empty : "<h2>\(t("待我确认的联名邀请", "Invitations to co-sign")) (\(invited.count))</h2>\(draftRows(invited, invitation: true))" as HTML)
            <h2>\(t("已提交的提案", "Filed proposals"))</h2>
            \(proposalTable(page, mine))
            <h2>\(t("草稿", "Drafts"))</h2>
            \(draftRows(drafts, invitation: false))
            """)
    }

    func unitHome(_ page: PageRequest) async throws -> Response {
        let t = page.t
        // Current work by default; ?all=1 adds the closed proposals of earlier years.
        let all = page.request.uri.queryParameters["all"] == "1"
        let items = try await store.inbox(all: all)
        let today = store.today
        var counts: [InboxItem.Bucket: Int] = [:]
        for item in items { counts[item.bucket(today: today), default: 0] += 1 }
        let labels: [(InboxItem.Bucket, String)] = [
            (.unacknowledged, t("未签收", "Not acknowledged")), (.inProgress, t("在办", "In progress")),
            (.dueSoon, t("即将到期", "Due soon")), (.overdue, t("逾期", "Overdue")), (.replied, t("已答复", "Replied")),
        ]
        let tiles: [HTML] = labels.map { "<li><b>\(counts[$0.0] ?? 0)</b>\($0.1)</li>" }
        let rows: [HTML] = items.map { item in
            let bucket = item.bucket(today: today)
            let tag: HTML = switch bucket {
            case .overdue: "<span class=\"tag late\">\(t("逾期", "overdue"))</span>"
            case .dueSoon: "<span class=\"tag soon\">\(t("即将到期", "due soon"))</span>"
            case .replied: "<span class=\"tag done\">\(t("已答复", "replied"))</span>"
            case .unacknowledged: "<span class=\"tag\">\(t("未签收", "not acknowledged"))</span>"
            case .inProgress: "<span class=\"tag\">\(t("在办", "in progress"))</span>"
            }
            return """
                <tr><td><a href="\(base)/p/\(item.number)">\(item.number)</a></td><td>\(item.title)</td><td>\(t.role(item.role))</td>
                <td>\(item.dueOn.description)</td><td>\(tag)</td></tr>
                """
        }
        return Pages.layout(page, title: t("办理工作台", "Inbox"), county: county.value, """
            <h1>\(t("办理工作台", "Inbox"))</h1>
            <ul class="counts" aria-label="\(t("统计", "Counts"))">\(tiles)</ul>
            <div class="scroll"><table>
            <thead><tr><th scope="col">\(t("编号", "No."))</th><th scope="col">\(t("案由", "Title"))</th><th scope="col">\(t("办理方式", "Role"))</th>
            <th scope="col">\(t("办理期限", "Due"))</th><th scope="col">\(t("状态", "State"))</th></tr></thead>
            <tbody>\(rows)</tbody></table></div>
            <p class="muted">\(all
                ? "\(t("含往年已办结的提案。", "Closed proposals of earlier years included.")) <a href=\"\(base)/\">\(t("只看当前工作", "Current work only"))</a>" as HTML
                : "\(t("往年已办结的提案未列出。", "Closed proposals of earlier years are not listed.")) <a href=\"\(base)/?all=1\">\(t("全部列出", "List them all"))</a>" as HTML)</p>
            """)
    }

    func officeHome(_ page: PageRequest) async throws -> Response {
        let t = page.t
        let queues = try await store.officeQueues()
        let (filed, registered, overdue, key) = (queues.toReview, queues.toAssign, queues.overdue, queues.key)
        let extensions = isOffice ? queues.extensions ?? [] : []
        let extensionRows: [HTML] = extensions.map {
            "<tr><td><a href=\"\(base)/p/\($0.number)\">\($0.number)</a></td><td>\($0.unit)</td><td>\($0.dueOn.description)</td><td>\($0.until.description)</td><td>\($0.reason)</td></tr>"
        }
        var sections: [HTML] = []
        let waiting = queues.repliesAwaitingReview ?? []
        if !waiting.isEmpty || role == .supervisor {
            let rows: [HTML] = waiting.map {
                "<tr><td><a href=\"\(base)/p/\($0.number)\">\($0.number)</a></td><td>\($0.title)</td><td>\($0.unit)</td><td>\($0.category)</td><td>\(LocalTime.display($0.submittedAt))</td></tr>"
            }
            sections.append("""
                <h2>\(t("待审核的答复", "Replies awaiting review")) (\(waiting.count))</h2>
                <div class="scroll"><table><thead><tr><th scope="col">\(t("编号", "No."))</th><th scope="col">\(t("案由", "Title"))</th>
                <th scope="col">\(t("单位", "Unit"))</th><th scope="col">\(t("类别", "Category"))</th><th scope="col">\(t("提交时间", "Sent"))</th></tr></thead>
                <tbody>\(rows)</tbody></table></div>
                """)
        }
        if role == .supervisor {
            sections.append("<h2>\(t("重点提案", "Key proposals"))</h2>\(proposalTable(page, key))")
        }
        sections.append("<h2>\(t("待审查", "To review")) (\(filed.count))</h2>\(proposalTable(page, filed))")
        sections.append("<h2>\(t("待交办", "To assign")) (\(registered.count))</h2>\(proposalTable(page, registered))")
        if isOffice, extensions.isEmpty {
            sections.append("<h2>\(t("延期申请", "Extension requests")) (0)</h2><p class=\"muted\">\(t("暂无。", "None."))</p>")
        } else if isOffice {
            sections.append("""
                <h2>\(t("延期申请", "Extension requests")) (\(extensions.count))</h2>
                <div class="scroll"><table><thead><tr><th scope="col">\(t("编号", "No."))</th><th scope="col">\(t("单位", "Unit"))</th>
                <th scope="col">\(t("原期限", "Due"))</th><th scope="col">\(t("申请延至", "Asked until"))</th><th scope="col">\(t("理由", "Reason"))</th></tr></thead>
                <tbody>\(extensionRows)</tbody></table></div>
                """)
        }
        sections.append("<h2>\(t("逾期未办复", "Overdue")) (\(overdue.count))</h2>\(proposalTable(page, overdue))")
        if role != .supervisor {
            sections.append("<h2>\(t("重点提案", "Key proposals")) (\(key.count))</h2>\(proposalTable(page, key))")
        }
        return Pages.layout(page, title: t("提案工作", "Proposal office"), county: county.value, """
            <h1>\(t("提案工作", "Proposal office"))</h1>
            \(sections)
            """)
    }

    func proposalTable(_ page: PageRequest, _ rows: [ProposalSummary]) -> HTML {
        let t = page.t
        guard !rows.isEmpty else { return "<p class=\"muted\">\(t("暂无。", "None."))</p>" }
        let body: [HTML] = rows.map { p in
            let due: HTML = p.dueOn.map { "\($0.description)\(p.overdue ? " " : "")" } ?? .empty
            let late: HTML = p.overdue ? "<span class=\"tag late\">\(t("逾期", "overdue"))</span>" : .empty
            return """
                <tr><td><a href="\(base)/p/\(p.number)">\(p.number)</a></td><td>\(p.title)</td><td>\(t.status(p.status))</td>
                <td>\(p.units)</td><td>\(due)\(late)</td></tr>
                """
        }
        return """
            <div class="scroll"><table>
            <thead><tr><th scope="col">\(t("编号", "No."))</th><th scope="col">\(t("案由", "Title"))</th><th scope="col">\(t("状态", "Status"))</th>
            <th scope="col">\(t("承办单位", "Units"))</th><th scope="col">\(t("办理期限", "Due"))</th></tr></thead>
            <tbody>\(body)</tbody></table></div>
            """
    }

    // MARK: Filing

    func newProposal(_ page: PageRequest, values: Form?, problem: String?) async throws -> Response {
        let t = page.t
        guard role == .member else { throw NotFound() }
        let v = { (name: String) in values?[name] ?? "" }
        let units = try await store.units().filter(\.active).map(\.name)
        let categories: [HTML] = ProposalCategory.allCases.map {
            "<option value=\"\($0.rawValue)\"\(HTML.flag("selected", v("category") == $0.rawValue))>\(t.category($0))</option>"
        }
        return Pages.layout(page, title: t("撰写提案", "New proposal"), status: problem == nil ? .ok : .unprocessableContent, county: county.value, """
            <h1>\(t("撰写提案", "New proposal"))</h1>
            \(Pages.problem(problem))
            <form method="post" action="\(base)/new" class="card">
            \(Pages.csrf(page))
            <label for="title">\(t("案由（标题）", "Title (案由)"))</label>
            <input id="title" name="title" maxlength="300" required value="\(v("title"))">
            <label for="category">\(t("类别", "Category"))</label>
            <select id="category" name="category">\(categories)</select>
            <label for="body">\(t("内容（情况分析与具体建议）", "Body (the situation and concrete proposals)"))</label>
            <textarea id="body" name="body" rows="12">\(v("body"))</textarea>
            <label for="co_authors">\(t("联名委员（可选，用顿号或逗号分隔）", "Co-authors (optional, separated by commas)"))</label>
            <input id="co_authors" name="co_authors" value="\(v("co_authors"))">
            \(preferredBoxes(page, units: units, chosen: values?.all("prefer_unit") ?? []))
            <label class="choice"><input type="checkbox" name="publish" value="yes"\(HTML.flag("checked", values?["publish"] == "yes"))>\(t("同意公开", "I agree that it may be published"))</label>
            <p class="muted">\(t("有联名委员时，提案先存为草稿，待联名委员在各自页面确认后再提交。", "With co-authors, the proposal is kept as a draft until each has confirmed on their own page; then you file it."))</p>
            <button type="submit" name="intent" value="file">\(t("提交提案", "File the proposal"))</button>
            <button type="submit" name="intent" value="draft" class="secondary">\(t("暂存", "Save as draft"))</button>
            </form>
            """)
    }

    func fileProposal(_ page: inout PageRequest) async throws -> Response {
        guard role == .member, let form = page.form else { throw NotFound() }
        let t = page.t
        do {
            guard let own = try await ownName() else { throw WorkflowError("this account is linked to no member") }
            let coAuthors = (form["co_authors"] ?? "").split(whereSeparator: { "、,，;；".contains($0) })
                .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            guard let category = ProposalCategory(rawValue: form["category"] ?? "") else {
                throw WorkflowError(t("类别：请选择", "category: choose one"))
            }
            let preferred = form.all("prefer_unit")
            let publish = form["publish"] == "yes"
            if form["intent"] == "draft" || !coAuthors.isEmpty {
                let outcome = try await store.saveDraft(nil, DraftFields(
                    title: form["title"] ?? "", body: form["body"] ?? "", category: category, coAuthors: coAuthors,
                    preferredUnits: preferred, publicationConsent: publish))
                let text = coAuthors.isEmpty ? t("已暂存。", "Saved as a draft.")
                    : t("已存为草稿，已邀请联名委员确认：", "Saved as a draft; co-authors invited to confirm: ") + coAuthors.joined(separator: "、")
                return server.done("\(base)/d/\(outcome.number)", Flash(ok: true, text: text), page)
            }
            let outcome = try await store.file(NewProposal(
                title: form["title"] ?? "", body: form["body"] ?? "", category: category, kind: .individual, lead: own,
                preferredUnits: preferred, publicationConsent: publish))
            return server.done("\(base)/p/\(outcome.number)", Flash(ok: true, text: t("提案已提交：", "Filed: ") + outcome.number), page)
        } catch let error as WorkflowError where !error.isNotFound {
            return server.finish(try await newProposal(page, values: form, problem: StoreMessages.shown(error.description, t)), page)
        }
    }

    // MARK: A proposal

    func proposal(_ page: PageRequest, number: String, preview: HTML = .empty) async throws -> Response {
        let t = page.t
        let p = try await store.show(number)
        let own = try await ownName()
        let authors = p.authors.map { $0.member + ($0.lead ? t("（领衔）", " (lead)") : "") }.joined(separator: "、")
        let assignments: [HTML] = p.assignments.map { a in
            var state: [HTML] = []
            if a.returnedAt != nil { state.append("<span class=\"tag\">\(t("已申退", "returned"))</span>") }
            if a.acknowledgedAt != nil { state.append("<span class=\"tag done\">\(t("已签收", "acknowledged"))</span>") }
            if a.repliedAt != nil { state.append("<span class=\"tag done\">\(t("已答复", "replied"))</span>") }
            if a.overdue { state.append("<span class=\"tag late\">\(t("逾期", "overdue"))</span>") }
            if let until = a.extensionRequested { state.append("<span class=\"tag soon\">\(t("申请延期至", "extension asked until")) \(until.description)</span>") }
            return "<tr><td>\(a.unit)</td><td>\(t.role(a.role))</td><td>\(a.dueAt.description)\(a.extended ? t("（已延期）", " (extended)") : "")</td><td>\(state)</td></tr>"
        }
        func replyCard(_ r: ProposalDetail.Reply, pending: Bool) -> HTML {
            var letter: [HTML] = []
            if let v = r.documentNumber { letter.append("<dt>\(t("文号", "Document number"))</dt><dd>\(v)</dd>") }
            if let v = r.signer { letter.append("<dt>\(t("签发人", "Signed by"))</dt><dd>\(v)</dd>") }
            if let v = r.contactPerson { letter.append("<dt>\(t("联系人", "Contact"))</dt><dd>\(v)</dd>") }
            if let v = r.contactPhone { letter.append("<dt>\(t("联系电话", "Phone"))</dt><dd>\(v)</dd>") }
            if let from = r.correctedFrom {
                letter.append("<dt>\(t("类别", "Category"))</dt><dd>\(t("由", "corrected from ")) \(from) \(t("类更正为", "to")) \(r.category)\(t("类", "")) · \(r.reviewedBy ?? "")</dd>")
            }
            return """
                <article class="card\(pending ? " pending" : "")"><h3>\(r.unit) · \(t.replyCategory(r.category))\(pending ? " · " + t("待审核", "awaiting review") : "")</h3>
                <p class="muted">\(t("第", "Round "))\(r.round)\(t("轮 · ", " · "))\(LocalTime.display(r.repliedAt))</p>
                \(letter.isEmpty ? .empty : "<dl class=\"facts\">\(letter)</dl>" as HTML)
                <div class="body">\(r.text)</div></article>
                """
        }
        let replies: [HTML] = p.replies.map { replyCard($0, pending: false) }
        let pendingReplies: [HTML] = p.repliesAwaitingReview.map { replyCard($0, pending: true) }
        let opinions: [HTML] = p.opinions.map { o in
            "<article class=\"card\"><h3>\(o.unit) \(t("会办意见", "co-handling view"))</h3><p class=\"muted\">\(LocalTime.display(o.sentAt))</p><div class=\"body\">\(o.text)</div></article>"
        }
        let evaluations: [HTML] = p.evaluations.map { e in
            "<li>\(e.member)：\(t("办理结果", "result")) \(t.rating(e.rating))\(e.processRating.map { "，" + t("办理态度", "attitude") + " " + t.rating($0) } ?? "")\(e.comment.map { "，" + $0 } ?? "")（\(LocalTime.display(e.evaluatedAt))）</li>"
        }
        let timeline: [HTML] = p.timeline.map { e in
            "<li><time>\(LocalTime.display(e.at))</time> \(t.action(e.action)) · \(e.actor)\(e.detail["unit"].map { " · " + $0 } ?? "")\(e.detail["reason"].map { " · " + $0 } ?? "")</li>"
        }
        let printing = page.query("print") == "1"
        let actions = printing ? [] : try await actionForms(page, p, own: own)
        return Pages.layout(page, title: "\(p.number) \(p.title)", county: county.value, """
            <h1>\(p.number) \(p.title)</h1>
            <dl class="facts card">
            <dt>\(t("状态", "Status"))</dt><dd>\(t.status(p.status))\(p.key ? " · " + t("重点提案", "key proposal") : "")</dd>
            <dt>\(t("提案人", "Authors"))</dt><dd>\(authors)</dd>
            <dt>\(t("类别", "Category"))</dt><dd>\(t.category(p.category)) · \(t.kind(p.kind))</dd>
            <dt>\(t("提交时间", "Filed"))</dt><dd>\(LocalTime.display(p.filedAt))</dd>
            \(p.preferredUnits.isEmpty ? .empty : "<dt>\(t("建议承办单位", "Preferred units"))</dt><dd>\(p.preferredUnits.joined(separator: "、"))</dd>" as HTML)
            <dt>\(t("是否公开", "Publication"))</dt><dd>\(p.publicationConsent ? t("同意公开", "agreed") : t("不公开", "not agreed"))</dd>
            \(p.declineReason.map { "<dt>\(t("不予立案理由", "Declined because"))</dt><dd>\($0)</dd>" as HTML } ?? .empty)
            \(p.mergedInto.map { "<dt>\(t("并入", "Merged into"))</dt><dd><a href=\"\(base)/p/\($0)\">\($0)</a></dd>" as HTML } ?? .empty)
            </dl>
            <p class="no-print">\(printing
                ? "\(t("用浏览器的“打印”输出A4纸质件。", "Use the browser's Print for an A4 copy.")) <a href=\"\(base)/p/\(p.number)\">\(t("返回", "Back"))</a>" as HTML
                : "<a href=\"\(base)/p/\(p.number)?print=1\">\(t("打印版（A4）", "Printable page (A4)"))</a>" as HTML)</p>
            \(p.body.isEmpty ? .empty : "<h2>\(t("提案内容", "Text"))</h2><div class=\"body\">\(p.body)</div>" as HTML)
            \(preview)
            \(assignments.isEmpty ? .empty : """
                <h2>\(t("承办单位", "Handling units"))</h2>
                <div class="scroll"><table><thead><tr><th scope="col">\(t("单位", "Unit"))</th><th scope="col">\(t("办理方式", "Role"))</th>
                <th scope="col">\(t("办理期限", "Due"))</th><th scope="col">\(t("进展", "Progress"))</th></tr></thead><tbody>\(assignments)</tbody></table></div>
                """ as HTML)
            \(opinions.isEmpty ? .empty : "<h2>\(t("会办单位意见", "Co-handling views"))</h2>\(opinions)" as HTML)
            \(pendingReplies.isEmpty ? .empty : "<h2>\(t("待审核的答复", "Replies awaiting review"))</h2>\(pendingReplies)" as HTML)
            \(replies.isEmpty ? .empty : "<h2>\(t("答复", "Replies"))</h2>\(replies)" as HTML)
            \(evaluations.isEmpty ? .empty : "<h2>\(t("委员评价", "Ratings"))</h2><ul>\(evaluations)</ul>" as HTML)
            \(actions.isEmpty ? .empty : "<h2 class=\"no-print\">\(t("办理", "Act"))</h2><div class=\"actions\">\(actions)</div>" as HTML)
            <h2>\(t("办理过程", "Timeline"))</h2>
            <ol class="timeline">\(timeline)</ol>
            """)
    }

    /// The forms this person may use on this proposal now (the store checks again on submit).
    func actionForms(_ page: PageRequest, _ p: ProposalDetail, own: String?) async throws -> [HTML] {
        let t = page.t
        let status = ProposalStatus(rawValue: p.status)
        var forms: [HTML] = []
        func form(_ action: String, _ title: String, _ fields: HTML, button: String) -> HTML {
            """
            <form method="post" action="\(base)/p/\(p.number)/\(action)" class="card">
            <h3>\(title)</h3>
            \(Pages.csrf(page))
            \(fields)
            <button type="submit">\(button)</button>
            </form>
            """
        }
        let ratings: [HTML] = Rating.allCases.map { "<option value=\"\($0.rawValue)\">\(t.rating($0.rawValue))</option>" }
        switch role {
        case .member:
            if status == .filed {
                forms.append(form("withdraw", t("撤回提案", "Withdraw"), """
                    <label for="w-reason">\(t("理由（可选）", "Reason (optional)"))</label><input id="w-reason" name="reason">
                    """, button: t("撤回", "Withdraw")))
            }
            if status == .returned {
                forms.append(form("resubmit", t("重新提交", "Resubmit"), .empty, button: t("重新提交", "Resubmit")))
            }
            let rated = p.evaluations.contains { $0.member == own && $0.round == p.round }
            if status == .replied, !rated {
                forms.append(form("evaluate", t("征询意见表", "Satisfaction form"), """
                    <label for="e-result">\(t("对办理结果", "The result"))</label><select id="e-result" name="rating">\(ratings)</select>
                    <label for="e-attitude">\(t("对办理态度", "The unit's attitude"))</label><select id="e-attitude" name="process_rating">\(ratings)</select>
                    <label for="e-comment">\(t("意见和建议", "Comment"))</label><textarea id="e-comment" name="comment" rows="4"></textarea>
                    """, button: t("提交评价", "Send the rating")))
            }
        case .unit:
            guard let own, let mine = p.assignments.first(where: { $0.unit == own && $0.returnedAt == nil }) else { break }
            let open = status == .assigned || status == .rehandling
            if mine.acknowledgedAt == nil, open {
                forms.append(form("acknowledge", t("签收", "Acknowledge receipt"), "<p>\(t("确认已收到交办的提案。", "Confirm that the proposal reached you."))</p>" as HTML, button: t("签收", "Acknowledge")))
            }
            if mine.role == "co", open, !p.opinions.contains(where: { $0.unit == own }) {
                forms.append(form("opinion", t("会办意见", "Co-handling view"), """
                    <label for="o-text">\(t("意见（送主办单位）", "Your view (to the lead unit)"))</label><textarea id="o-text" name="text" rows="6" required></textarea>
                    """, button: t("提交意见", "Send the view")))
            }
            if mine.role != "co", open, mine.repliedAt == nil {
                let categories: [HTML] = ReplyCategory.allCases.map { "<option value=\"\($0.rawValue)\">\(t.replyCategory($0.rawValue))</option>" }
                forms.append(form("reply", t("答复（复文）", "Reply"), """
                    <label for="r-category">\(t("答复类别", "Category"))</label><select id="r-category" name="category">\(categories)</select>
                    <label for="r-text">\(t("答复正文", "Text"))</label><textarea id="r-text" name="text" rows="10" required></textarea>
                    <label for="r-number">\(t("文号", "Document number"))</label><input id="r-number" name="document_number" maxlength="100">
                    <label for="r-signer">\(t("签发人", "Signed by"))</label><input id="r-signer" name="signer" maxlength="100">
                    <label for="r-contact">\(t("联系人", "Contact person"))</label><input id="r-contact" name="contact" maxlength="100">
                    <label for="r-phone">\(t("联系电话", "Contact phone"))</label><input id="r-phone" name="phone" type="tel" maxlength="40">
                    """, button: t("提交答复", "Send the reply")))
                if mine.extensionRequested == nil {
                    forms.append(form("request-extension", t("申请延期", "Ask for an extension"), """
                        <label for="x-until">\(t("延至（日期）", "Until (date)"))</label><input id="x-until" name="until" type="date" required>
                        <label for="x-reason">\(t("理由", "Reason"))</label><input id="x-reason" name="reason" required>
                        """, button: t("提交申请", "Ask")))
                }
                forms.append(form("unit-return", t("申退", "Return the assignment"), """
                    <label for="u-reason">\(t("理由（不属于本单位职责等）", "Reason (not this unit's competence…)"))</label><input id="u-reason" name="reason" required>
                    """, button: t("申请退回", "Return")))
            }
        case .staff, .operator:
            if status == .filed {
                let reasons: [HTML] = DeclineReason.allCases.map { "<option value=\"\($0.rawValue)\">\(t.decline($0))</option>" }
                forms.append(form("review", t("审查", "Review"), """
                    <fieldset><legend>\(t("审查意见", "Decision"))</legend>
                    <label class="choice"><input type="radio" name="decision" value="register" checked>\(t("立案", "Register"))</label>
                    <label class="choice"><input type="radio" name="decision" value="decline">\(t("不予立案", "Decline"))</label>
                    <label class="choice"><input type="radio" name="decision" value="return">\(t("退回修改", "Return to the author"))</label>
                    <label class="choice"><input type="radio" name="decision" value="convert">\(t("转为意见建议", "Convert to a suggestion"))</label>
                    <label class="choice"><input type="radio" name="decision" value="merge">\(t("并案", "Merge"))</label>
                    </fieldset>
                    <label for="v-reason">\(t("不予立案理由", "Reason for declining"))</label><select id="v-reason" name="reason">\(reasons)</select>
                    <label for="v-into">\(t("并入提案编号", "Merge into (number)"))</label><input id="v-into" name="into">
                    <label for="v-note">\(t("说明", "Note"))</label><input id="v-note" name="note">
                    """, button: t("确定", "Decide")))
            }
            forms += reviewForms(page, p, form)
            if status == .registered {
                let units = try await store.units().filter(\.active)
                let leadOptions: [HTML] = units.map {
                    "<option value=\"\($0.name)\"\(HTML.flag("selected", $0.name == p.preferredUnits.first))>\($0.name)</option>"
                }
                let coBoxes: [HTML] = units.map { "<label class=\"choice\"><input type=\"checkbox\" name=\"co\" value=\"\($0.name)\">\($0.name)</label>" }
                forms.append(form("assign", t("交办", "Assign"), """
                    <label for="a-lead">\(t("主办单位", "Lead unit"))</label><select id="a-lead" name="lead">\(leadOptions)</select>
                    <fieldset><legend>\(t("会办单位（可选）", "Co-handling units (optional)"))</legend>\(coBoxes)</fieldset>
                    """, button: t("预览办理期限", "Preview the deadline")))
            }
            if status == .assigned || status == .rehandling {
                for a in p.assignments where a.returnedAt == nil && a.role != "co" && a.repliedAt == nil {
                    if let until = a.extensionRequested {
                        forms.append(form("extend", "\(a.unit) \(t("申请延期至", "asks for an extension until")) \(until.description)", """
                            <input type="hidden" name="unit" value="\(a.unit)">
                            <fieldset><legend>\(t("决定", "Decision"))</legend>
                            <label class="choice"><input type="radio" name="decision" value="approve" checked>\(t("同意", "Approve"))</label>
                            <label class="choice"><input type="radio" name="decision" value="refuse">\(t("不同意", "Refuse"))</label></fieldset>
                            <label for="x-note-\(a.unit)">\(t("说明（可选）", "Note (optional)"))</label><input id="x-note-\(a.unit)" name="note">
                            """, button: t("确定", "Decide")))
                    }
                }
            }
            if !p.key, [.registered, .assigned, .replied, .rehandling].contains(status) {
                forms.append(form("mark-key", t("列为重点提案", "Mark as key proposal"), """
                    <label for="k-supervisor">\(t("督办领导", "Supervising leader"))</label><input id="k-supervisor" name="supervisor" required>
                    """, button: t("确定", "Mark")))
            }
            if p.needsConsultation, status != .closed {
                forms.append(form("consult", t("当面协商", "Consultation"), """
                    <label for="c-outcome">\(t("协商结果", "Outcome"))</label><textarea id="c-outcome" name="outcome" rows="4" required></textarea>
                    """, button: t("记录并办结", "Record and close")))
            }
        case .supervisor:
            forms += reviewForms(page, p, form)
            if p.key, status != .closed {
                let kinds: [HTML] = SupervisionKind.allCases.map {
                    "<option value=\"\($0.rawValue)\">\($0 == .meeting ? t("座谈会", "meeting") : $0 == .siteVisit ? t("实地视察", "site visit") : t("其他", "other"))</option>"
                }
                forms.append(form("supervise", t("督办记录", "Supervision"), """
                    <label for="s-kind">\(t("方式", "Kind"))</label><select id="s-kind" name="kind">\(kinds)</select>
                    <label for="s-note">\(t("情况", "Note"))</label><textarea id="s-note" name="note" rows="4"></textarea>
                    """, button: t("记录", "Record")))
            }
        default: break
        }
        return forms
    }

    /// The reviewer's forms: approve (the category kept or corrected) or send back each waiting reply.
    func reviewForms(_ page: PageRequest, _ p: ProposalDetail, _ form: (String, String, HTML, String) -> HTML) -> [HTML] {
        let t = page.t
        return p.repliesAwaitingReview.map { r in
            let categories: [HTML] = ReplyCategory.allCases.map {
                "<option value=\"\($0.rawValue)\"\(HTML.flag("selected", $0.rawValue == r.category))>\(t.replyCategory($0.rawValue))</option>"
            }
            return form("review-reply", "\(t("审核答复", "Review the reply")) · \(r.unit)", """
                <input type="hidden" name="unit" value="\(r.unit)">
                <fieldset><legend>\(t("审核意见", "Decision"))</legend>
                <label class="choice"><input type="radio" name="decision" value="approve" checked>\(t("同意，送委员", "Approve: the member sees it"))</label>
                <label class="choice"><input type="radio" name="decision" value="send-back">\(t("退回单位重新答复", "Send back to the unit"))</label></fieldset>
                <label for="rv-category-\(r.unit)">\(t("答复类别（可更正）", "Category (may be corrected)"))</label>
                <select id="rv-category-\(r.unit)" name="category">\(categories)</select>
                <label for="rv-note-\(r.unit)">\(t("意见（退回时必填）", "Note (required to send back)"))</label><input id="rv-note-\(r.unit)" name="note">
                """, t("确定", "Decide"))
        }
    }

    /// A step from a proposal page's form; back to the page with its outcome.
    func step(_ page: inout PageRequest, number: String, action: String) async throws -> Response {
        let t = page.t
        let form = page.form ?? Form()
        let back = "\(base)/p/\(number)"
        do {
            let outcome: Outcome
            switch action {
            case "withdraw": outcome = try await store.withdraw(number, reason: form["reason"].flatMap { $0.isEmpty ? nil : $0 })
            case "resubmit": outcome = try await store.resubmit(number)
            case "evaluate":
                guard let rating = Rating(rawValue: form["rating"] ?? "") else { throw WorkflowError(t("办理结果：请选择", "result: choose one")) }
                outcome = try await store.evaluate(
                    number, member: nil, rating: rating, processRating: Rating(rawValue: form["process_rating"] ?? ""),
                    comment: form["comment"].flatMap { $0.isEmpty ? nil : $0 })
            case "acknowledge": outcome = try await store.acknowledge(number, unit: nil)
            case "opinion": outcome = try await store.opinion(number, unit: nil, text: form["text"] ?? "")
            case "reply":
                guard let category = ReplyCategory(rawValue: form["category"] ?? "") else { throw WorkflowError(t("答复类别：请选择", "category: choose one")) }
                let blank = { (name: String) in form[name].flatMap { $0.trimmingCharacters(in: .whitespaces).isEmpty ? nil : $0 } }
                outcome = try await store.reply(number, unit: nil, category: category, text: form["text"] ?? "", letter: ReplyLetter(
                    documentNumber: blank("document_number"), signer: blank("signer"), contactPerson: blank("contact"), contactPhone: blank("phone")))
            case "request-extension":
                let until = try CalendarDate(form["until"] ?? "")
                outcome = try await store.requestExtension(number, unit: nil, until: until, reason: form["reason"] ?? "")
            case "unit-return": outcome = try await store.unitReturn(number, unit: nil, reason: form["reason"] ?? "")
            case "review":
                let decision: ReviewDecision
                let note = form["note"].flatMap { $0.isEmpty ? nil : $0 }
                switch form["decision"] ?? "" {
                case "register": decision = .register
                case "decline": decision = .decline(DeclineReason(rawValue: form["reason"] ?? "") ?? .other, note: note)
                case "return": decision = .returnToAuthor(note: note)
                case "convert": decision = .convert(note: note)
                case "merge": decision = .mergeInto(form["into"] ?? "")
                default: throw WorkflowError(t("审查意见：请选择", "decision: choose one"))
                }
                outcome = try await store.review(number, decision)
            case "assign":
                let lead = form["lead"] ?? ""
                let co = form.all("co").filter { $0 != lead }
                guard form["confirm"] == "yes" else {
                    // First the deadline it will get, then the confirmation.
                    let due = try await store.assignmentDeadline()
                    let hidden: [HTML] = co.map { "<input type=\"hidden\" name=\"co\" value=\"\($0)\">" }
                    let preview: HTML = """
                        <form method="post" action="\(back)/assign" class="card" id="confirm-assign">
                        <h2>\(t("确认交办", "Confirm the assignment"))</h2>
                        \(Pages.csrf(page))
                        <input type="hidden" name="lead" value="\(lead)">\(hidden)<input type="hidden" name="confirm" value="yes">
                        <p>\(t("主办：", "Lead: "))\(lead)\(co.isEmpty ? "" : t("；会办：", "; co-handling: ") + co.joined(separator: "、"))</p>
                        <p>\(t("办理期限将为", "The deadline will be")) <strong>\(due.description)</strong></p>
                        <button type="submit">\(t("确认交办", "Assign"))</button> <a href="\(back)">\(t("取消", "Cancel"))</a>
                        </form>
                        """
                    return server.finish(try await proposal(page, number: number, preview: preview), page)
                }
                outcome = try await store.assign(number, lead: lead, co: co)
            case "extend":
                let unit = form["unit"] ?? ""
                if form["decision"] == "refuse" {
                    outcome = try await store.refuseExtension(number, unit: unit, note: form["note"].flatMap { $0.isEmpty ? nil : $0 })
                } else {
                    outcome = try await store.extend(number, unit: unit, until: nil)
                }
            case "review-reply":
                let unit = form["unit"] ?? ""
                let note = form["note"].flatMap { $0.trimmingCharacters(in: .whitespaces).isEmpty ? nil : $0 }
                if form["decision"] == "send-back" {
                    outcome = try await store.sendBackReply(number, unit: unit, note: note ?? "")
                } else {
                    outcome = try await store.approveReply(number, unit: unit, category: ReplyCategory(rawValue: form["category"] ?? ""), note: note)
                }
            case "mark-key": outcome = try await store.markKey(number, supervisor: form["supervisor"] ?? "")
            case "consult": outcome = try await store.consult(number, outcome: form["outcome"] ?? "", heldOn: nil)
            case "supervise":
                outcome = try await store.supervise(
                    number, supervisor: nil, kind: SupervisionKind(rawValue: form["kind"] ?? "") ?? .other,
                    note: form["note"].flatMap { $0.isEmpty ? nil : $0 }, heldOn: nil)
            default: throw NotFound()
            }
            return server.done("\(base)/p/\(outcome.number)", Flash(ok: true, text: page.lang == .zh ? done(action, outcome, t) : outcome.message), page)
        } catch let error as WorkflowError where !error.isNotFound {
            return server.done(back, Flash(ok: false, text: StoreMessages.shown(error.description, t)), page)
        }
    }

    /// A step's confirmation in Chinese (the store's own message is English).
    func done(_ action: String, _ outcome: Outcome, _ t: Tr) -> String {
        let what: String = switch action {
        case "withdraw": "已撤回"
        case "resubmit": "已重新提交"
        case "evaluate": "评价已提交"
        case "acknowledge": "已签收"
        case "opinion": "会办意见已送主办单位"
        case "reply": "答复已提交"
        case "request-extension": "延期申请已提交，待提案委审批"
        case "unit-return": "已申请退回"
        case "review": "审查意见已记录"
        case "assign": "已交办"
        case "extend": "已处理延期申请"
        case "mark-key": "已列为重点提案"
        case "review-reply": "答复审核意见已记录"
        case "consult": "协商结果已记录"
        case "supervise": "督办记录已保存"
        default: outcome.message
        }
        return "\(what)：\(outcome.number)（\(t.status(outcome.status))）"
    }

    // MARK: Figures

    func report(_ page: PageRequest) async throws -> Response {
        let t = page.t
        let year = Int(page.query("year") ?? "") ?? store.today.year
        guard (2000...2100).contains(year) else { throw NotFound() }
        let annual = try await AnnualReport.compute(store, year: year)
        let units = try await UnitReport.compute(store, year: year)
        // The comparison (the worker's rollups, with imported peers): a leader's counties, or
        // every county for the office.
        var comparison: Comparison?
        if Permissions.may(viewer.account.principal, .compareCounties, Target(county: county.value)).isAllowed {
            let codes: [CountyCode]? = role == .leader ? try viewer.account.counties.map { try CountyCode($0) } : nil
            let rows = try await server.pool.withConnection { c in
                try await Comparison.fromRollups(year: year, counties: codes, on: c)
                    + Exchange.peerRows(year: year, counties: codes?.map(\.value), on: c)
            }
            if rows.count > 1 { comparison = Comparison.ranked(rows, year: year, sort: .onTimeRate, minimumCount: 1) }
        }
        let (_, body) = HTMLReport.sections(comparison: comparison, annual: annual, units: units, generatedAt: LocalTime.display(Date()))
        let years: [HTML] = (max(2000, year - 4)...store.today.year).reversed().map {
            "<a href=\"\(base)/report?year=\($0)\"\($0 == year ? " aria-current=\"page\"" : "")>\($0)</a>"
        }
        return Pages.layout(page, title: t("年度报告", "Annual report"), county: county.value, """
            <p class="no-print">\(t("年份：", "Year: "))\(HTML.join(years, separator: " · "))</p>
            <div class="report scroll">\(HTML(trusted: body))</div>
            """)
    }
}

/// The new-proposal form's preferred units (a wish; the office assigns).
func preferredBoxes(_ page: PageRequest, units: [String], chosen: [String]) -> HTML {
    let t = page.t
    guard !units.isEmpty else { return .empty }
    let boxes: [HTML] = units.map {
        "<label class=\"choice\"><input type=\"checkbox\" name=\"prefer_unit\" value=\"\($0)\"\(HTML.flag("checked", chosen.contains($0)))>\($0)</label>"
    }
    return "<fieldset><legend>\(t("建议承办单位（可选，最多5个）", "Preferred handling units (optional, at most 5)"))</legend>\(boxes)</fieldset>"
}

func coSignLabel(_ t: Tr, _ state: String) -> String {
    switch state {
    case "confirmed": return t("已确认", "confirmed")
    case "declined": return t("已谢绝", "declined")
    default: return t("待确认", "not yet answered")
    }
}

// MARK: Drafts (暂存) and 联名 confirmation

extension CountySite {
    func draftPage(_ page: PageRequest, id text: String) async throws -> Response {
        let t = page.t
        guard let id = try? DraftNumber.parse(text) else { throw NotFound() }
        let d = try await store.draft(id)
        let own = try await ownName()
        let isLead = own == d.lead
        let signers: [HTML] = d.coSigners.map {
            "<tr><td>\($0.member)</td><td>\(coSignLabel(t, $0.state))</td><td>\($0.answeredAt.map(LocalTime.display) ?? "")</td></tr>"
        }
        var forms: [HTML] = []
        let open = d.status == "open"
        if open, isLead {
            let categories: [HTML] = ProposalCategory.allCases.map {
                "<option value=\"\($0.rawValue)\"\(HTML.flag("selected", d.category == $0.rawValue))>\(t.category($0))</option>"
            }
            forms.append("""
                <form method="post" action="\(base)/d/\(d.id)/save" class="card">
                <h3>\(t("修改草稿", "Edit the draft"))</h3>\(Pages.csrf(page))
                <label for="title">\(t("案由（标题）", "Title (案由)"))</label><input id="title" name="title" maxlength="300" required value="\(d.title)">
                <label for="category">\(t("类别", "Category"))</label><select id="category" name="category">\(categories)</select>
                <label for="body">\(t("内容", "Body"))</label><textarea id="body" name="body" rows="10">\(d.body)</textarea>
                <label for="co_authors">\(t("联名委员（用顿号或逗号分隔）", "Co-authors (separated by commas)"))</label>
                <input id="co_authors" name="co_authors" value="\(d.coSigners.map(\.member).joined(separator: "、"))">
                \(preferredBoxes(page, units: try await store.units().filter(\.active).map(\.name), chosen: d.preferredUnits))
                <label class="choice"><input type="checkbox" name="publish" value="yes"\(HTML.flag("checked", d.publicationConsent))>\(t("同意公开", "I agree that it may be published"))</label>
                <p class="muted">\(t("修改内容后，联名委员需重新确认。", "Changing the text asks the co-authors to confirm again."))</p>
                <button type="submit">\(t("保存", "Save"))</button>
                </form>
                """)
            forms.append("""
                <form method="post" action="\(base)/d/\(d.id)/submit" class="card">
                <h3>\(t("提交提案", "File the proposal"))</h3>\(Pages.csrf(page))
                <p>\(t("联名委员全部答复后可提交；谢绝者不列为联名人。", "Once every co-author has answered; those who declined are left out."))</p>
                <button type="submit">\(t("提交", "File"))</button>
                </form>
                <form method="post" action="\(base)/d/\(d.id)/discard" class="card">
                <h3>\(t("删除草稿", "Discard the draft"))</h3>\(Pages.csrf(page))
                <button type="submit" class="secondary">\(t("删除", "Discard"))</button>
                </form>
                """)
        }
        if open, let own, let mine = d.coSigners.first(where: { $0.member == own }) {
            forms.append("""
                <form method="post" action="\(base)/d/\(d.id)/confirm" class="card">
                <h3>\(t("联名确认", "Co-sign"))</h3>\(Pages.csrf(page))
                <p>\(t("您的答复：", "Your answer: "))\(coSignLabel(t, mine.state))</p>
                <button type="submit">\(t("确认联名", "Confirm"))</button>
                </form>
                <form method="post" action="\(base)/d/\(d.id)/decline" class="card">
                <h3>\(t("谢绝联名", "Decline"))</h3>\(Pages.csrf(page))
                <button type="submit" class="secondary">\(t("谢绝", "Decline"))</button>
                </form>
                """)
        }
        let status = t.draftStatus(d.status)
        return Pages.layout(page, title: "\(d.id) \(d.title)", county: county.value, """
            <h1>\(t("草稿", "Draft")) \(d.id)：\(d.title)</h1>
            <dl class="facts card">
            <dt>\(t("状态", "Status"))</dt><dd>\(status)\(d.proposal.map { " · <a href=\"\(base)/p/\($0)\">\($0)</a>" as HTML } ?? .empty)</dd>
            <dt>\(t("领衔委员", "Lead"))</dt><dd>\(d.lead)</dd>
            <dt>\(t("类别", "Category"))</dt><dd>\(t.category(d.category))</dd>
            </dl>
            <h2>\(t("提案内容", "Text"))</h2><div class="body">\(d.body)</div>
            <h2>\(t("联名委员", "Co-authors"))</h2>
            <div class="scroll"><table><thead><tr><th scope="col">\(t("委员", "Member"))</th><th scope="col">\(t("答复", "Answer"))</th>
            <th scope="col">\(t("时间", "When"))</th></tr></thead><tbody>\(signers)</tbody></table></div>
            \(forms.isEmpty ? .empty : "<div class=\"actions\">\(forms)</div>" as HTML)
            """)
    }

    func draftStep(_ page: inout PageRequest, id text: String, action: String) async throws -> Response {
        let t = page.t
        guard let id = try? DraftNumber.parse(text) else { throw NotFound() }
        let form = page.form ?? Form()
        let back = "\(base)/d/\(DraftNumber.format(id))"
        do {
            let outcome: Outcome
            switch action {
            case "save":
                guard let category = ProposalCategory(rawValue: form["category"] ?? "") else { throw WorkflowError(t("类别：请选择", "category: choose one")) }
                let coAuthors = (form["co_authors"] ?? "").split(whereSeparator: { "、,，;；".contains($0) })
                    .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
                outcome = try await store.saveDraft(id, DraftFields(
                    title: form["title"] ?? "", body: form["body"] ?? "", category: category, coAuthors: coAuthors,
                    preferredUnits: form.all("prefer_unit"), publicationConsent: form["publish"] == "yes"))
            case "submit":
                outcome = try await store.submitDraft(id)
                return server.done("\(base)/p/\(outcome.number)", Flash(ok: true, text: t("提案已提交：", "Filed: ") + outcome.number), page)
            case "discard":
                outcome = try await store.discardDraft(id)
                return server.done("\(base)/", Flash(ok: true, text: t("草稿已删除：", "Discarded: ") + outcome.number), page)
            case "confirm": outcome = try await store.answerDraft(id, confirm: true)
            case "decline": outcome = try await store.answerDraft(id, confirm: false)
            default: throw NotFound()
            }
            let confirmation = switch action {
            case "confirm": t("已确认联名：", "Co-signed: ")
            case "decline": t("已谢绝联名：", "Declined to co-sign: ")
            default: t("草稿已保存：", "Draft saved: ")
            }
            return server.done(back, Flash(ok: true, text: page.lang == .zh ? confirmation + outcome.number : outcome.message), page)
        } catch let error as WorkflowError where !error.isNotFound {
            return server.done(back, Flash(ok: false, text: StoreMessages.shown(error.description, t)), page)
        }
    }
}

// MARK: Imports (the office)

extension CountySite {
    static let importKinds = ["members", "units", "proposals"]

    func importPage(_ page: PageRequest, problems: [String] = [], done: String? = nil, status: HTTPResponse.Status = .ok) -> Response {
        let t = page.t
        guard isOffice else { return Pages.notFound(page) }
        let kinds: [HTML] = Self.importKinds.map { kind in
            let label = switch kind {
            case "members": t("委员名单", "Members")
            case "units": t("承办单位", "Handling units")
            default: t("提案（纸质或旧系统）", "Proposals (paper or an old system)")
            }
            return "<label class=\"choice\"><input type=\"radio\" name=\"kind\" value=\"\(kind)\"\(HTML.flag("checked", kind == "members"))>\(label)</label>"
        }
        let list: [HTML] = problems.map { "<li>\($0)</li>" }
        return Pages.layout(page, title: t("导入", "Import"), status: status, county: county.value, """
            <h1>\(t("导入 CSV", "Import a CSV file"))</h1>
            \(done.map { "<p class=\"flash ok\" role=\"status\">\($0)</p>" as HTML } ?? .empty)
            \(problems.isEmpty ? .empty : """
                <div class="flash problem" role="alert"><p>\(t("未导入任何数据；请改正以下各行后重新上传：", "Nothing was imported; correct these lines and upload again:")) (\(problems.count))</p>
                <ol id="import-problems">\(list)</ol></div>
                """ as HTML)
            <form method="post" action="\(base)/import" enctype="multipart/form-data" class="card">
            \(Pages.csrf(page))
            <fieldset><legend>\(t("内容", "What"))</legend>\(kinds)</fieldset>
            <label for="file">\(t("CSV 文件（UTF-8，中文或英文表头；全部正确才导入）", "CSV file (UTF-8, Chinese or English headers; all rows or none)"))</label>
            <input id="file" name="file" type="file" accept=".csv,text/csv" required>
            <button type="submit">\(t("上传并导入", "Upload and import"))</button>
            </form>
            """)
    }

    func importFile(_ page: inout PageRequest) async throws -> Response {
        let t = page.t
        guard isOffice, let form = page.form else { throw NotFound() }
        guard let file = form.file("file"), !file.bytes.isEmpty else {
            return server.finish(importPage(page, problems: [t("请选择一个 CSV 文件。", "Choose a CSV file.")], status: .unprocessableContent), page)
        }
        let name = file.filename.isEmpty ? "upload.csv" : file.filename
        do {
            let table = try CSVReader.parse(Data(file.bytes))
            let report: ImportReport = switch form["kind"] ?? "" {
            case "units": try await store.importUnits(table)
            case "proposals": try await store.importProposals(table)
            default: try await store.importMembers(table)
            }
            return server.finish(importPage(page, done: t("已从 \(name) 导入 \(report.rows) 条（\(report.kind)）。", "Imported \(report.rows) \(report.kind) from \(name).")), page)
        } catch let error as ImportError {
            return server.finish(importPage(page, problems: error.problems.map { "\(name): \(StoreMessages.shown($0, t))" }, status: .unprocessableContent), page)
        } catch let error as WorkflowError where !error.isNotFound {
            return server.finish(importPage(page, problems: ["\(name): \(StoreMessages.shown(error.description, t))"], status: .unprocessableContent), page)
        }
    }
}

// MARK: Micro-suggestions (微建议)

extension CountySite {

    func suggestionsPage(_ page: PageRequest, problem: String? = nil) async throws -> Response {
        let t = page.t
        let list = try await store.suggestions()
        let units = isOffice ? try await store.units().filter(\.active) : []
        let rows: [HTML] = list.reversed().prefix(300).map { s in
            var act: [HTML] = []
            func form(_ action: String, _ fields: HTML, _ button: String) -> HTML {
                """
                <form method="post" action="\(base)/w/\(s.number)/\(action)" class="inline-form">\(Pages.csrf(page))\(fields)
                <button type="submit">\(button)</button></form>
                """
            }
            switch (role, s.status) {
            case (.member, "replied") where s.rating == nil:
                let options: [HTML] = Rating.allCases.map { "<option value=\"\($0.rawValue)\">\(t.rating($0.rawValue))</option>" }
                act.append(form("evaluate", "<label for=\"w-r-\(s.number)\">\(t("评价", "Rating"))</label><select id=\"w-r-\(s.number)\" name=\"rating\">\(options)</select>", t("提交评价", "Rate")))
            case (.unit, "routed"):
                act.append(form("reply", "<label for=\"w-t-\(s.number)\">\(t("答复", "Reply"))</label><textarea id=\"w-t-\(s.number)\" name=\"text\" rows=\"3\" required></textarea>", t("答复", "Reply")))
            case (.staff, "filed"), (.operator, "filed"):
                let options: [HTML] = units.map { "<option value=\"\($0.name)\">\($0.name)</option>" }
                act.append(form("route", "<label for=\"w-u-\(s.number)\">\(t("交办单位", "Unit"))</label><select id=\"w-u-\(s.number)\" name=\"unit\">\(options)</select>", t("交办", "Route")))
            default: break
            }
            return """
                <tr><td>\(s.number)</td><td><strong>\(s.title)</strong>\(s.body.isEmpty ? .empty : "<br><span class=\"muted\">\(s.body)</span>" as HTML)
                \(s.replyText.map { "<br>\(t("答复：", "Reply: "))\($0)" as HTML } ?? .empty)</td>
                <td>\(t.suggestionStatus(s.status))\(s.rating.map { " · " + t.rating($0) } ?? "")</td><td>\(s.unit ?? "")</td><td>\(act)</td></tr>
                """
        }
        let newForm: HTML = role == .member ? """
            <form method="post" action="\(base)/w/new" class="card">
            <h2>\(t("提交微建议", "A new micro-suggestion"))</h2>\(Pages.csrf(page))
            <label for="w-title">\(t("标题", "Title"))</label><input id="w-title" name="title" maxlength="300" required>
            <label for="w-body">\(t("内容", "Text"))</label><textarea id="w-body" name="body" rows="4"></textarea>
            <button type="submit">\(t("提交", "Send"))</button>
            </form>
            """ : .empty
        return Pages.layout(page, title: t("微建议", "Micro-suggestions"), status: problem == nil ? .ok : .unprocessableContent, county: county.value, """
            <h1>\(t("微建议", "Micro-suggestions"))</h1>
            \(Pages.problem(problem))
            \(newForm)
            <div class="scroll"><table><thead><tr><th scope="col">\(t("编号", "No."))</th><th scope="col">\(t("内容", "Suggestion"))</th>
            <th scope="col">\(t("状态", "Status"))</th><th scope="col">\(t("承办单位", "Unit"))</th><th scope="col">\(t("办理", "Act"))</th></tr></thead>
            <tbody>\(rows)</tbody></table></div>
            """)
    }

    func suggestionStep(_ page: inout PageRequest, number: String, action: String) async throws -> Response {
        let t = page.t
        let form = page.form ?? Form()
        let back = "\(base)/w"
        do {
            let outcome: Outcome
            switch (number, action) {
            case ("new", _):
                outcome = try await store.fileSuggestion(member: nil, title: form["title"] ?? "", body: form["body"] ?? "")
            case (_, "evaluate"):
                guard let rating = Rating(rawValue: form["rating"] ?? "") else { throw WorkflowError(t("评价：请选择", "rating: choose one")) }
                outcome = try await store.evaluateSuggestion(number, rating: rating)
            case (_, "reply"): outcome = try await store.replySuggestion(number, unit: nil, text: form["text"] ?? "")
            case (_, "route"): outcome = try await store.routeSuggestion(number, unit: form["unit"] ?? "")
            default: throw NotFound()
            }
            return server.done(back, Flash(ok: true, text: page.lang == .zh ? "\(outcome.number)：\(t.suggestionStatus(outcome.status))" : outcome.message), page)
        } catch let error as WorkflowError where !error.isNotFound {
            return server.done(back, Flash(ok: false, text: StoreMessages.shown(error.description, t)), page)
        }
    }
}

// MARK: County settings (the office)

extension CountySite {
    static func settingLabel(_ t: Tr, _ key: String) -> String {
        switch key {
        case "handling_months": return t("办理期限（月）", "Months to reply")
        case "extended_handling_months": return t("延期后最长期限（月）", "Months with an extension, at most")
        case "co_handling_view_months": return t("会办意见期限（月）", "Months for a co-unit's view")
        case "unit_return_days": return t("申退期限（天）", "Days a unit may return an assignment")
        case "evaluation_window_days": return t("评价期限（天）", "Days to rate a reply")
        case "after_evaluation_window": return t("逾期未评价视为", "An unrated reply counts as")
        case "micro_suggestion_reply_days": return t("微建议办理期限（工作日）", "Working days for a micro-suggestion")
        case "day_counting": return t("期限计算（calendar 自然日 / working 工作日）", "Deadlines in calendar or working days")
        case "league_minimum_count": return t("参与排名的最少交办数", "Assignments to be ranked")
        case "reminder_days": return t("到期前提醒（天，如 15,7,1）", "Reminders before a deadline (days, e.g. 15,7,1)")
        case "escalation_days": return t("逾期后上报提案委（天）", "Days overdue before escalation")
        case "co_opinion_reminder_days": return t("会办意见提醒（天）", "Co-unit reminder (days)")
        case "evaluation_reminder_days": return t("评价提醒（天）", "Rating reminder (days)")
        case "key_reminder_days": return t("重点提案督办提醒间隔（天）", "Key proposal reminder interval (days)")
        case "suggestion_reminder_days": return t("微建议提醒（天）", "Micro-suggestion reminder (days)")
        case "backdate_days": return t("补录最多（天前）", "Back-dating, at most (days)")
        case "reply_review": return t("答复审核（on 开启 / off 关闭）", "Reply review (on or off)")
        default: return key
        }
    }

    func settingsPage(_ page: PageRequest) async throws -> Response {
        let t = page.t
        guard isOffice else { throw NotFound() }
        let settings = try await store.settings()
        let rows: [HTML] = settings.lines.compactMap { line -> HTML? in
            let parts = line.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2 else { return nil }
            let id = "s-" + parts[0].replacingOccurrences(of: "_", with: "-")
            return """
                <tr><td><label for="\(id)">\(Self.settingLabel(t, parts[0]))</label><br><code>\(parts[0])</code></td>
                <td><form method="post" action="\(base)/settings" class="inline-form">\(Pages.csrf(page))
                <input type="hidden" name="key" value="\(parts[0])"><input id="\(id)" name="value" value="\(parts[1])" maxlength="40">
                <button type="submit">\(t("保存", "Save"))</button></form></td></tr>
                """
        }
        return Pages.layout(page, title: t("本县设置", "County settings"), county: county.value, """
            <h1>\(t("本县设置", "County settings"))</h1>
            <p>\(t("每次修改记入本县审计日志（谁、何时、原值与新值）。", "Each change goes into the county's audit log (who, when, the old and new value)."))</p>
            <div class="scroll"><table><thead><tr><th scope="col">\(t("设置", "Setting"))</th><th scope="col">\(t("值", "Value"))</th></tr></thead>
            <tbody>\(rows)</tbody></table></div>
            """)
    }

    func changeSetting(_ page: inout PageRequest) async throws -> Response {
        guard isOffice, let form = page.form else { throw NotFound() }
        let back = "\(base)/settings"
        do {
            let key = form["key"] ?? "", value = (form["value"] ?? "").trimmingCharacters(in: .whitespaces)
            let outcome = try await store.changeSetting(key, to: value)
            return server.done(back, Flash(ok: true, text: page.lang == .zh ? "设置已保存：\(key)=\(value)" : outcome.message), page)
        } catch let error as WorkflowError where !error.isNotFound {
            return server.done(back, Flash(ok: false, text: StoreMessages.shown(error.description, page.t)), page)
        }
    }
}
