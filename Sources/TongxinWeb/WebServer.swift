import Accounts
import Counties
import Foundation
public import Hummingbird
public import Logging
public import PostgresClient
import TongxinBase
import Workflow
import WorkflowStore

/// What a request carries besides the request: the peer's address (sign-in slowing).
public struct WebContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    public let peer: String?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        peer = source.channel.remoteAddress?.ipAddress
    }

    /// Forms are small; the largest upload is a CSV import.
    public var maxUploadSize: Int { WebServer.maxBody }
}

/// How `tongxin-web` runs.
public struct WebConfiguration: Sendable {
    public var host: String
    public var port: Int
    /// The address people use (https://… behind a TLS proxy): cookies get `Secure` when it is https.
    public var publicURL: String?
    /// Believe X-Forwarded-For (the client's address) from the proxy in front.
    public var trustProxy: Bool
    public var database: PostgresConfiguration
    public var poolSize: Int
    /// Serve /metrics (Prometheus text) on this local port, as the worker does.
    public var metricsHost: String
    public var metricsPort: Int?

    public init(host: String = "127.0.0.1", port: Int = 8080, publicURL: String? = nil, trustProxy: Bool = false,
                database: PostgresConfiguration, poolSize: Int = 10, metricsHost: String = "127.0.0.1", metricsPort: Int? = nil) {
        self.host = host
        self.port = port
        self.publicURL = publicURL
        self.trustProxy = trustProxy
        self.database = database
        self.poolSize = poolSize
        self.metricsHost = metricsHost
        self.metricsPort = metricsPort
    }

    var secureCookies: Bool { publicURL?.lowercased().hasPrefix("https://") == true }
}

/// A page that does not exist for this person: answered 404 (another county's or unit's
/// record reads the same as no record).
struct NotFound: Error {}

/// A form's problem, shown on the page it came from (422).
struct FormProblem: Error {
    let message: String
}

/// The web application: one responder that routes by path, signs people in, checks each
/// form's CSRF token, runs the step through the workflow store as the signed-in account, and
/// sets the security headers on every answer.
public struct WebServer: HTTPResponder, Sendable {
    public typealias Context = WebContext

    /// The largest request body read (a CSV import); a larger one is refused with 413.
    static let maxBody = 2 << 20

    let pool: PostgresPool
    let accounts: AccountStore
    let configuration: WebConfiguration
    let metrics: WebMetrics
    let names = NameCache()
    let logger: Logger

    public init(pool: PostgresPool, configuration: WebConfiguration, logger: Logger) {
        self.pool = pool
        self.accounts = AccountStore(pool: pool, actor: "tongxin-web")
        self.configuration = configuration
        self.metrics = WebMetrics()
        self.logger = logger
    }

    public func respond(to request: Request, context: WebContext) async throws -> Response {
        let started = ContinuousClock.now
        var request = request
        let (route, response) = await answer(&request, context)
        var secured = response
        Self.secure(&secured)
        metrics.record(route: route, status: Int(secured.status.code), duration: ContinuousClock.now - started)
        return secured
    }

    /// The route's name (for the metrics) and its answer; every error becomes a page.
    func answer(_ request: inout Request, _ context: WebContext) async -> (String, Response) {
        let path = request.uri.path
        let parts = path.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
        let lang = Lang.choose(cookie: request.cookies["lang"]?.value, acceptLanguage: request.headers[Header.acceptLanguage])
        let t = Tr(lang: lang)
        // Routes without a session.
        switch (request.method, parts.first ?? "") {
        case (.get, "healthz"):
            return ("healthz", await health())
        case (.get, "favicon.ico"), (.get, "robots.txt"):
            return ("static", Pages.text(.notFound, "not found\n"))
        case (.get, "static"):
            return ("static", Assets.response(parts.dropFirst().joined(separator: "/")))
        case (.get, "lang"):
            let to = Lang(rawValue: parts.dropFirst().first ?? "") ?? .zh
            var response = redirect(localPath(request.uri.queryParameters["back"].map(String.init)) ?? "/")
            response.setCookie(cookie("lang", to.rawValue, maxAge: 365 * 86_400))
            return ("lang", response)
        default: break
        }
        var page = PageRequest(request: request, context: context, t: t, lang: lang, server: self)
        do {
            if request.method == .post {
                guard let body = try await readForm(&request) else {
                    return ("too-large", Pages.plain(.contentTooLarge, t("提交的内容太大。", "The form is too large.")))
                }
                page.form = body
            }
            return try await route(parts, &page)
        } catch is NotFound {
            return ("not-found", Pages.notFound(page))
        } catch let problem as CSRFRefused {
            logger.notice("refused: \(request.method) \(path): \(problem.reason)")
            return ("csrf", Pages.plain(.forbidden, t("表单已过期或来源不明，未作任何更改。请返回重试。", "The form has expired or did not come from this site; nothing was changed. Go back and try again.")))
        } catch {
            let id = UUID().uuidString.prefix(8)
            let line = "\(error)".split(whereSeparator: \.isNewline).joined(separator: " ")
            logger.error("\(request.method) \(path) failed [\(id)]: \(line)")
            return ("error", Pages.plain(.internalServerError, t("出错了，已记录（编号 \(id)）。请稍后再试。", "Something went wrong; it is logged (reference \(id)). Try again later.")))
        }
    }

    /// /healthz: the database answers.
    func health() async -> Response {
        do {
            _ = try await pool.query("SELECT 1")
            return Pages.text(.ok, "ok\n")
        } catch {
            return Pages.text(.serviceUnavailable, "database unreachable\n")
        }
    }

    /// The form fields of a POST (urlencoded or multipart), or nil when too large.
    func readForm(_ request: inout Request) async throws -> Form? {
        // Read up to the limit; past it, read on and drop (up to 8× the limit) so the client,
        // still sending, gets its 413 instead of a stalled connection.
        var bytes: [UInt8] = []
        var seen = 0
        for try await chunk in request.body {
            seen += chunk.readableBytes
            if seen <= Self.maxBody {
                bytes.append(contentsOf: chunk.readableBytesView)
            } else if seen > 8 * Self.maxBody {
                break
            }
        }
        guard seen <= Self.maxBody else { return nil }
        let type = request.headers[.contentType] ?? ""
        if type.lowercased().hasPrefix("multipart/form-data") {
            return try Form.multipart(bytes, contentType: type)
        }
        return Form.urlencoded(String(decoding: bytes, as: UTF8.self))
    }

    // MARK: Answers

    func redirect(_ location: String) -> Response {
        Response(status: .seeOther, headers: [.location: location])
    }

    /// A path on this site only (no scheme, no //host): where `back` and `next` may go.
    func localPath(_ text: String?) -> String? {
        guard let text, text.hasPrefix("/"), !text.hasPrefix("//"), !text.contains("\\"), text.count < 500,
              text.unicodeScalars.allSatisfy({ $0.value > 32 && $0.value < 127 }) else { return nil }
        return text
    }

    func cookie(_ name: String, _ value: String, maxAge: Int? = nil) -> Cookie {
        Cookie(name: name, value: value, maxAge: maxAge, path: "/", secure: configuration.secureCookies, httpOnly: true, sameSite: .strict)
    }

    /// The headers every answer carries: no script but our own, no framing, no sniffing, no
    /// caching of personal pages.
    static func secure(_ response: inout Response) {
        response.headers[Header.csp] = "default-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
        response.headers[Header.frameOptions] = "DENY"
        response.headers[Header.contentTypeOptions] = "nosniff"
        response.headers[Header.referrerPolicy] = "same-origin"
        if response.headers[.cacheControl] == nil { response.headers[.cacheControl] = "no-store" }
    }
}

/// A POST whose CSRF token is missing or wrong.
struct CSRFRefused: Error {
    let reason: String
}
