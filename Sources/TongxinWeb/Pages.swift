import Accounts
import Foundation
import Hummingbird
import TongxinBase
import Workflow

/// The pages every role shares: the layout, sign-in, the password, sessions, errors.
enum Pages {
    static func html(_ status: HTTPResponse.Status, _ body: HTML) -> Response {
        Response(
            status: status, headers: [.contentType: "text/html; charset=utf-8"],
            body: ResponseBody(byteBuffer: ByteBuffer(string: body.text)))
    }

    static func text(_ status: HTTPResponse.Status, _ text: String) -> Response {
        Response(status: status, headers: [.contentType: "text/plain; charset=utf-8"], body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }

    /// A whole page: the header with who is signed in, the message of the last step, the body.
    static func layout(_ page: PageRequest, title: String, status: HTTPResponse.Status = .ok, county: String? = nil, _ body: HTML) -> Response {
        let t = page.t
        var nav: [HTML] = []
        if let viewer = page.viewer {
            let home = county.map { "/c/\($0)/" } ?? "/"
            nav.append("<a href=\"\(home)\">\(t("首页", "Home"))</a>")
            if let county, [.member, .unit, .staff, .operator].contains(viewer.account.role) {
                nav.append("<a href=\"/c/\(county)/w\">\(t("微建议", "Micro-suggestions"))</a>")
            }
            if let county, [.staff, .operator].contains(viewer.account.role) {
                nav.append("<a href=\"/c/\(county)/import\">\(t("导入", "Import"))</a>")
                nav.append("<a href=\"/c/\(county)/settings\">\(t("设置", "Settings"))</a>")
            }
            if let county, [.leader, .staff, .supervisor, .operator].contains(viewer.account.role) {
                nav.append("<a href=\"/c/\(county)/report\">\(t("年度报告", "Annual report"))</a>")
            }
            nav.append("<a href=\"/sessions\">\(t("登录设备", "My sessions"))</a>")
            nav.append("""
                <span class="who">\(viewer.account.displayName)\(t("（", " (") + t.role(viewer.account.role.rawValue) + t("）", ")"))</span>
                <form method="post" action="/signout" class="inline">\(csrf(page))<button type="submit" class="link">\(t("退出", "Sign out"))</button></form>
                """)
        }
        let other: Lang = page.lang == .zh ? .en : .zh
        let back = queryValue(page.path) ?? "/"
        nav.append("<a href=\"/lang/\(other.rawValue)?back=\(back)\" lang=\"\(other.htmlCode)\">\(other == .en ? "English" : "中文")</a>")
        let flash: HTML = page.flash.map { "<p class=\"flash \($0.ok ? "ok" : "problem")\" role=\"status\">\($0.text)</p>" } ?? .empty
        return html(status, """
            <!doctype html>
            <html lang="\(page.lang.htmlCode)">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(title) · \(t("同心提案", "Tongxin proposals"))</title>
            <link rel="stylesheet" href="/static/app.css">
            </head>
            <body>
            <header class="top"><a class="brand" href="/">\(t("同心 · 政协提案", "Tongxin · CPPCC proposals"))</a>
            <nav aria-label="\(t("导航", "Navigation"))">\(nav)</nav></header>
            <main id="main">
            \(flash)
            \(body)
            </main>
            </body>
            </html>
            """)
    }

    /// The characters a local path keeps as they are in a query value (?back=, ?next=); built once.
    static let pathCharacters = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "/-_."))

    /// A local path as a query value.
    static func queryValue(_ path: String) -> String? {
        path.addingPercentEncoding(withAllowedCharacters: pathCharacters)
    }

    /// The hidden field every form carries.
    static func csrf(_ page: PageRequest) -> HTML {
        guard let viewer = page.viewer else { return .empty }
        return "<input type=\"hidden\" name=\"csrf\" value=\"\(viewer.csrf)\">"
    }

    static func problem(_ text: String?) -> HTML {
        guard let text else { return .empty }
        return "<p class=\"flash problem\" role=\"alert\">\(text)</p>"
    }

    static func plain(_ status: HTTPResponse.Status, _ message: String) -> Response {
        html(status, """
            <!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(String(status.code))</title><link rel="stylesheet" href="/static/app.css"></head>
            <body><main id="main"><h1>\(String(status.code))</h1><p>\(message)</p><p><a href="/">同心 · Tongxin</a></p></main></body></html>
            """)
    }

    static func notFound(_ page: PageRequest) -> Response {
        layout(page, title: page.t("未找到", "Not found"), status: .notFound, """
            <h1>\(page.t("未找到", "Not found"))</h1>
            <p>\(page.t("没有这个页面，或者它不属于您。", "There is no such page, or it is not yours."))</p>
            """)
    }

    static func signIn(_ page: PageRequest, token: String, next: String?, problem: String?, status: HTTPResponse.Status) -> Response {
        let t = page.t
        return layout(page, title: t("登录", "Sign in"), status: status, """
            <h1>\(t("登录", "Sign in"))</h1>
            \(Pages.problem(problem))
            <form method="post" action="/signin" class="card narrow">
            <input type="hidden" name="csrf" value="\(token)">
            <input type="hidden" name="next" value="\(next ?? "/")">
            <label for="login">\(t("账号", "Login"))</label>
            <input id="login" name="login" autocomplete="username" required autofocus>
            <label for="password">\(t("密码（首次登录请输入一次性验证码）", "Password (or your one-time code at the first sign-in)"))</label>
            <input id="password" name="password" type="password" autocomplete="current-password" required>
            <button type="submit">\(t("登录", "Sign in"))</button>
            </form>
            """)
    }

    static func password(_ page: PageRequest, problem: String?) -> Response {
        let t = page.t
        let forced = page.viewer?.account.mustChange == true
        return layout(page, title: t("修改密码", "Change password"), status: problem == nil ? .ok : .unprocessableContent, """
            <h1>\(t("修改密码", "Change password"))</h1>
            \(forced ? "<p class=\"flash problem\">\(t("首次登录或密码已重置：请先设置新密码。", "First sign-in or reset: choose a new password first."))</p>" as HTML : .empty)
            \(Pages.problem(problem))
            <form method="post" action="/password" class="card narrow">
            \(csrf(page))
            \(forced ? .empty : """
                <label for="current">\(t("当前密码", "Current password"))</label>
                <input id="current" name="current" type="password" autocomplete="current-password" required>
                """ as HTML)
            <label for="new">\(t("新密码（至少10位，不能与账号相同）", "New password (10 characters at least, not the login)"))</label>
            <input id="new" name="new" type="password" autocomplete="new-password" minlength="10" required>
            <label for="repeat">\(t("再次输入新密码", "New password again"))</label>
            <input id="repeat" name="repeat" type="password" autocomplete="new-password" minlength="10" required>
            <button type="submit">\(t("保存", "Save"))</button>
            </form>
            """)
    }

    static func sessions(_ page: PageRequest, _ sessions: [SessionRecord]) -> Response {
        let t = page.t
        let rows: [HTML] = sessions.map {
            "<tr><td>\(LocalTime.display($0.createdAt))</td><td>\(LocalTime.display($0.lastSeenAt))</td><td>\($0.source ?? "")</td><td class=\"wrap\">\($0.userAgent ?? "")</td></tr>"
        }
        return layout(page, title: t("登录设备", "My sessions"), """
            <h1>\(t("我的登录", "My sessions"))</h1>
            <p>\(t("闲置30分钟或登录12小时后自动退出；修改密码会退出所有设备。", "A session ends after 30 minutes idle or 12 hours; changing the password ends them all."))</p>
            <div class="scroll"><table>
            <thead><tr><th scope="col">\(t("登录时间", "Signed in"))</th><th scope="col">\(t("最近使用", "Last used"))</th><th scope="col">\(t("地址", "Address"))</th><th scope="col">\(t("浏览器", "Browser"))</th></tr></thead>
            <tbody>\(rows)</tbody></table></div>
            <p><a href="/password">\(t("修改密码", "Change password"))</a></p>
            """)
    }
}
