import Hummingbird

/// The site's one stylesheet, served from the binary (county networks are often intranets:
/// nothing comes from elsewhere). Phone first (390 px), an office PC's 1366×768, and A4 print.
enum Assets {
    static func response(_ name: String) -> Response {
        guard name == "app.css" else { return Pages.text(.notFound, "not found\n") }
        return Response(
            status: .ok,
            headers: [.contentType: "text/css; charset=utf-8", .cacheControl: "public, max-age=3600"],
            body: ResponseBody(byteBuffer: ByteBuffer(string: css)))
    }

    static let css = """
        *{box-sizing:border-box}
        html{-webkit-text-size-adjust:100%}
        body{margin:0;font-family:"Noto Sans CJK SC","WenQuanYi Micro Hei","Microsoft YaHei",system-ui,sans-serif;font-size:16px;line-height:1.55;color:#1d232b;background:#f4f5f7}
        a{color:#0b57a4}
        a:focus,button:focus,input:focus,select:focus,textarea:focus,summary:focus{outline:3px solid #f2a900;outline-offset:1px}
        .top{display:flex;flex-wrap:wrap;align-items:center;gap:.4rem 1rem;padding:.6rem 1rem;background:#9b1c1c;color:#fff}
        .top a,.top .who,.top button.link{color:#fff}
        .brand{font-weight:700;text-decoration:none;margin-right:auto}
        nav{display:flex;flex-wrap:wrap;align-items:center;gap:.3rem .9rem}
        main{max-width:1100px;margin:0 auto;padding:1rem}
        h1{font-size:1.45rem;margin:.4rem 0 .8rem;overflow-wrap:anywhere}
        h2{font-size:1.15rem;margin:1.4rem 0 .5rem}
        p,li,td,th,dd{overflow-wrap:anywhere}
        .card{background:#fff;border:1px solid #d5d9e0;border-radius:6px;padding:1rem;margin:.8rem 0}
        .narrow{max-width:28rem}
        label{display:block;font-weight:600;margin:.7rem 0 .2rem}
        input,select,textarea{font:inherit;width:100%;max-width:100%;padding:.45rem .5rem;border:1px solid #8a94a3;border-radius:4px;background:#fff;color:inherit}
        input[type=checkbox],input[type=radio]{width:auto;margin-right:.4rem}
        textarea{min-height:8rem}
        fieldset{border:1px solid #d5d9e0;border-radius:4px;margin:.7rem 0;padding:.4rem .8rem}
        legend{font-weight:600}
        .choice{display:block;font-weight:400;margin:.25rem 0}
        button{font:inherit;cursor:pointer;margin-top:.8rem;padding:.5rem 1.1rem;border:0;border-radius:4px;background:#9b1c1c;color:#fff}
        button.secondary{background:#4a5568}
        button.link{background:none;padding:0;margin:0;text-decoration:underline}
        form.inline{display:inline}
        form.inline-form button{margin-top:.3rem}
        .flash{padding:.6rem .8rem;border-radius:4px}
        .flash.ok{background:#e3f4e8;border:1px solid #2f8a4c}
        .flash.problem{background:#fdeaea;border:1px solid #b42318}
        .counts{display:grid;grid-template-columns:repeat(auto-fit,minmax(8.5rem,1fr));gap:.6rem;padding:0;list-style:none}
        .counts li{background:#fff;border:1px solid #d5d9e0;border-radius:6px;padding:.6rem .8rem}
        .counts b{display:block;font-size:1.6rem}
        .scroll{overflow-x:auto;max-width:100%}
        table{border-collapse:collapse;width:100%;background:#fff}
        th,td{border-bottom:1px solid #e2e6ec;padding:.45rem .5rem;text-align:left;vertical-align:top}
        th{background:#eef1f5}
        .tag{display:inline-block;padding:0 .45rem;border-radius:3px;background:#eef1f5;font-size:.9em}
        .tag.late{background:#fdeaea;color:#8a1c1c}
        .tag.soon{background:#fff4d6;color:#6b4e00}
        .tag.done{background:#e3f4e8;color:#1f6b37}
        dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:.2rem 1rem;margin:0}
        dl.facts dt{font-weight:600;color:#4a5568}
        dl.facts dd{margin:0}
        .body{white-space:pre-wrap;background:#fff;border:1px solid #d5d9e0;border-radius:6px;padding:1rem}
        ol.timeline{padding-left:1.2rem}
        .actions{display:grid;grid-template-columns:repeat(auto-fit,minmax(18rem,1fr));gap:.8rem}
        .muted{color:#4a5568}
        .wrap{word-break:break-all}
        .skip{position:absolute;left:-999px}
        @media (max-width:600px){dl.facts{grid-template-columns:1fr}main{padding:.7rem}}
        @media print{
          @page{size:A4;margin:18mm 16mm}
          body{background:#fff;font-size:11pt}
          .top,.actions,form,.no-print,.flash{display:none!important}
          main{max-width:none;padding:0}
          .card,.body{border:0;padding:0}
          a{color:inherit;text-decoration:none}
        }
        """
}
