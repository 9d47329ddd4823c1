import Accounts
import Counties
import Foundation
import Hummingbird
import TongxinBase
import Workflow
import WorkflowStore

/// The person signed in: their account, their session's token and the CSRF token of their forms.
struct Viewer: Sendable {
    let account: AccountRecord
    let token: String
    /// Every form of the session carries it; derived from the session's secret token, which
    /// the page's scripts cannot read (HttpOnly), so another site cannot know it.
    let csrf: String

    init(account: AccountRecord, token: String) {
        self.account = account
        self.token = token
        self.csrf = Secrets.sha256Hex("csrf|" + token)
    }
}

/// One request as the pages see it.
struct PageRequest: Sendable {
    let request: Request
    let context: WebContext
    let t: Tr
    let lang: Lang
    let server: WebServer
    var form: Form?
    var viewer: Viewer?
    /// A message from the step before the redirect (Post/Redirect/Get).
    var flash: Flash?
    /// Cookies to set on the answer.
    var cookies: [Cookie] = []

    var path: String { request.uri.path }
    var query: (String) -> String? { { name in request.uri.queryParameters[Substring(name)].map { Form.decode(String($0)) } } }

    /// The client's address: the proxy's X-Forwarded-For (its last entry) with --trust-proxy, else the peer's.
    var source: String? {
        if server.configuration.trustProxy, let forwarded = request.headers[Header.forwardedFor] {
            return forwarded.split(separator: ",").last.map { $0.trimmingCharacters(in: .whitespaces) }
        }
        return context.peer
    }

    init(request: Request, context: WebContext, t: Tr, lang: Lang, server: WebServer) {
        self.request = request
        self.context = context
        self.t = t
        self.lang = lang
        self.server = server
    }
}

/// A one-line message after a step: done, or refused with the reason.
struct Flash: Sendable {
    let ok: Bool
    let text: String

    var cookieValue: String {
        (ok ? "1" : "0") + Secrets.base64URL(Data(text.prefix(600).utf8))
    }

    init(ok: Bool, text: String) {
        self.ok = ok
        self.text = text
    }

    init?(cookie: String) {
        guard let first = cookie.first, first == "0" || first == "1" else { return nil }
        var base64 = String(cookie.dropFirst()).replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.count % 4 != 0 { base64 += "=" }
        guard let data = Data(base64Encoded: base64) else { return nil }
        ok = first == "1"
        text = String(decoding: data, as: UTF8.self)
    }
}

extension WebServer {
    static let sessionCookie = "tx_session"
    static let signInCookie = "tx_signin"
    static let flashCookie = "tx_flash"

    func route(_ parts: [String], _ page: inout PageRequest) async throws -> (String, Response) {
        let method = page.request.method
        // The session, when there is one.
        if let token = page.request.cookies[Self.sessionCookie]?.value, !token.isEmpty,
           let account = try await accounts.session(token) {
            page.viewer = Viewer(account: account, token: token)
        }
        if let flash = page.request.cookies[Self.flashCookie]?.value, method == .get {
            page.flash = Flash(cookie: flash)
            page.cookies.append(cookie(Self.flashCookie, "", maxAge: 0))
        }
        if method == .post, parts.first != "signin" {
            try checkCSRF(page)
        }
        let first = parts.first ?? ""
        switch (method, first) {
        case (.get, "signin"):
            return ("signin", finish(try signInPage(&page, problem: nil), page))
        case (.post, "signin"):
            return ("signin", try await signIn(&page))
        default: break
        }
        guard let viewer = page.viewer else {
            if method == .get {
                let next = page.path == "/" ? "" : "?next=" + (Pages.queryValue(page.path) ?? "")
                return ("signin", redirect("/signin" + next))
            }
            throw CSRFRefused(reason: "no session")
        }
        switch (method, first) {
        case (.post, "signout"):
            try await accounts.signOut(viewer.token)
            var response = redirect("/signin")
            response.setCookie(cookie(Self.sessionCookie, "", maxAge: 0))
            return ("signout", response)
        case (.get, "password"):
            return ("password", finish(Pages.password(page, problem: nil), page))
        case (.post, "password"):
            return ("password", try await changePassword(&page, viewer))
        default: break
        }
        // A new password first, before anything else.
        if viewer.account.mustChange { return ("password", redirect("/password")) }
        switch (method, first) {
        case (.get, ""):
            if let county = viewer.account.counties.first { return ("home", redirect("/c/\(county)/")) }
            return ("home", finish(try await Pages.sessions(page, accounts.sessions(viewer.account.login)), page))
        case (.get, "sessions"):
            return ("sessions", finish(try await Pages.sessions(page, accounts.sessions(viewer.account.login)), page))
        case (_, "c"):
            return try await countyRoute(Array(parts.dropFirst()), &page, viewer)
        default:
            throw NotFound()
        }
    }

    /// The answer with the page's cookies.
    func finish(_ response: Response, _ page: PageRequest) -> Response {
        var response = response
        for cookie in page.cookies { response.setCookie(cookie) }
        return response
    }

    /// A redirect after a step, carrying its message.
    func done(_ location: String, _ flash: Flash, _ page: PageRequest) -> Response {
        var response = finish(redirect(location), page)
        response.setCookie(cookie(Self.flashCookie, flash.cookieValue, maxAge: 120))
        return response
    }

    func checkCSRF(_ page: PageRequest) throws {
        guard let viewer = page.viewer else { throw CSRFRefused(reason: "no session") }
        guard let sent = page.form?["csrf"], Secrets.equalInConstantTime(sent, viewer.csrf) else {
            throw CSRFRefused(reason: "missing or wrong CSRF token")
        }
    }

    // MARK: Sign-in

    /// The sign-in page carries a random token in a cookie and in the form (double submit):
    /// another site can post neither.
    func signInPage(_ page: inout PageRequest, problem: String?, status: HTTPResponse.Status = .ok) throws -> Response {
        // One token per browser (a second tab, or the favicon's request, keeps the first's).
        let existing = page.request.cookies[Self.signInCookie]?.value ?? ""
        let token = existing.count == 43 && existing.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" }) && problem == nil
            ? existing : try Secrets.sessionToken()
        page.cookies.append(cookie(Self.signInCookie, token, maxAge: 3600))
        return Pages.signIn(page, token: token, next: localPath(page.query("next")), problem: problem, status: status)
    }

    func signIn(_ page: inout PageRequest) async throws -> Response {
        guard let sent = page.form?["csrf"], let expected = page.request.cookies[Self.signInCookie]?.value,
              !expected.isEmpty, Secrets.equalInConstantTime(sent, expected) else {
            throw CSRFRefused(reason: "sign-in without its token")
        }
        let login = page.form?["login"] ?? ""
        let secret = page.form?["password"] ?? ""
        let signed: SignedIn
        do {
            signed = try await accounts.signIn(login: login, secret: secret, source: page.source,
                                               userAgent: page.request.headers[.userAgent])
        } catch let error as WorkflowError {
            let message = error.description == AccountStore.signInFailure
                ? page.t("登录失败：账号或密码错误（连续失败5次将锁定15分钟）。", "Sign-in failed: wrong login or password (5 failures in a row lock an account for 15 minutes).")
                : StoreMessages.shown(error.description, page.t)
            return finish(try signInPage(&page, problem: message, status: .unauthorized), page)
        }
        var response = redirect(signed.mustChange ? "/password" : (localPath(page.form?["next"]) ?? "/"))
        response.setCookie(cookie(Self.sessionCookie, signed.token))
        response.setCookie(cookie(Self.signInCookie, "", maxAge: 0))
        return response
    }

    func changePassword(_ page: inout PageRequest, _ viewer: Viewer) async throws -> Response {
        let current = page.form?["current"] ?? ""
        let new = page.form?["new"] ?? ""
        guard new == page.form?["repeat"] ?? "" else {
            return finish(Pages.password(page, problem: page.t("两次输入的新密码不一致。", "The two new passwords differ.")), page)
        }
        do {
            if viewer.account.mustChange {
                try await accounts.setFirstPassword(session: viewer.token, new: new)
            } else {
                try await accounts.changePassword(login: viewer.account.login, current: current, new: new, source: page.source)
            }
        } catch let error as WorkflowError {
            let message = error.description == AccountStore.signInFailure ? page.t("当前密码不正确。", "The current password is wrong.") : StoreMessages.shown(error.description, page.t)
            return finish(Pages.password(page, problem: message), page)
        }
        // Every session ended with the change: sign in again with the new password.
        let signed = try await accounts.signIn(login: viewer.account.login, secret: new, source: page.source,
                                               userAgent: page.request.headers[.userAgent])
        var response = done("/", Flash(ok: true, text: page.t("密码已修改。", "Password changed.")), page)
        response.setCookie(cookie(Self.sessionCookie, signed.token))
        return response
    }

    // MARK: A county's pages

    func countyRoute(_ parts: [String], _ page: inout PageRequest, _ viewer: Viewer) async throws -> (String, Response) {
        guard let code = parts.first, let county = try? CountyCode(code) else { throw NotFound() }
        let store: WorkflowStore
        do {
            store = try WorkflowStore(pool: pool, county: county, principal: viewer.account.principal)
        } catch {
            throw NotFound()
        }
        let rest = Array(parts.dropFirst())
        let method = page.request.method
        let site = CountySite(server: self, store: store, county: county, viewer: viewer)
        do {
            switch (method, rest.first ?? "") {
            case (.get, ""):
                return ("home", finish(try await site.home(page), page))
            case (.get, "new"):
                return ("new", finish(try await site.newProposal(page, values: nil, problem: nil), page))
            case (.post, "new"):
                return ("new", try await site.fileProposal(&page))
            case (.get, "p") where rest.count == 2:
                return ("proposal", finish(try await site.proposal(page, number: rest[1]), page))
            case (.post, "p") where rest.count == 3:
                return ("proposal-step", try await site.step(&page, number: rest[1], action: rest[2]))
            case (.get, "d") where rest.count == 2:
                return ("draft", finish(try await site.draftPage(page, id: rest[1]), page))
            case (.post, "d") where rest.count == 3:
                return ("draft-step", try await site.draftStep(&page, id: rest[1], action: rest[2]))
            case (.get, "w") where rest.count == 1:
                return ("suggestions", finish(try await site.suggestionsPage(page), page))
            case (.post, "w") where rest.count == 3 || (rest.count == 2 && rest[1] == "new"):
                return ("suggestion-step", try await site.suggestionStep(&page, number: rest[1], action: rest.count == 3 ? rest[2] : "file"))
            case (.get, "settings"):
                return ("settings", finish(try await site.settingsPage(page), page))
            case (.post, "settings"):
                return ("settings", try await site.changeSetting(&page))
            case (.get, "import"):
                return ("import", finish(site.importPage(page), page))
            case (.post, "import"):
                return ("import", try await site.importFile(&page))
            case (.get, "report"):
                return ("report", finish(try await site.report(page), page))
            default:
                throw NotFound()
            }
        } catch let error as WorkflowError where error.isNotFound {
            throw NotFound()
        } catch let error as WorkflowError where error.description.hasPrefix("not allowed") {
            // A page this role has no use for (a leader's form, an operator in a live county).
            return ("forbidden", finish(Pages.layout(page, title: page.t("无权访问", "Not allowed"), status: .forbidden, county: county.value, """
                <h1>\(page.t("无权访问", "Not allowed"))</h1><p>\(StoreMessages.shown(error.description, page.t))</p>
                """), page))
        } catch let error as CountyError where error.isNoCounty {
            throw NotFound()
        }
    }
}
